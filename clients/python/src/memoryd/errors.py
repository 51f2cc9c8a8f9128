"""Exceptions for memoryd's status codes, each keeping the original ``grpc.RpcError``.

Every ``MemorydError`` is also a ``grpc.RpcError`` (``code()``, ``details()``
and ``trailing_metadata()`` answer as the original's did), so code that
catches ``grpc.RpcError`` keeps working; ``rpc_error`` is the original and
``error_details`` the decoded ``google.rpc`` details.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

import grpc

from memoryd.details import ErrorDetails, error_details


class MemorydError(grpc.RpcError):
    """A failed memoryd call."""

    def __init__(self, rpc_error: grpc.RpcError, details: Optional[ErrorDetails] = None) -> None:
        self.rpc_error = rpc_error
        self.error_details: ErrorDetails = details or error_details(rpc_error)
        super().__init__(f"{self.error_details.code.name}: {self.error_details.message}")

    def code(self) -> grpc.StatusCode:
        return self.error_details.code

    def details(self) -> str:
        return self.error_details.message

    def trailing_metadata(self):  # type: ignore[no-untyped-def]
        return self.rpc_error.trailing_metadata()  # type: ignore[attr-defined]

    @property
    def reason(self) -> Optional[str]:
        """The ``ErrorReason`` name memoryd gave (``ETAG_MISMATCH``, ``MEMORY_NOT_FOUND``, ...)."""
        return self.error_details.reason


class InvalidArgument(MemorydError):
    """INVALID_ARGUMENT: ``field_violations`` maps each bad field's path to what is wrong."""

    @property
    def field_violations(self) -> Dict[str, str]:
        return self.error_details.field_violations


class NotFound(MemorydError):
    """NOT_FOUND: no such memory for that user (``error_details.resource_name`` is its id)."""


class AlreadyExists(MemorydError):
    """ALREADY_EXISTS: the user already has a memory with that id."""


class Aborted(MemorydError):
    """ABORTED: a conflicting write; read again and retry."""


class EtagMismatch(Aborted):
    """ABORTED with ETAG_MISMATCH: the memory changed since the etag was read."""


class PermissionDenied(MemorydError):
    """PERMISSION_DENIED: the token's scope does not cover the call."""


class Unauthenticated(MemorydError):
    """UNAUTHENTICATED: no token, or an unknown one."""


class ResourceExhausted(MemorydError):
    """RESOURCE_EXHAUSTED: over a limit or overloaded (``error_details.retry_delay`` says when to retry)."""


class FailedPrecondition(MemorydError):
    """FAILED_PRECONDITION."""


class Unavailable(MemorydError):
    """UNAVAILABLE: the server or its storage cannot answer now (retried already for safe calls)."""


class DeadlineExceeded(MemorydError):
    """DEADLINE_EXCEEDED: the call's timeout passed."""


_BY_CODE: Dict[grpc.StatusCode, Type[MemorydError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def from_rpc_error(rpc_error: grpc.RpcError) -> MemorydError:
    """The ``MemorydError`` subclass for a failed call."""
    details = error_details(rpc_error)
    kind = _BY_CODE.get(details.code, MemorydError)
    if kind is Aborted and details.reason == "ETAG_MISMATCH":
        kind = EtagMismatch
    return kind(rpc_error, details)
