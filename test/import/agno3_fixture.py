"""Writes memories with Agno 3.1.10's own memory stores, for the
`memoryd import` tests, and prints what each memory should be once
imported, as JSON. Run with .venv-agno3/bin/python.

    python agno3_fixture.py sqlite <db file>
    python agno3_fixture.py postgres <sqlalchemy url> <schema>
    python agno3_fixture.py mongodb <mongodb url> <database>

Every store keeps Agno 3's default table (collection) name, agno_memories.
Two memories go through MemoryManager, as an agent writes them (times of
now); the others through the store's upsert_memories with
preserve_updated_at=True, as Agno's own migrations do, with distinct
creation and update times in the past, agent, team, feedback and no user.
"""

import json
import sys

from agno.db.schemas.memory import UserMemory
from agno.memory import MemoryManager

kind, url = sys.argv[1:3]
if kind == "sqlite":
    from agno.db.sqlite import SqliteDb

    db = SqliteDb(db_file=url)
elif kind == "postgres":
    from agno.db.postgres import PostgresDb

    db = PostgresDb(db_url=url, db_schema=sys.argv[3])
elif kind == "mongodb":
    from agno.db.mongo import MongoDb

    db = MongoDb(db_url=url, db_name=sys.argv[3])
else:
    raise SystemExit(f"unknown backend {kind}")

FIELDS = ("memory_id", "user_id", "memory", "topics", "input", "feedback", "agent_id", "team_id", "created_at", "updated_at")

manager = MemoryManager(db=db)
through_manager = [
    UserMemory(memory="Prefers dark mode in applications", topics=["preferences", "ui"], input="Please use a dark theme"),
    UserMemory(memory="It's \"quoted\" and has a backslash \\ and a\nnewline", agent_id="helper", team_id="crew"),
]
for memory, user_id in zip(through_manager, ["ada@example.com", None]):
    manager.add_user_memory(memory, user_id=user_id)

# 2024-05-01T10:00:00Z and later; every update a while after its creation.
with_times = [
    UserMemory(
        memory_id="grace-kase",
        user_id="grace",
        memory="Spricht Deutsch, mag Käse 🧀",
        topics=["sprache", "essen 🍽"],
        input="ich mag Käse",
        feedback="stimmt 👍",
        agent_id="übersetzer",
        team_id="team-ä",
        created_at=1714557600,
        updated_at=1714557600 + 86_400 * 3 + 7,
    ),
    UserMemory(
        memory_id="no-user",
        memory="A memory Agno stored without a user",
        topics=[],
        feedback="wrong",
        created_at=1714557600 + 60,
        updated_at=1714557600 + 3600,
    ),
    UserMemory(
        memory_id="ada-agent-only",
        user_id="ada@example.com",
        memory="Works on the analytical engine",
        topics=["work"],
        agent_id="historian",
        created_at=1714557600 + 120,
        updated_at=1714557600 + 120,
    ),
]
db.upsert_memories(with_times, preserve_updated_at=True)

expected = []
for memory in through_manager + with_times:
    stored = db.get_user_memory(memory.memory_id, deserialize=False)
    assert stored is not None, f"Agno did not store {memory.memory_id}"
    given = {field: getattr(memory, field) for field in FIELDS}
    if memory in with_times:
        for field in FIELDS:
            assert stored.get(field) == given[field], f"{memory.memory_id}: Agno stored {field}={stored.get(field)!r}, not {given[field]!r}"
    # MemoryManager's times are Agno's clock; and some backends leave out
    # fields on that path (MongoDb.upsert_user_memory writes neither input,
    # feedback nor created_at): expect what Agno really stored.
    dropped = [field for field in FIELDS if field not in stored]
    times = {"created_at": stored.get("created_at"), "updated_at": stored.get("updated_at")}
    expected.append(given | {field: None for field in dropped} | times | {"dropped": dropped})
print(json.dumps(expected))
