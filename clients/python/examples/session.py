"""A session with memoryd through the installed ``memoryd-client`` package:
add, get, every page of a listing, search, an update by field mask, a
replace guarded by an etag (and the ABORTED error it gets once stale),
delete and clear. Typed: ``mypy --strict session.py`` passes.

    python session.py 127.0.0.1:50051
"""

from __future__ import annotations

import sys
import uuid

from memoryd import MemoryClient, UserMemory
from memoryd.errors import EtagMismatch


def run(address: str) -> None:
    user = f"session-{uuid.uuid4()}"
    with MemoryClient(address) as client:
        first: UserMemory = client.create(user, "Prefers dark mode", topics=["ui"])
        for i in range(5):
            client.create(user, f"Fact {i}", topics=["facts"])
        print("get:", client.get(user, first.memory_id).memory)
        every = [m.memory_id for m in client.iter_memories(user, page_size=2)]
        print("listed:", len(every), "in pages of 2")
        print("search:", [m.memory for m in client.search(user, query="dark", limit=5)])
        updated = client.update(user, first.memory_id, topics=["ui", "a11y"])
        print("updated topics:", list(updated.topics), "text kept:", updated.memory)
        # replace sets every field, so each is given; update (above) changes only those it names.
        replaced = client.replace(
            user, first.memory_id, "Prefers light mode", topics=["ui"], input=None, agent_id="", team_id="",
            feedback=None, labels=None, expire_time=None, etag=updated.etag,
        )
        print("replaced:", replaced.memory)
        try:
            client.replace(
                user, first.memory_id, "Stale write", topics=[], input=None, agent_id="", team_id="",
                feedback=None, labels=None, expire_time=None, etag=updated.etag,
            )
        except EtagMismatch as error:
            print("stale etag:", error.code().name, error.reason)
        client.delete(user, first.memory_id)
        print("cleared:", client.clear(user))


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051")
