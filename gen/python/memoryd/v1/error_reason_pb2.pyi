from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    INVALID_FIELD: _ClassVar[ErrorReason]
    MALFORMED_MESSAGE: _ClassVar[ErrorReason]
    REQUEST_ID_REUSED: _ClassVar[ErrorReason]
    MEMORY_NOT_FOUND: _ClassVar[ErrorReason]
    MEMORY_ALREADY_EXISTS: _ClassVar[ErrorReason]
    ETAG_MISMATCH: _ClassVar[ErrorReason]
    CONFLICT: _ClassVar[ErrorReason]
    UNAUTHENTICATED: _ClassVar[ErrorReason]
    USER_OUT_OF_SCOPE: _ClassVar[ErrorReason]
    OPERATOR_SCOPE_REQUIRED: _ClassVar[ErrorReason]
    DEADLINE_EXCEEDED: _ClassVar[ErrorReason]
    REQUEST_TIMEOUT: _ClassVar[ErrorReason]
    STORAGE_UNAVAILABLE: _ClassVar[ErrorReason]
    STORAGE_BUSY: _ClassVar[ErrorReason]
    STORAGE_FULL: _ClassVar[ErrorReason]
    OVERLOADED: _ClassVar[ErrorReason]
    INTERNAL_ERROR: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
INVALID_FIELD: ErrorReason
MALFORMED_MESSAGE: ErrorReason
REQUEST_ID_REUSED: ErrorReason
MEMORY_NOT_FOUND: ErrorReason
MEMORY_ALREADY_EXISTS: ErrorReason
ETAG_MISMATCH: ErrorReason
CONFLICT: ErrorReason
UNAUTHENTICATED: ErrorReason
USER_OUT_OF_SCOPE: ErrorReason
OPERATOR_SCOPE_REQUIRED: ErrorReason
DEADLINE_EXCEEDED: ErrorReason
REQUEST_TIMEOUT: ErrorReason
STORAGE_UNAVAILABLE: ErrorReason
STORAGE_BUSY: ErrorReason
STORAGE_FULL: ErrorReason
OVERLOADED: ErrorReason
INTERNAL_ERROR: ErrorReason
