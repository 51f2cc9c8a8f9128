"""A drop-in Agno 1.x memory database backed by memoryd.

    from agno.memory.v2.memory import Memory
    from memoryd.agno import MemorydMemoryDb

    memory = Memory(db=MemorydMemoryDb(address="memoryd:50051"))

It implements Agno's ``MemoryDb`` interface on memoryd's API, fixing what
Agno's own backends get wrong where the interface allows it:

- reads page through the user's memories (keyset pages) instead of loading a
  table, and are scoped to one user: ``read_memories()`` without a user
  returns nothing rather than every user's memories;
- ``upsert_memory`` is one atomic upsert (``ReplaceUserMemory`` with
  ``allow_missing``), not a read followed by a write; as a replace, it
  also resets the memoryd fields Agno 1.x has no place for (agent_id,
  team_id, feedback, labels, expiration) on memories that other clients
  gave them;
- failures raise instead of being logged and forgotten (Agno's ``Memory``
  still catches the exceptions of its own upsert and delete helpers and only
  logs them; that code is Agno's);
- ids are always returned, timestamps are kept by the server.

Agno's interface deletes by memory id alone, while memoryd scopes every
memory to its user; the adapter remembers the owner of each id it has read
or written (``Memory`` always reads a user's memories before it deletes one),
and refuses to guess when two users have the same id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, Set

import grpc
from agno.memory.v2.db.base import MemoryDb
from agno.memory.v2.db.schema import MemoryRow

from memoryd.client import MemoryClient, UserMemory


def _local_naive(timestamp) -> datetime:
    # Agno compares last_updated values with naive local datetimes it makes
    # itself (datetime.now()); aware values would make those comparisons raise.
    return datetime.fromtimestamp(timestamp.seconds + timestamp.nanos / 1e9)


def _to_row(memory: UserMemory) -> MemoryRow:
    # Only the keys of Agno 1.x's UserMemory: its from_dict passes them all to
    # the dataclass, so memoryd's other fields would make it raise.
    fields = {"memory_id": memory.memory_id, "memory": memory.memory, "topics": list(memory.topics)}
    if memory.HasField("input"):
        fields["input"] = memory.input
    last_updated = _local_naive(memory.update_time)
    fields["last_updated"] = last_updated.isoformat()
    return MemoryRow(id=memory.memory_id, user_id=memory.user_id, memory=fields, last_updated=last_updated)


class MemorydMemoryDb(MemoryDb):
    """Agno ``MemoryDb`` on a memoryd server.

    Args:
        address: ``host:port`` of memoryd.
        client: an existing ``MemoryClient`` instead of ``address`` and the
            keyword arguments, which are passed to ``MemoryClient`` (``token``,
            TLS certificates, ``timeout``).
    """

    def __init__(self, address: str = "127.0.0.1:50051", *, client: Optional[MemoryClient] = None, **client_options) -> None:
        self.client = client or MemoryClient(address, **client_options)
        # memory id -> the users that have it: memoryd's ids are per user, so two may share one.
        self._owners: Dict[str, Set[str]] = {}

    def _remember(self, memory_id: str, user_id: str) -> None:
        self._owners.setdefault(memory_id, set()).add(user_id)

    def create(self) -> None:
        """Nothing to create: memoryd owns its schema."""

    def table_exists(self) -> bool:
        return True

    def memory_exists(self, memory: MemoryRow) -> bool:
        owners = self._owners.get(memory.id or "", set())
        user_id = memory.user_id or (next(iter(owners)) if len(owners) == 1 else None)
        if user_id is None or memory.id is None:
            return False
        try:
            self.client.get(user_id, memory.id)
            return True
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise

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
        stored = self.client.replace(
            user_id,
            memory.id or fields.get("memory_id") or "",
            fields["memory"],
            topics=fields.get("topics") or (),
            input=fields.get("input"),
            allow_missing=True,
        )
        self._remember(stored.memory_id, user_id)
        return _to_row(stored)

    def delete_memory(self, memory_id: str) -> None:
        owners = self._owners.get(memory_id, set())
        if len(owners) != 1:
            problem = "owner unknown; read the user's memories first" if not owners else f"held by {len(owners)} users"
            raise KeyError(f"memory {memory_id!r}: {problem}; not deleting")
        user_id = owners.pop()
        del self._owners[memory_id]
        self.client.delete(user_id, memory_id, allow_missing=True)

    def drop_table(self) -> None:
        """Deletes every memory, like dropping Agno's table."""
        self.clear()

    def clear(self) -> bool:
        """Deletes every user's memories, as Agno's ``clear`` does (needs an all-users token)."""
        self.client.clear(all_users=True)
        self._owners.clear()
        return True
