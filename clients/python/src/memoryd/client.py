"""A thin, typed convenience layer over the generated memoryd stubs.

Every method is one RPC (``iter_memories`` pages through several) and
returns the generated protobuf messages unchanged; failures raise
``grpc.RpcError`` with the server's status code, whose details
``error_details`` decodes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Sequence

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from memory.v1 import memory_pb2, memory_service_pb2, memory_service_pb2_grpc

UserMemory = memory_pb2.UserMemory


class MemoryClient:
    """A connection to one memoryd server.

    Args:
        address: ``host:port`` of the server.
        token: bearer token, sent as ``authorization: Bearer <token>`` on every call.
        root_certificates, private_key, certificate_chain: PEM bytes for TLS
            (root certificates alone) or mutual TLS (all three); plaintext when
            none is given.
        timeout: per-call deadline in seconds.
    """

    def __init__(
        self,
        address: str = "127.0.0.1:50051",
        *,
        token: Optional[str] = None,
        root_certificates: Optional[bytes] = None,
        private_key: Optional[bytes] = None,
        certificate_chain: Optional[bytes] = None,
        timeout: float = 10.0,
    ) -> None:
        if root_certificates or private_key or certificate_chain:
            credentials = grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            self._channel = grpc.secure_channel(address, credentials)
        else:
            if token and not address.startswith(("127.", "localhost:", "[::1]")):
                warnings.warn(
                    f"sending a bearer token to {address} without TLS: pass root_certificates, "
                    "or make sure a service mesh encrypts the connection",
                    stacklevel=2,
                )
            self._channel = grpc.insecure_channel(address)
        self.stub = memory_service_pb2_grpc.MemoryServiceStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._timeout = timeout

    def _call(self, method, request):
        return method(request, timeout=self._timeout, metadata=self._metadata)

    def add(
        self,
        user_id: str,
        memory: str,
        *,
        topics: Sequence[str] = (),
        input: Optional[str] = None,
        memory_id: str = "",
        request_id: str = "",
    ) -> UserMemory:
        user_memory = UserMemory(user_id=user_id, memory_id=memory_id, memory=memory, topics=topics, input=input)
        request = memory_service_pb2.AddUserMemoryRequest(user_memory=user_memory, request_id=request_id)
        return self._call(self.stub.AddUserMemory, request).user_memory

    def batch_add(self, memories: Iterable[UserMemory]) -> list[UserMemory]:
        requests = [memory_service_pb2.AddUserMemoryRequest(user_memory=m) for m in memories]
        return list(self._call(self.stub.BatchAddUserMemories, memory_service_pb2.BatchAddUserMemoriesRequest(requests=requests)).user_memories)

    def get(self, user_id: str, memory_id: str) -> UserMemory:
        request = memory_service_pb2.GetUserMemoryRequest(user_id=user_id, memory_id=memory_id)
        return self._call(self.stub.GetUserMemory, request).user_memory

    def list(
        self,
        user_id: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        oldest_first: bool = False,
        topics: Sequence[str] = (),
    ) -> memory_service_pb2.ListUserMemoriesResponse:
        order = memory_service_pb2.LIST_ORDER_OLDEST_FIRST if oldest_first else memory_service_pb2.LIST_ORDER_NEWEST_FIRST
        request = memory_service_pb2.ListUserMemoriesRequest(
            user_id=user_id, page_size=page_size, page_token=page_token, order=order, topics=topics
        )
        return self._call(self.stub.ListUserMemories, request)

    def iter_memories(
        self, user_id: str, *, oldest_first: bool = False, topics: Sequence[str] = (), page_size: int = 1000
    ) -> Iterator[UserMemory]:
        """Every memory of a user, page by page (keyset pages: stable while others write)."""
        token = ""
        while True:
            page = self.list(user_id, page_size=page_size, page_token=token, oldest_first=oldest_first, topics=topics)
            yield from page.user_memories
            token = page.next_page_token
            if not token:
                return

    def search(
        self,
        user_id: str,
        *,
        query: str = "",
        topics: Sequence[str] = (),
        first_n: bool = False,
        limit: int = 0,
    ) -> list[UserMemory]:
        """Up to `limit` matches (the server's default when 0). A page may stop short to stay
        under the message size limit; the following pages are read until `limit` is reached."""
        method = memory_service_pb2.RETRIEVAL_METHOD_FIRST_N if first_n else memory_service_pb2.RETRIEVAL_METHOD_LAST_N
        found: list[UserMemory] = []
        token = ""
        while True:
            wanted = limit - len(found) if limit else 0
            request = memory_service_pb2.SearchUserMemoriesRequest(
                user_id=user_id, query=query, topics=topics, retrieval_method=method, limit=wanted, page_token=token
            )
            page = self._call(self.stub.SearchUserMemories, request)
            found.extend(page.user_memories)
            token = page.next_page_token
            # Without a limit, the server's default page is the answer.
            if not token or not limit or len(found) >= limit:
                return found

    def replace(
        self,
        user_id: str,
        memory_id: str,
        memory: str,
        *,
        topics: Sequence[str] = (),
        input: Optional[str] = None,
        etag: str = "",
        allow_missing: bool = False,
    ) -> UserMemory:
        user_memory = UserMemory(user_id=user_id, memory_id=memory_id, memory=memory, topics=topics, input=input, etag=etag)
        request = memory_service_pb2.ReplaceUserMemoryRequest(user_memory=user_memory, allow_missing=allow_missing)
        return self._call(self.stub.ReplaceUserMemory, request).user_memory

    def delete(self, user_id: str, memory_id: str, *, etag: str = "", allow_missing: bool = False) -> None:
        request = memory_service_pb2.DeleteUserMemoryRequest(
            user_id=user_id, memory_id=memory_id, etag=etag, allow_missing=allow_missing
        )
        self._call(self.stub.DeleteUserMemory, request)

    def clear(self, user_id: str = "", *, all_users: bool = False) -> int:
        """Deletes one user's memories, or with ``all_users=True`` everybody's; returns how many."""
        request = memory_service_pb2.ClearUserMemoriesRequest(user_id=user_id, all_users=all_users)
        return self._call(self.stub.ClearUserMemories, request).deleted_count

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "MemoryClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class ErrorDetails:
    """What memoryd put in a failed call's google.rpc.Status."""

    code: grpc.StatusCode
    message: str
    #: field path -> description, from google.rpc.BadRequest (INVALID_ARGUMENT).
    field_violations: dict[str, str] = field(default_factory=dict)
    #: google.rpc.ErrorInfo reason, e.g. ETAG_MISMATCH (ABORTED).
    reason: Optional[str] = None
    #: google.rpc.ResourceInfo name, the memory id (NOT_FOUND, ALREADY_EXISTS).
    resource_name: Optional[str] = None


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
        elif any_detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            resource = error_details_pb2.ResourceInfo()
            any_detail.Unpack(resource)
            details.resource_name = resource.resource_name
    return details
