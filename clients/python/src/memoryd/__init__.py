"""Python client for memoryd, the gRPC memory store for AI agents.

``MemoryClient`` wraps the generated stubs (``memoryd.v1``, shipped in this
package) with keyword arguments, deadlines, bearer tokens, paging and
memoryd's retry policy; failures raise the exceptions of ``memoryd.errors``
(``NotFound``, ``EtagMismatch``, ``InvalidArgument``, ...), and
``error_details`` decodes the google.rpc details memoryd attaches to errors.
``memoryd.aio.AsyncMemoryClient`` is the same client on ``grpc.aio``.
``memoryd.agno3`` holds the Agno 3 ``BaseDb`` (``MemorydDb``, for agents,
teams and AgentOS) and ``memoryd.agno`` the drop-in Agno 1.x ``MemoryDb``.
"""

from memoryd.client import (
    UNSET,
    ErrorReason,
    MemoryClient,
    MemoryFilter,
    MemoryTopic,
    UserMemory,
    UserMemoryUpsert,
    UserStats,
    service_config,
)
from memoryd.details import ErrorDetails, error_details
from memoryd.errors import (
    Aborted,
    AlreadyExists,
    DeadlineExceeded,
    EtagMismatch,
    FailedPrecondition,
    InvalidArgument,
    MemorydError,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "UNSET",
    "Aborted",
    "AlreadyExists",
    "DeadlineExceeded",
    "EtagMismatch",
    "FailedPrecondition",
    "InvalidArgument",
    "MemorydError",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "service_config",
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
