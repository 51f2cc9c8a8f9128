"""The google.rpc details memoryd attaches to a failed call, decoded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass
class ErrorDetails:
    """What memoryd put in a failed call's google.rpc.Status."""

    code: grpc.StatusCode
    message: str
    #: field path -> description, from google.rpc.BadRequest (INVALID_ARGUMENT).
    field_violations: Dict[str, str] = field(default_factory=dict)
    #: google.rpc.ErrorInfo reason, an ``ErrorReason`` name such as ETAG_MISMATCH (ABORTED).
    reason: Optional[str] = None
    #: google.rpc.ErrorInfo metadata, e.g. user_id and memory_id for ETAG_MISMATCH.
    metadata: Dict[str, str] = field(default_factory=dict)
    #: google.rpc.ResourceInfo name, the memory id (NOT_FOUND, ALREADY_EXISTS).
    resource_name: Optional[str] = None
    #: google.rpc.RetryInfo delay in seconds (UNAVAILABLE, RESOURCE_EXHAUSTED).
    retry_delay: Optional[float] = None


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Decodes the status details of a failed call."""
    details = ErrorDetails(code=error.code(), message=error.details() or "")
    status = rpc_status.from_call(error)
    for any_detail in status.details if status else ():
        if any_detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            any_detail.Unpack(bad_request)
            details.field_violations = {v.field: v.description for v in bad_request.field_violations}
        elif any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            any_detail.Unpack(info)
            details.reason = info.reason
            details.metadata = dict(info.metadata)
        elif any_detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            resource = error_details_pb2.ResourceInfo()
            any_detail.Unpack(resource)
            details.resource_name = resource.resource_name
        elif any_detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            any_detail.Unpack(retry)
            details.retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
    return details
