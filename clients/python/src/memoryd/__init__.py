"""Python client for memoryd, the gRPC memory store for AI agents.

``MemoryClient`` wraps the generated stubs (``memoryd.v1``, shipped in this
package) with keyword arguments, deadlines, bearer tokens and paging;
``error_details`` decodes the google.rpc details memoryd attaches to errors.
``memoryd.agno3`` holds the Agno 3 ``BaseDb`` (``MemorydDb``, for agents,
teams and AgentOS) and ``memoryd.agno`` the drop-in Agno 1.x ``MemoryDb``.
"""

from memoryd.client import (
    UNSET,
    ErrorDetails,
    ErrorReason,
    MemoryClient,
    MemoryFilter,
    MemoryTopic,
    UserMemory,
    UserMemoryUpsert,
    UserStats,
    error_details,
)

__all__ = [
    "UNSET",
    "ErrorDetails",
    "ErrorReason",
    "MemoryClient",
    "MemoryFilter",
    "MemoryTopic",
    "UserMemory",
    "UserMemoryUpsert",
    "UserStats",
    "error_details",
]
