"""memoryd as the memory store of Agno 3 agents, teams and AgentOS.

    from agno.db.sqlite import SqliteDb
    from memoryd.agno3 import MemorydDb

    db = MemorydDb("memoryd:50051", db=SqliteDb(db_file="agno.db"))
    agent = Agent(db=db, enable_user_memories=True)   # and AgentOS(agents=[agent])

``MemorydDb`` is an ``agno.db.base.BaseDb`` (``AsyncMemorydDb`` an
``AsyncBaseDb``) whose memory methods run on memoryd's API, while every
other method (sessions, runs, metrics, evals, knowledge, traces, ...) is
Agno's own, on the Agno database given as ``db=``: one object serves an
agent and AgentOS, memories in memoryd and the rest where Agno keeps it.
Without ``db=`` those methods raise ``DelegateDbRequired``;
``MemoryManager(db=MemorydDb(...))`` needs none.

The memory methods follow Agno 3's ``SqliteDb`` (return shapes, filters,
sorting, page numbers, times in epoch seconds); ``docs/agno.md`` lists where
memoryd deliberately differs. Page numbers become memoryd's ``skip``, so a
page is read without reading the pages before it into the client.

Agno's memory optimisation deletes a user's memories and then adds their
summary in separate calls; ``MemorydMemoryManager`` does both in one
``ConsolidateUserMemories`` call, so a crash leaves the old memories or the
summary, never neither.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union
from uuid import uuid4

import grpc
from agno.db.base import AsyncBaseDb, BaseDb
from agno.db.schemas import UserMemory
from agno.db.utils import validate_pagination
from agno.memory import MemoryManager
from agno.memory.strategies import MemoryOptimizationStrategy
from agno.memory.strategies.types import MemoryOptimizationStrategyFactory, MemoryOptimizationStrategyType

from memoryd.client import MemoryClient
from memoryd.client import UserMemory as MemorydMemory
from memoryd.client import UserMemoryUpsert, error_details

#: The methods of ``BaseDb`` that memoryd answers; Agno's database answers the rest.
MEMORY_METHODS = frozenset(
    {
        "clear_memories",
        "delete_user_memory",
        "delete_user_memories",
        "get_all_memory_topics",
        "get_user_memory",
        "get_user_memories",
        "get_user_memory_stats",
        "upsert_user_memory",
        "upsert_memories",
    }
)

# Agno keeps a memory's user optional; memoryd scopes every memory to one, as Agno's MemoryManager does.
DEFAULT_USER = "default"
# memoryd's user ids are never empty: like SqliteDb, a read or delete of the user "" matches nothing.
NO_USER = ""
# The most ids one memoryd batch (delete, consolidate) takes, and one memory_ids filter.
BATCH = 500
FILTER_IDS = 1000
SORT_COLUMNS = {"created_at": "create_time", "updated_at": "update_time"}


class DelegateDbRequired(NotImplementedError):
    """A non-memory method was called on a memoryd adapter that was given no Agno database."""


def _seconds(timestamp) -> int:
    return int(timestamp.seconds)


def _row(memory: MemorydMemory) -> Dict[str, Any]:
    """A memory as Agno 3's memory table row (``deserialize=False``)."""
    return {
        "memory_id": memory.memory_id,
        "memory": memory.memory,
        # memoryd cannot tell no topics from an empty list; Agno's default is None.
        "topics": list(memory.topics) or None,
        "input": memory.input if memory.HasField("input") else None,
        "feedback": memory.feedback if memory.HasField("feedback") else None,
        "agent_id": memory.agent_id or None,
        "team_id": memory.team_id or None,
        "user_id": memory.user_id,
        "created_at": _seconds(memory.create_time),
        "updated_at": _seconds(memory.update_time),
    }


def _shaped(memory: MemorydMemory, deserialize: Optional[bool]) -> Union[UserMemory, Dict[str, Any]]:
    row = _row(memory)
    return UserMemory.from_dict(row) if deserialize else row


def _order_by(sort_by: Optional[str], sort_order: Optional[str]) -> str:
    # No sort: Agno's SQL returns rows in table order, which is creation order.
    column = SORT_COLUMNS.get(sort_by or "", "create_time")
    descending = sort_by in SORT_COLUMNS and sort_order != "asc"
    return f"{column} desc" if descending else column


def _pages(
    read: Callable[..., Any], items: str, limit: Optional[int], page: Optional[int], count: bool
) -> Tuple[List[Any], int]:
    """Agno's ``limit``/``page`` on memoryd's pages: ``skip`` to the page, then page tokens until
    ``limit`` items (or the end); the total (when ``count``) is counted by the server, once."""
    validate_pagination(limit, page)
    skip = (page - 1) * limit if limit is not None and page is not None else 0
    found: List[Any] = []
    total = 0
    token = ""
    while limit is None or len(found) < limit:
        size = min(limit - len(found), 1000) if limit is not None else 1000
        first = not token
        response = read(page_size=size, page_token=token, skip=skip if first else 0, include_total_size=count and first)
        if count and first:
            total = response.total_size
        found.extend(getattr(response, items))
        token = response.next_page_token
        if not token:
            break
    return found, total


#: How far in the past a creation time must be to count as given, not as UserMemory's default of now.
GIVEN_TIME_SECONDS = 5


def _memoryd_memory(memory: UserMemory, user_id: str) -> MemorydMemory:
    """An Agno memory as memoryd's, owned by ``user_id``; memoryd keeps its own times."""
    return MemorydMemory(
        user_id=user_id,
        memory_id=memory.memory_id or "",
        memory=memory.memory,
        topics=memory.topics or [],
        input=memory.input,
        feedback=memory.feedback,
        agent_id=memory.agent_id or "",
        team_id=memory.team_id or "",
    )


def _is_past(created_at: Optional[int]) -> bool:
    return created_at is not None and created_at < int(time.time()) - GIVEN_TIME_SECONDS


def _timed_upsert(memory: UserMemory, since_creation: bool = True) -> UserMemoryUpsert:
    """``memory`` written with its own times: created at ``created_at``, updated at ``updated_at``
    (never before creation), or at creation when ``since_creation`` is false, as SqliteDb inserts."""
    upsert = UserMemoryUpsert(user_memory=_memoryd_memory(memory, memory.user_id or DEFAULT_USER))
    created = memory.created_at if memory.created_at is not None else int(time.time())
    upsert.create_time.FromSeconds(created)
    upsert.update_time.FromSeconds(max(created, memory.updated_at or created) if since_creation else created)
    return upsert


def _chunks(items: List[str], size: int) -> Iterable[List[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MemorydMemories:
    """Agno 3's memory methods on a memoryd client: what ``MemorydDb`` and ``AsyncMemorydDb`` share."""

    def __init__(self, client: MemoryClient) -> None:
        self.client = client

    def upsert_user_memory(
        self, memory: UserMemory, deserialize: Optional[bool] = True
    ) -> Optional[Union[UserMemory, Dict[str, Any]]]:
        if memory.memory_id is None:
            memory.memory_id = str(uuid4())
        user_id = memory.user_id or DEFAULT_USER
        if _is_past(memory.created_at) and not self._exists(user_id, memory.memory_id):
            # A new memory created in the past (a copy, a restore): SqliteDb keeps that time, so does this.
            return _shaped(self._batch_upsert([_timed_upsert(memory, since_creation=False)])[0], deserialize)
        stored = self.client.replace(
            user_id,
            memory.memory_id,
            memory.memory,
            topics=memory.topics or (),
            input=memory.input,
            feedback=memory.feedback,
            agent_id=memory.agent_id or "",
            team_id=memory.team_id or "",
            # Agno 3 has no labels or expiry: an upsert clears them, as it sets every other field.
            labels=None,
            expire_time=None,
            allow_missing=True,
        )
        return _shaped(stored, deserialize)

    def _exists(self, user_id: str, memory_id: str) -> bool:
        return bool(self.client.list(user_id, memory_ids=[memory_id], page_size=1).user_memories)

    def _batch_upsert(self, upserts: List[UserMemoryUpsert]) -> List[MemorydMemory]:
        try:
            return self.client.batch_upsert(upserts)
        except grpc.RpcError as error:
            if error_details(error).reason == "OPERATOR_SCOPE_REQUIRED":
                raise PermissionError(
                    f"{error.details()}: writing a memory with its own times (upsert_memories with "
                    "preserve_updated_at, or a new memory created in the past) needs an operator token"
                ) from error
            raise

    def upsert_memories(
        self, memories: List[UserMemory], deserialize: Optional[bool] = True, preserve_updated_at: bool = False
    ) -> List[Union[UserMemory, Dict[str, Any]]]:
        for memory in memories:
            if memory.memory_id is None:
                memory.memory_id = str(uuid4())
        # One result per memory, the last of any repeated id winning, as SqliteDb's bulk upsert.
        unique = list({(m.user_id or DEFAULT_USER, m.memory_id): m for m in memories}.values())
        if not preserve_updated_at:
            # The server's clock sets update times; without a batch replace, one call each.
            return [self.upsert_user_memory(m, deserialize) for m in unique]  # type: ignore[misc]
        stored: List[MemorydMemory] = []
        for start in range(0, len(unique), BATCH):
            stored.extend(self._batch_upsert([_timed_upsert(m) for m in unique[start : start + BATCH]]))
        return [_shaped(m, deserialize) for m in stored]

    def get_user_memory(
        self, memory_id: str, deserialize: Optional[bool] = True, user_id: Optional[str] = None
    ) -> Optional[Union[UserMemory, Dict[str, Any]]]:
        if user_id == NO_USER:
            return None
        if user_id is not None:
            try:
                return _shaped(self.client.get(user_id, memory_id), deserialize)
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
        # Agno's ids are global; memoryd's are per user: the most recently updated holder answers.
        page = self.client.list(all_users=True, memory_ids=[memory_id], order_by="update_time desc", page_size=1)
        return _shaped(page.user_memories[0], deserialize) if page.user_memories else None

    def get_user_memories(
        self,
        user_id: Optional[str] = None,
        agent_id: Optional[str] = None,
        team_id: Optional[str] = None,
        topics: Optional[List[str]] = None,
        search_content: Optional[str] = None,
        limit: Optional[int] = None,
        page: Optional[int] = None,
        sort_by: Optional[str] = None,
        sort_order: Optional[str] = None,
        deserialize: Optional[bool] = True,
    ) -> Union[List[UserMemory], Tuple[List[Dict[str, Any]], int]]:
        if user_id == NO_USER:
            validate_pagination(limit, page)
            return [] if deserialize else ([], 0)
        scope: Dict[str, Any] = {
            "user_id": user_id or "",
            "all_users": user_id is None,
            "agent_id": agent_id or "",
            "team_id": team_id or "",
            "all_topics": topics or (),
            "order_by": _order_by(sort_by, sort_order),
        }
        if search_content:
            read: Callable[..., Any] = lambda **paging: self.client.search_page(query=search_content, **scope, **paging)
        else:
            read = lambda **paging: self.client.list(**scope, **paging)
        # Only deserialize=False returns the total, so only then is it counted.
        found, total = _pages(read, "user_memories", limit, page, count=not deserialize)
        if deserialize:
            return [UserMemory.from_dict(_row(m)) for m in found]
        return [_row(m) for m in found], total

    def get_all_memory_topics(self, user_id: Optional[str] = None) -> List[str]:
        if user_id == NO_USER:
            return []
        return [topic.topic for topic in self.client.iter_topics(user_id or "")]

    def get_user_memory_stats(
        self, limit: Optional[int] = None, page: Optional[int] = None, user_id: Optional[str] = None
    ) -> Tuple[List[Dict[str, Any]], int]:
        if user_id == NO_USER:
            validate_pagination(limit, page)
            return [], 0
        read = lambda **paging: self.client.list_user_stats(user_id or "", **paging)  # noqa: E731
        stats, total = _pages(read, "user_stats", limit, page, count=True)
        rows = [
            {"user_id": s.user_id, "total_memories": s.memory_count, "last_memory_updated_at": _seconds(s.last_update_time)}
            for s in stats
        ]
        return rows, total

    def delete_user_memory(self, memory_id: str, user_id: Optional[str] = None) -> None:
        self.delete_user_memories([memory_id], user_id)

    def delete_user_memories(self, memory_ids: List[str], user_id: Optional[str] = None) -> None:
        if user_id == NO_USER:
            return
        ids = list(dict.fromkeys(memory_ids))
        if user_id is not None:
            for chunk in _chunks(ids, BATCH):
                self.client.batch_delete(user_id, chunk, allow_missing=True)
            return
        # By id alone, as Agno's global ids mean: every user's memory with one of the ids.
        for chunk in _chunks(ids, FILTER_IDS):
            holders: Dict[str, List[str]] = {}
            for memory in self.client.iter_memories(all_users=True, memory_ids=chunk):
                holders.setdefault(memory.user_id, []).append(memory.memory_id)
            for holder, held in holders.items():
                for part in _chunks(held, BATCH):
                    self.client.batch_delete(holder, part, allow_missing=True)

    def clear_memories(self) -> None:
        self.client.clear(all_users=True)

    def consolidate_user_memories(
        self, user_id: str, memory_ids: List[str], memories: List[UserMemory]
    ) -> List[UserMemory]:
        """Replaces ``memory_ids`` of ``user_id`` with ``memories`` in one ``ConsolidateUserMemories``
        call (or does neither). Beyond 500 ids, the rest are deleted after that call: a crash in
        between leaves some old memories beside the new ones, never neither."""
        ids = list(dict.fromkeys(memory_ids))
        new = [_memoryd_memory(memory, user_id) for memory in memories]
        created, _ = self.client.consolidate(user_id, ids[:BATCH], new, allow_missing=True)
        for chunk in _chunks(ids[BATCH:], BATCH):
            self.client.batch_delete(user_id, chunk, allow_missing=True)
        return [UserMemory.from_dict(_row(m)) for m in created]


def _delegating_method(name: str, asynchronous: bool) -> Callable[..., Any]:
    def delegate(self: Any) -> Any:
        if self.delegate_db is None:
            raise DelegateDbRequired(
                f"{type(self).__name__} keeps only memories: {name}() needs an Agno database to delegate to, "
                f"given as {type(self).__name__}(..., db=SqliteDb(db_file='agno.db')) or PostgresDb(...)"
            )
        return getattr(self.delegate_db, name)

    if asynchronous:

        async def forwarded_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            return await delegate(self)(*args, **kwargs)

        forwarded: Callable[..., Any] = forwarded_async
    else:

        def forwarded_sync(self: Any, *args: Any, **kwargs: Any) -> Any:
            return delegate(self)(*args, **kwargs)

        forwarded = forwarded_sync
    forwarded.__name__ = name
    forwarded.__doc__ = f"Agno's ``{name}``, on the Agno database given as ``db=`` (memoryd keeps only memories)."
    return forwarded


# Kept from BaseDb itself: they describe this object, not the delegate's tables.
_NOT_DELEGATED = MEMORY_METHODS | {"to_dict", "from_dict", "close"}


def _delegate_the_rest(cls: type, base: type) -> type:
    """Defines on ``cls`` every public method of ``base`` but the memory methods, forwarding to ``db=``."""
    for name, member in inspect.getmembers(base):
        if name.startswith("_") or name in _NOT_DELEGATED or name in vars(cls) or not callable(member):
            continue
        if isinstance(inspect.getattr_static(base, name), (classmethod, staticmethod)):
            continue
        setattr(cls, name, _delegating_method(name, inspect.iscoroutinefunction(member)))
    cls._create_all_tables = _create_all_tables if base is BaseDb else _acreate_all_tables  # type: ignore[attr-defined]
    cls.__abstractmethods__ = frozenset()  # type: ignore[attr-defined]
    return cls


def _create_all_tables(self: Any) -> None:
    # AgentOS provisions each database it serves at start-up through this private hook.
    create = getattr(self.delegate_db, "_create_all_tables", None)
    if callable(create):
        create()


async def _acreate_all_tables(self: Any) -> None:
    create = getattr(self.delegate_db, "_create_all_tables", None)
    if callable(create):
        created = create()
        if inspect.isawaitable(created):
            await created


def _attach(adapter: Any, address: str, db: Any, client: Optional[MemoryClient], client_options: Dict[str, Any]) -> None:
    """What both adapters hold: the delegate, whose table names they take (AgentOS reads them off
    the db it serves), and the memoryd client with the memory methods on it."""
    adapter.delegate_db = db
    if db is not None:
        for attribute, value in vars(db).items():
            if attribute.endswith("_table_name"):
                setattr(adapter, attribute, value)
    adapter.client = client or MemoryClient(address, **client_options)
    adapter.memories = MemorydMemories(adapter.client)


class MemorydDb(BaseDb):
    """Agno 3 ``BaseDb``: memories in memoryd, everything else in ``db``.

    Args:
        address: ``host:port`` of memoryd.
        db: the Agno database for sessions, runs, metrics, evals, knowledge and the rest
            (``SqliteDb``, ``PostgresDb``, ...); optional when only memories are used.
        client: an existing ``MemoryClient`` instead of ``address`` and ``client_options``
            (``token``, TLS certificates, ``timeout``), which are passed to it.
        id: this database's id in AgentOS; a new UUID by default.
    """

    def __init__(
        self,
        address: str = "127.0.0.1:50051",
        *,
        db: Optional[BaseDb] = None,
        client: Optional[MemoryClient] = None,
        id: Optional[str] = None,
        **client_options: Any,
    ) -> None:
        super().__init__(id=id)
        _attach(self, address, db, client, client_options)

    def close(self) -> None:
        self.client.close()
        if self.delegate_db is not None:
            self.delegate_db.close()

    def upsert_user_memory(self, memory: UserMemory, deserialize: Optional[bool] = True):
        return self.memories.upsert_user_memory(memory, deserialize)

    def upsert_memories(self, memories: List[UserMemory], deserialize: Optional[bool] = True, preserve_updated_at: bool = False):
        return self.memories.upsert_memories(memories, deserialize, preserve_updated_at)

    def get_user_memory(self, memory_id: str, deserialize: Optional[bool] = True, user_id: Optional[str] = None):
        return self.memories.get_user_memory(memory_id, deserialize, user_id)

    def get_user_memories(self, *args: Any, **kwargs: Any):
        return self.memories.get_user_memories(*args, **kwargs)

    def get_all_memory_topics(self, user_id: Optional[str] = None) -> List[str]:
        return self.memories.get_all_memory_topics(user_id)

    def get_user_memory_stats(self, limit: Optional[int] = None, page: Optional[int] = None, user_id: Optional[str] = None):
        return self.memories.get_user_memory_stats(limit, page, user_id)

    def delete_user_memory(self, memory_id: str, user_id: Optional[str] = None) -> None:
        self.memories.delete_user_memory(memory_id, user_id)

    def delete_user_memories(self, memory_ids: List[str], user_id: Optional[str] = None) -> None:
        self.memories.delete_user_memories(memory_ids, user_id)

    def clear_memories(self) -> None:
        self.memories.clear_memories()

    def consolidate_user_memories(self, user_id: str, memory_ids: List[str], memories: List[UserMemory]) -> List[UserMemory]:
        """See ``MemorydMemories.consolidate_user_memories``."""
        return self.memories.consolidate_user_memories(user_id, memory_ids, memories)


class AsyncMemorydDb(AsyncBaseDb):
    """Agno 3 ``AsyncBaseDb``: ``MemorydDb``'s memory methods as coroutines (each runs the gRPC
    call on a worker thread, so the event loop never waits on the network), everything else on
    ``db``, an async Agno database (``AsyncSqliteDb``, ``AsyncPostgresDb``, ...)."""

    def __init__(
        self,
        address: str = "127.0.0.1:50051",
        *,
        db: Optional[AsyncBaseDb] = None,
        client: Optional[MemoryClient] = None,
        id: Optional[str] = None,
        **client_options: Any,
    ) -> None:
        super().__init__(id=id)
        _attach(self, address, db, client, client_options)

    async def close(self) -> None:  # type: ignore[override]
        self.client.close()
        if self.delegate_db is not None:
            closing = self.delegate_db.close()
            if inspect.isawaitable(closing):
                await closing

    async def upsert_user_memory(self, memory: UserMemory, deserialize: Optional[bool] = True):
        return await asyncio.to_thread(self.memories.upsert_user_memory, memory, deserialize)

    async def upsert_memories(self, memories: List[UserMemory], deserialize: Optional[bool] = True, preserve_updated_at: bool = False):
        return await asyncio.to_thread(self.memories.upsert_memories, memories, deserialize, preserve_updated_at)

    async def get_user_memory(self, memory_id: str, deserialize: Optional[bool] = True, user_id: Optional[str] = None):
        return await asyncio.to_thread(self.memories.get_user_memory, memory_id, deserialize, user_id)

    async def get_user_memories(self, *args: Any, **kwargs: Any):
        return await asyncio.to_thread(self.memories.get_user_memories, *args, **kwargs)

    async def get_all_memory_topics(self, user_id: Optional[str] = None) -> List[str]:
        return await asyncio.to_thread(self.memories.get_all_memory_topics, user_id)

    async def get_user_memory_stats(self, limit: Optional[int] = None, page: Optional[int] = None, user_id: Optional[str] = None):
        return await asyncio.to_thread(self.memories.get_user_memory_stats, limit, page, user_id)

    async def delete_user_memory(self, memory_id: str, user_id: Optional[str] = None) -> None:
        await asyncio.to_thread(self.memories.delete_user_memory, memory_id, user_id)

    async def delete_user_memories(self, memory_ids: List[str], user_id: Optional[str] = None) -> None:
        await asyncio.to_thread(self.memories.delete_user_memories, memory_ids, user_id)

    async def clear_memories(self) -> None:
        await asyncio.to_thread(self.memories.clear_memories)

    async def consolidate_user_memories(self, user_id: str, memory_ids: List[str], memories: List[UserMemory]) -> List[UserMemory]:
        """See ``MemorydMemories.consolidate_user_memories``."""
        return await asyncio.to_thread(self.memories.consolidate_user_memories, user_id, memory_ids, memories)


_delegate_the_rest(MemorydDb, BaseDb)
_delegate_the_rest(AsyncMemorydDb, AsyncBaseDb)


class MemorydMemoryManager(MemoryManager):
    """Agno's ``MemoryManager``, whose memory optimisation is atomic on a memoryd database.

    Agno's own ``optimize_memories`` deletes every memory of the user and then upserts the
    optimised ones one by one; on ``MemorydDb`` / ``AsyncMemorydDb`` this one replaces the
    memories it optimised (only those: not one added meanwhile) with the result in a single
    ``ConsolidateUserMemories`` call. On other databases it is Agno's.
    """

    def _strategy(self, strategy: Union[MemoryOptimizationStrategyType, MemoryOptimizationStrategy]) -> MemoryOptimizationStrategy:
        if isinstance(strategy, MemoryOptimizationStrategyType):
            return MemoryOptimizationStrategyFactory.create_strategy(strategy)
        return strategy

    def optimize_memories(
        self,
        user_id: Optional[str] = None,
        strategy: Union[MemoryOptimizationStrategyType, MemoryOptimizationStrategy] = MemoryOptimizationStrategyType.SUMMARIZE,
        apply: bool = True,
    ) -> List[UserMemory]:
        if not apply or not isinstance(self.db, MemorydDb):
            return super().optimize_memories(user_id=user_id, strategy=strategy, apply=apply)
        user_id = user_id or DEFAULT_USER
        memories = self.get_user_memories(user_id=user_id) or []
        if not memories:
            return []
        optimized = self._strategy(strategy).optimize(memories=memories, model=self.get_model())
        return self.db.consolidate_user_memories(user_id, [m.memory_id for m in memories if m.memory_id], optimized)

    async def aoptimize_memories(
        self,
        user_id: Optional[str] = None,
        strategy: Union[MemoryOptimizationStrategyType, MemoryOptimizationStrategy] = MemoryOptimizationStrategyType.SUMMARIZE,
        apply: bool = True,
    ) -> List[UserMemory]:
        if not apply or not isinstance(self.db, (MemorydDb, AsyncMemorydDb)):
            return await super().aoptimize_memories(user_id=user_id, strategy=strategy, apply=apply)
        user_id = user_id or DEFAULT_USER
        if isinstance(self.db, AsyncMemorydDb):
            memories = await self.aget_user_memories(user_id=user_id) or []
        else:
            memories = self.get_user_memories(user_id=user_id) or []
        if not memories:
            return []
        optimized = await self._strategy(strategy).aoptimize(memories=memories, model=self.get_model())
        ids = [m.memory_id for m in memories if m.memory_id]
        if isinstance(self.db, AsyncMemorydDb):
            return await self.db.consolidate_user_memories(user_id, ids, optimized)
        return self.db.consolidate_user_memories(user_id, ids, optimized)
