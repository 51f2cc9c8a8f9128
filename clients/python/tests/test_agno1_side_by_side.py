"""The same scripts on Agno 1.8.4's own SqliteMemoryDb and on MemorydMemoryDb,
through Agno's unchanged Memory: what they observe must match.

memoryd runs on SQLite and on PostgreSQL (large_message_server), with a
message limit above gRPC's default as deployments set it.
"""

from datetime import datetime, timedelta

import pytest

agno_memory = pytest.importorskip("agno.memory.v2.memory")

from agno.memory.v2.db.schema import MemoryRow  # noqa: E402
from agno.memory.v2.db.sqlite import SqliteMemoryDb  # noqa: E402
from agno.memory.v2.schema import UserMemory  # noqa: E402

from memoryd.agno import MemorydMemoryDb  # noqa: E402


@pytest.fixture
def agno_db(tmp_path):
    db = SqliteMemoryDb(db_file=str(tmp_path / "agno.db"))
    db.create()
    return db


@pytest.fixture
def memoryd_db(large_message_server):
    return MemorydMemoryDb(address=large_message_server.address)


def side_by_side(script, agno_db, memoryd_db):
    """Runs `script(db)` on both databases; returns Agno's result after asserting memoryd's is the same."""
    agno_result = script(agno_db)
    assert script(memoryd_db) == agno_result
    return agno_result


def contents(memory, user_id):
    """A user's memories as Memory gives them, in an order both databases agree on.

    (Agno's read order is by created_at, which SQLite keeps to the second.)
    """
    return sorted((m.memory_id, m.memory, m.topics, m.input) for m in memory.get_user_memories(user_id=user_id))


def outcome(call):
    """What a call did: returned None, or raised (Memory itself raises KeyError for a user without memories)."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - the exception is the observation
        return type(error).__name__


def test_topics_come_back_as_agno_returns_them(agno_db, memoryd_db, user_id):
    def script(db):
        memory = agno_memory.Memory(db=db)
        memory.add_user_memory(UserMemory(memory="no topics", memory_id="none"), user_id=user_id)
        memory.add_user_memory(UserMemory(memory="topics", memory_id="some", topics=["food", "ui"], input="said so"), user_id=user_id)
        stored_keys = {row.id: sorted(row.memory) for row in db.read_memories(user_id=user_id)}
        return contents(memory, user_id), stored_keys

    (without, with_topics), stored_keys = side_by_side(script, agno_db, memoryd_db)
    assert without == ("none", "no topics", None, None)
    assert with_topics == ("some", "topics", ["food", "ui"], "said so")
    assert stored_keys["none"] == ["last_updated", "memory", "memory_id"]


def test_empty_topics_come_back_as_none_where_agno_keeps_the_empty_list(agno_db, memoryd_db, user_id):
    # The one remaining difference: memoryd stores no difference between no topics and [].
    def topics_of_empty(db):
        memory = agno_memory.Memory(db=db)
        memory.add_user_memory(UserMemory(memory="empty topics", memory_id="empty", topics=[]), user_id=user_id)
        return memory.get_user_memory("empty", user_id=user_id).topics

    assert topics_of_empty(agno_db) == []
    assert topics_of_empty(memoryd_db) is None


def test_a_shared_memory_id_moves_to_the_last_writer_and_delete_removes_it(agno_db, memoryd_db, user_id):
    other = f"{user_id}-other"

    def script(db):
        memory = agno_memory.Memory(db=db)
        memory.add_user_memory(UserMemory(memory="mine", memory_id="shared"), user_id=user_id)
        memory.add_user_memory(UserMemory(memory="theirs", memory_id="shared"), user_id=other)
        # Agno's primary key is the id: the second upsert takes the row over.
        after_upsert = (contents(memory, user_id), contents(memory, other))
        exists = db.memory_exists(MemoryRow(id="shared", user_id=user_id, memory={}))
        # The first user no longer has it, and has no memories at all: Agno's Memory raises KeyError.
        wrong_delete = outcome(lambda: memory.delete_user_memory("shared", user_id=user_id))
        after_wrong_delete = (wrong_delete, contents(memory, other))
        memory.delete_user_memory("shared", user_id=other)
        after_delete = (contents(memory, user_id), contents(memory, other))
        return after_upsert, exists, after_wrong_delete, after_delete

    after_upsert, exists, after_wrong_delete, after_delete = side_by_side(script, agno_db, memoryd_db)
    assert after_upsert == ([], [("shared", "theirs", None, None)])
    assert exists
    assert after_wrong_delete == ("KeyError", [("shared", "theirs", None, None)])
    assert after_delete == ([], [])


def test_a_shared_memory_id_written_elsewhere_is_deleted_from_every_holder(agno_db, memoryd_db, user_id, large_message_server):
    # Two users got one id through another process: a delete by id leaves no memory with it, as in Agno's table.
    other = f"{user_id}-other"

    def script(db):
        if isinstance(db, MemorydMemoryDb):
            for owner in (user_id, other):
                MemorydMemoryDb(address=large_message_server.address).upsert_memory(
                    MemoryRow(id="shared", user_id=owner, memory={"memory": owner})
                )
        else:
            db.upsert_memory(MemoryRow(id="shared", user_id=other, memory={"memory": other}))
        memory = agno_memory.Memory(db=db)
        memory.get_user_memories(user_id=user_id)  # what this user's agent would have read first
        memory.delete_user_memory("shared", user_id=other)
        return contents(memory, user_id), contents(memory, other)

    # Agno's table held one row, memoryd two; the delete leaves none in either.
    assert side_by_side(script, agno_db, memoryd_db) == ([], [])


def test_a_user_with_more_than_a_message_of_memories_can_be_read(agno_db, memoryd_db, user_id):
    large_input = "x" * 20_000

    def script(db):
        memory = agno_memory.Memory(db=db)
        for i in range(250):
            memory.add_user_memory(
                UserMemory(memory=f"memory {i}", memory_id=f"m{i:03}", input=large_input), user_id=user_id, refresh_from_db=False
            )
        memories = memory.get_user_memories(user_id=user_id)
        return (
            len(memories),
            all(m.input == large_input for m in memories),
            [m.memory for m in memory.search_user_memories(retrieval_method="last_n", limit=2, user_id=user_id)],
        )

    assert side_by_side(script, agno_db, memoryd_db) == (250, True, ["memory 248", "memory 249"])


def test_an_explicit_last_updated_is_kept_and_orders_first_n_and_last_n(agno_db, memoryd_db, user_id):
    three_days_ago = datetime.now() - timedelta(days=3)
    two_days_ago = datetime.now() - timedelta(days=2)
    an_hour_ago = datetime.now() - timedelta(hours=1)

    def script(db):
        memory = agno_memory.Memory(db=db)
        memory.add_user_memory(UserMemory(memory="written now", memory_id="now"), user_id=user_id)
        memory.add_user_memory(UserMemory(memory="two days ago", memory_id="two", last_updated=two_days_ago), user_id=user_id)
        memory.add_user_memory(UserMemory(memory="three days ago", memory_id="three", last_updated=three_days_ago), user_id=user_id)
        first_n = [m.memory for m in memory.search_user_memories(retrieval_method="first_n", limit=3, user_id=user_id)]
        # A replace at an earlier time moves the memory back, and keeps it readable.
        memory.replace_user_memory("now", UserMemory(memory="an hour ago", last_updated=an_hour_ago), user_id=user_id)
        last_n = [m.memory for m in memory.search_user_memories(retrieval_method="last_n", limit=3, user_id=user_id)]
        # By text: after a replace, Agno returns memory_id None (the adapter returns the id).
        times = {m.memory: m.last_updated for m in memory.get_user_memories(user_id=user_id)}
        return first_n, last_n, times

    first_n, last_n, times = side_by_side(script, agno_db, memoryd_db)
    assert first_n == ["three days ago", "two days ago", "written now"]
    assert last_n == ["three days ago", "two days ago", "an hour ago"]
    assert times == {"an hour ago": an_hour_ago, "two days ago": two_days_ago, "three days ago": three_days_ago}


def test_a_last_updated_in_the_future_is_stored_as_the_time_of_the_write(agno_db, memoryd_db, user_id):
    tomorrow = datetime.now() + timedelta(days=1)

    def script(db):
        memory = agno_memory.Memory(db=db)
        memory.add_user_memory(UserMemory(memory="earlier", memory_id="earlier"), user_id=user_id)
        before = datetime.now()
        memory.add_user_memory(UserMemory(memory="from the future", memory_id="future", last_updated=tomorrow), user_id=user_id)
        after = datetime.now()
        stored = memory.get_user_memory("future", user_id=user_id)
        newest = [m.memory for m in memory.search_user_memories(retrieval_method="last_n", limit=1, user_id=user_id)]
        return newest, stored.memory, before, stored.last_updated, after

    # Still the newest, as in Agno, and still written...
    agno_newest, agno_text, _, agno_time, _ = script(agno_db)
    newest, text, before, stored_time, after = script(memoryd_db)
    assert (newest, text) == (agno_newest, agno_text) == (["from the future"], "from the future")
    # ...but memoryd refuses times after its clock: the time is the write's, where Agno keeps tomorrow.
    assert agno_time == tomorrow
    assert before <= stored_time <= after
