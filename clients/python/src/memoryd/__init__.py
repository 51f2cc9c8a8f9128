"""Python client for memoryd, the gRPC memory store for AI agents.

``MemoryClient`` wraps the generated stubs (``memory.v1``) with keyword
arguments, deadlines, bearer tokens and paging; ``error_details`` decodes the
google.rpc details memoryd attaches to errors. ``memoryd.agno`` holds the
drop-in Agno ``MemoryDb``.
"""

from memoryd.client import ErrorDetails, MemoryClient, error_details

__all__ = ["ErrorDetails", "MemoryClient", "error_details"]
