"""Agno 1.8.4's own Memory, unchanged, on MemorydMemoryDb."""

import pytest

agno_memory = pytest.importorskip("agno.memory.v2.memory")

from agno.memory.v2.schema import UserMemory  # noqa: E402

from memoryd import MemoryClient  # noqa: E402
from memoryd.agno import MemorydMemoryDb  # noqa: E402


def test_memory_operations_survive_a_server_restart(server, user_id):
    memory = agno_memory.Memory(db=MemorydMemoryDb(address=server.address))

    tea = memory.add_user_memory(UserMemory(memory="Likes green tea", topics=["food"]), user_id=user_id)
    dark = memory.add_user_memory(UserMemory(memory="Prefers dark mode", topics=["ui"], input="dark please"), user_id=user_id)
    bike = memory.add_user_memory(UserMemory(memory="Rides a bike to work"), user_id=user_id)
    assert len({tea, dark, bike}) == 3

    # Newest first, like Agno's own backends.
    assert [m.memory for m in memory.get_user_memories(user_id=user_id)] == [
        "Rides a bike to work",
        "Prefers dark mode",
        "Likes green tea",
    ]
    fetched = memory.get_user_memory(dark, user_id=user_id)
    assert (fetched.memory, fetched.topics, fetched.input, fetched.memory_id) == ("Prefers dark mode", ["ui"], "dark please", dark)
    assert memory.get_user_memory("no-such-id", user_id=user_id) is None

    assert memory.replace_user_memory(tea, UserMemory(memory="Likes oolong tea", topics=["food"]), user_id=user_id) == tea
    assert memory.get_user_memory(tea, user_id=user_id).memory == "Likes oolong tea"

    # last_n: most recently updated (the replaced one); first_n: least recently updated.
    assert [m.memory for m in memory.search_user_memories(retrieval_method="last_n", limit=1, user_id=user_id)] == ["Likes oolong tea"]
    assert [m.memory for m in memory.search_user_memories(retrieval_method="first_n", limit=1, user_id=user_id)] == ["Prefers dark mode"]

    memory.delete_user_memory(bike, user_id=user_id)
    assert memory.get_user_memory(bike, user_id=user_id) is None

    server.restart()

    after_restart = agno_memory.Memory(db=MemorydMemoryDb(address=server.address))
    assert sorted(m.memory for m in after_restart.get_user_memories(user_id=user_id)) == ["Likes oolong tea", "Prefers dark mode"]
    assert after_restart.get_user_memory(tea, user_id=user_id).topics == ["food"]


def test_users_stay_apart_and_clear_empties_the_store(server, user_id):
    memory = agno_memory.Memory(db=MemorydMemoryDb(address=server.address))
    other = f"{user_id}-other"
    mine = memory.add_user_memory(UserMemory(memory="mine"), user_id=user_id)
    memory.add_user_memory(UserMemory(memory="theirs"), user_id=other)
    assert [m.memory for m in memory.get_user_memories(user_id=user_id)] == ["mine"]
    assert memory.get_user_memory(mine, user_id=other) is None

    memory.clear()
    with MemoryClient(server.address) as client:
        assert list(client.iter_memories(user_id)) == [] and list(client.iter_memories(other)) == []
    assert memory.get_user_memories(user_id=user_id) == []


def test_db_interface_directly(server, user_id):
    from agno.memory.v2.db.schema import MemoryRow

    db = MemorydMemoryDb(address=server.address)
    row = MemoryRow(id="fixed-id", user_id=user_id, memory={"memory": "direct", "topics": ["x"]})
    assert not db.memory_exists(row)
    stored = db.upsert_memory(row)
    assert stored.id == "fixed-id" and db.memory_exists(row)
    db.upsert_memory(MemoryRow(id="fixed-id", user_id=user_id, memory={"memory": "updated"}))
    rows = db.read_memories(user_id=user_id, limit=5, sort="asc")
    assert [(r.id, r.memory["memory"], r.memory.get("topics")) for r in rows] == [("fixed-id", "updated", None)]
    assert db.read_memories() == []  # never every user's memories at once
    db.delete_memory("fixed-id")
    assert db.read_memories(user_id=user_id) == []
    with pytest.raises(KeyError):
        db.delete_memory("never-seen")

    # As in Agno's table keyed by id: another user's upsert of the id takes the memory over, and delete removes it.
    other = f"{user_id}-other"
    db.upsert_memory(MemoryRow(id="shared", user_id=user_id, memory={"memory": "mine"}))
    db.upsert_memory(MemoryRow(id="shared", user_id=other, memory={"memory": "theirs"}))
    assert db.read_memories(user_id=user_id) == []
    assert [r.memory["memory"] for r in db.read_memories(user_id=other)] == ["theirs"]
    db.delete_memory("shared")
    assert db.read_memories(user_id=other) == []
