"""Writes memories with Agno 1.8.4's own Memory and one of its backends, for
the `memoryd import` tests, and prints what it wrote as JSON.

    python agno_fixture.py sqlite <db file> <table>
    python agno_fixture.py postgres <sqlalchemy url> <table>
    python agno_fixture.py mongodb <mongodb url> <collection> <database>
"""

import json
import sys
import time

from agno.memory.v2.memory import Memory
from agno.memory.v2.schema import UserMemory

kind, url, table = sys.argv[1:4]
if kind == "sqlite":
    from agno.memory.v2.db.sqlite import SqliteMemoryDb

    db = SqliteMemoryDb(table_name=table, db_file=url)
elif kind == "postgres":
    from agno.memory.v2.db.postgres import PostgresMemoryDb

    db = PostgresMemoryDb(table_name=table, db_url=url, schema="ai")
elif kind == "mongodb":
    from agno.memory.v2.db.mongodb import MongoMemoryDb

    db = MongoMemoryDb(collection_name=table, db_url=url, db_name=sys.argv[4])
else:
    raise SystemExit(f"unknown backend {kind}")

memory = Memory(db=db)
examples = [
    ("ada@example.com", "Prefers dark mode in applications", ["preferences", "ui"], "Please use a dark theme"),
    ("ada@example.com", "It's \"quoted\" and has a backslash \\ and a\nnewline", ["quirks"], None),
    ("grace", "Spricht Deutsch, mag Käse 🧀", [], "ich mag Käse"),
    (None, "A memory of the default user", None, None),
]
written = []
for user_id, text, topics, given_input in examples:
    memory_id = memory.add_user_memory(UserMemory(memory=text, topics=topics, input=given_input), user_id=user_id)
    written.append({"id": memory_id, "user_id": user_id or "default", "memory": text, "topics": topics or [], "input": given_input})
# Replace one later, so its update time differs from its creation time.
time.sleep(1.1)
# Agno's MongoMemoryDb loses ids on read (agno issue 3765), so there the
# replace finds nothing and returns None: record what was really stored.
first = written[0]
if memory.replace_user_memory(first["id"], UserMemory(memory="Prefers light mode now", topics=["ui"]), user_id=first["user_id"]):
    first.update(memory="Prefers light mode now", topics=["ui"], input=None, replaced=True)
print(json.dumps(written))
