"""``AsyncMemoryClient``: ``MemoryClient``'s surface on ``grpc.aio``.

Every method takes ``MemoryClient``'s arguments (the signatures are
``MemoryClient``'s own, so type checkers and editors show them) and is a
coroutine; ``iter_*`` are async iterators. Each call is planned by the sync
method on a client that sends nothing (``memoryd.client._Planner``) and sent
here, so both clients build the same requests from one piece of code. The
retry policy, exceptions and ``with_options`` are the sync client's.

    async with AsyncMemoryClient("127.0.0.1:50051") as client:
        created = await client.create("ada", "Prefers dark mode")
        async for memory in client.iter_memories("ada"):
            ...
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Concatenate, Coroutine, Iterator, Optional, ParamSpec, Sequence, Tuple, TypeVar

import grpc
from grpc import aio

from memoryd.client import _PLAN, MemoryClient, _CallSettings, _first_page, _next_page, _open_channel, _planned, _Planned
from memoryd.errors import from_rpc_error
from memoryd.v1 import memory_service_pb2_grpc

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")


def _coroutine(method: Callable[Concatenate[MemoryClient, _P], _R]) -> Callable[Concatenate["AsyncMemoryClient", _P], Coroutine[Any, Any, _R]]:
    async def call(self: "AsyncMemoryClient", /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        result: _R = await self._run(_planned(method(_PLAN, *args, **kwargs)))
        return result

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


def _async_iterator(
    method: Callable[Concatenate[MemoryClient, _P], Iterator[_T]],
) -> Callable[Concatenate["AsyncMemoryClient", _P], AsyncIterator[_T]]:
    def call(self: "AsyncMemoryClient", /, *args: _P.args, **kwargs: _P.kwargs) -> AsyncIterator[_T]:
        return self._pages(_planned(method(_PLAN, *args, **kwargs)))

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    return call


class AsyncMemoryClient(_CallSettings):
    """A ``grpc.aio`` connection to one memoryd server; the arguments are ``MemoryClient``'s,
    with ``grpc.aio`` interceptors and channel."""

    def __init__(
        self,
        address: str = "127.0.0.1:50051",
        *,
        token: Optional[str] = None,
        root_certificates: Optional[bytes] = None,
        private_key: Optional[bytes] = None,
        certificate_chain: Optional[bytes] = None,
        timeout: Optional[float] = 10.0,
        metadata: Sequence[Tuple[str, str]] = (),
        options: Sequence[Tuple[str, Any]] = (),
        interceptors: Sequence[aio.ClientInterceptor] = (),
        retry: bool = True,
        channel: Optional[aio.Channel] = None,
    ) -> None:
        if channel is None:
            tls = (root_certificates, private_key, certificate_chain)
            channel = _open_channel(aio, address, token, tls, options, retry, interceptors=list(interceptors) or None)
        self._channel = channel
        self.stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        _CallSettings.__init__(self, token, metadata, timeout)

    async def _send(self, rpc: str, request: Any) -> Any:
        try:
            return await getattr(self.stub, rpc)(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    async def _run(self, planned: _Planned) -> Any:
        if planned.collect:
            if not planned.limit:
                return list(getattr(await self._send(planned.rpc, planned.request), planned.items))
            return [item async for item in self._pages(planned)]
        return planned.shape(await self._send(planned.rpc, planned.request))

    async def _pages(self, planned: _Planned) -> AsyncIterator[Any]:
        """``MemoryClient._pages`` on ``grpc.aio``: every page's items, up to ``planned.limit``."""
        request = planned.request
        found = _first_page(request, planned.limit)
        while True:
            page = await self._send(planned.rpc, request)
            for item in getattr(page, planned.items):
                yield item
                found += 1
            if not _next_page(request, page, found, planned.limit):
                return

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> "AsyncMemoryClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    create = _coroutine(MemoryClient.create)
    add = create
    batch_create = _coroutine(MemoryClient.batch_create)
    batch_add = batch_create
    replace = _coroutine(MemoryClient.replace)
    update = _coroutine(MemoryClient.update)
    batch_upsert = _coroutine(MemoryClient.batch_upsert)
    delete = _coroutine(MemoryClient.delete)
    batch_delete = _coroutine(MemoryClient.batch_delete)
    consolidate = _coroutine(MemoryClient.consolidate)
    clear = _coroutine(MemoryClient.clear)
    get = _coroutine(MemoryClient.get)
    list = _coroutine(MemoryClient.list)
    search_page = _coroutine(MemoryClient.search_page)
    search = _coroutine(MemoryClient.search)
    list_topics = _coroutine(MemoryClient.list_topics)
    list_user_stats = _coroutine(MemoryClient.list_user_stats)
    iter_memories = _async_iterator(MemoryClient.iter_memories)
    iter_topics = _async_iterator(MemoryClient.iter_topics)
    iter_user_stats = _async_iterator(MemoryClient.iter_user_stats)
