"""A drop-in Agno 1.x memory database backed by memoryd.

    from agno.memory.v2.memory import Memory
    from memoryd.agno import MemorydMemoryDb

    memory = Memory(db=MemorydMemoryDb(address="memoryd:50051"))

It implements Agno's ``MemoryDb`` interface on memoryd's API and returns
what Agno 1.8.4's own ``SqliteMemoryDb`` returns, fixing what Agno's
backends get wrong where the interface allows it:

- reads page through the user's memories (keyset pages) instead of loading a
  table, and are scoped to one user: ``read_memories()`` without a user
  returns nothing rather than every user's memories;
- ``upsert_memory`` is one atomic write, not a read followed by a write
  (a ``get`` before it only finds the create time to keep); as a replace,
  it also resets the memoryd fields Agno 1.x has no place for (agent_id,
  team_id, feedback, labels, expiration) on memories that other clients
  gave them;
- failures raise instead of being logged and forgotten (Agno's ``Memory``
  still catches the exceptions of its own upsert and delete helpers and only
  logs them; that code is Agno's);
- ids are always returned.

Like Agno's backends, it keeps a memory's ``last_updated`` as given (that is
what ``Memory``'s ``first_n`` and ``last_n`` sort by), written with
``BatchUpsertUserMemories``: with authentication on, that needs an operator
token, or ``keep_last_updated=False`` to let the server's clock time every
write. memoryd refuses times after its clock, so a ``last_updated`` in the
future is stored as the time of the write.

Memories without topics come back with ``topics`` ``None``, as Agno returns
memories added without them; memoryd stores no difference between no topics
and an empty list, so ``topics=[]`` comes back ``None`` too.

Agno's table has one row per memory id, while memoryd scopes every memory to
its user. The adapter remembers the users of each id it has read or written
(``Memory`` always reads a user's memories before it writes or deletes one)
and follows Agno: a user's upsert of an id another user holds moves the
memory to the writer (the other user's copy is deleted), and a delete by id
deletes the id from every user known to hold it. An id it has never seen
cannot be found without its user: deleting it raises ``KeyError``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict, List, Optional, Set

import grpc
from agno.memory.v2.db.base import MemoryDb
from agno.memory.v2.db.schema import MemoryRow
from google.protobuf.timestamp_pb2 import Timestamp

from memoryd.client import MemoryClient, UserMemory, UserMemoryUpsert, error_details


def _local_naive(timestamp: Timestamp) -> datetime:
    # Agno compares last_updated values with naive local datetimes it makes
    # itself (datetime.now()); aware values would make those comparisons raise.
    return timestamp.ToDatetime(tzinfo=timezone.utc).astimezone().replace(tzinfo=None)


def _timestamp(value: datetime) -> Timestamp:
    timestamp = Timestamp()
    # Naive values are Agno's local datetime.now(); astimezone() reads them as local time.
    timestamp.FromDatetime(value.astimezone())
    return timestamp


def _given_last_updated(memory: MemoryRow) -> Optional[datetime]:
    # Memory sorts by the dict's last_updated (an ISO string from UserMemory.to_dict).
    given = memory.memory.get("last_updated") or memory.last_updated
    return datetime.fromisoformat(given) if isinstance(given, str) else given


def _to_row(memory: UserMemory) -> MemoryRow:
    # Only the keys of Agno 1.x's UserMemory, and like its to_dict only those
    # with a value: from_dict passes them all to the dataclass.
    fields = {"memory_id": memory.memory_id, "memory": memory.memory}
    if memory.topics:
        fields["topics"] = list(memory.topics)
    if memory.HasField("input"):
        fields["input"] = memory.input
    last_updated = _local_naive(memory.update_time)
    fields["last_updated"] = last_updated.isoformat()
    return MemoryRow(id=memory.memory_id, user_id=memory.user_id, memory=fields, last_updated=last_updated)


def _is_after_server_clock(error: grpc.RpcError) -> bool:
    if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
        return False
    return any("after the server's clock" in description for description in error_details(error).field_violations.values())


class MemorydMemoryDb(MemoryDb):
    """Agno ``MemoryDb`` on a memoryd server.

    Args:
        address: ``host:port`` of memoryd.
        client: an existing ``MemoryClient`` instead of ``address`` and the
            keyword arguments, which are passed to ``MemoryClient`` (``token``,
            TLS certificates, ``timeout``).
        keep_last_updated: store a memory's ``last_updated`` as its update
            time (needs an operator token when authentication is on); when
            false, the server's clock times every write.
    """

    def __init__(
        self,
        address: str = "127.0.0.1:50051",
        *,
        client: Optional[MemoryClient] = None,
        keep_last_updated: bool = True,
        **client_options,
    ) -> None:
        self.client = client or MemoryClient(address, **client_options)
        self.keep_last_updated = keep_last_updated
        # memory id -> the users that have it: memoryd's ids are per user, so two may share one.
        self._owners: Dict[str, Set[str]] = {}

    def _remember(self, memory_id: str, user_id: str) -> None:
        self._owners.setdefault(memory_id, set()).add(user_id)

    def create(self) -> None:
        """Nothing to create: memoryd owns its schema."""

    def table_exists(self) -> bool:
        return True

    def memory_exists(self, memory: MemoryRow) -> bool:
        """Whether any user known to hold the id (or the row's user) has it: Agno looks the id up alone."""
        candidates = {memory.user_id, *self._owners.get(memory.id or "", ())} - {None}
        for user_id in candidates:
            try:
                self.client.get(user_id, memory.id or "")
                return True
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
        return False

    def read_memories(
        self, user_id: Optional[str] = None, limit: Optional[int] = None, sort: Optional[str] = None
    ) -> List[MemoryRow]:
        if user_id is None:
            return []
        rows: List[MemoryRow] = []
        page_size = min(limit, 1000) if limit else 1000
        for memory in self.client.iter_memories(user_id, order_by="create_time" if sort == "asc" else "", page_size=page_size):
            self._remember(memory.memory_id, user_id)
            rows.append(_to_row(memory))
            if limit is not None and len(rows) >= limit:
                break
        return rows

    def upsert_memory(self, memory: MemoryRow) -> Optional[MemoryRow]:
        fields = memory.memory
        user_id = memory.user_id or "default"
        memory_id = memory.id or fields.get("memory_id") or ""
        content = UserMemory(
            user_id=user_id,
            memory_id=memory_id,
            memory=fields["memory"],
            topics=fields.get("topics") or (),
            input=fields.get("input"),
        )
        last_updated = _given_last_updated(memory) if self.keep_last_updated else None
        stored = self._write_keeping_time(content, last_updated) if last_updated else None
        if stored is None:
            # Agno 1.x has no agent, team, feedback, labels or expiry: a replace clears them.
            stored = self.client.replace(
                user_id,
                memory_id,
                content.memory,
                topics=content.topics,
                input=fields.get("input"),
                agent_id="",
                team_id="",
                feedback=None,
                labels=None,
                expire_time=None,
                allow_missing=True,
            )
        # Agno's table has one row per id: the writer's upsert takes it from any other user.
        for previous_owner in self._owners.get(memory_id, set()) - {user_id}:
            self.client.delete(previous_owner, memory_id, allow_missing=True)
        self._owners[memory_id] = {user_id}
        return _to_row(stored)

    def _write_keeping_time(self, content: UserMemory, last_updated: datetime) -> Optional[UserMemory]:
        """Writes `content` updated at `last_updated`; None when that is after the server's clock."""
        update_time = _timestamp(last_updated)
        # Keep an existing memory's create time (read order), unless it is after the update time, which memoryd refuses.
        create_time = update_time
        try:
            existing = self.client.get(content.user_id, content.memory_id)
            if existing.create_time.ToNanoseconds() < update_time.ToNanoseconds():
                create_time = existing.create_time
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        upsert = UserMemoryUpsert(user_memory=content, create_time=create_time, update_time=update_time)
        try:
            return self.client.batch_upsert([upsert])[0]
        except grpc.RpcError as error:
            if _is_after_server_clock(error):
                return None
            if error_details(error).reason == "OPERATOR_SCOPE_REQUIRED":
                raise PermissionError(
                    f"{error.details()}: keeping last_updated needs an operator token; "
                    "pass keep_last_updated=False to let the server's clock time writes"
                ) from error
            raise

    def delete_memory(self, memory_id: str) -> None:
        """Deletes the id from every user known to hold it, as Agno deletes the id's row whoever holds it."""
        owners = self._owners.get(memory_id)
        if not owners:
            raise KeyError(f"memory {memory_id!r}: owner unknown; read the user's memories first; not deleting")
        for user_id in sorted(owners):
            self.client.delete(user_id, memory_id, allow_missing=True)
        del self._owners[memory_id]

    def drop_table(self) -> None:
        """Deletes every memory, like dropping Agno's table."""
        self.clear()

    def clear(self) -> bool:
        """Deletes every user's memories, as Agno's ``clear`` does (needs an all-users token)."""
        self.client.clear(all_users=True)
        self._owners.clear()
        return True
