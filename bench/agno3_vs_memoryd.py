"""Agno 3's ``get_user_memories`` on its own SqliteDb and PostgresDb (in
process) and on memoryd through ``memoryd.agno3.MemorydDb`` (memoryd on
SQLite and on PostgreSQL, over loopback gRPC), at several numbers of
memories per user. Run through `npm run bench:agno3`, which starts the
servers and a PostgreSQL cluster.

    python bench/agno3_vs_memoryd.py --sqlite-address A --postgres-address B --postgres-url URL [--sizes 10,1000,10000]

Two calls are timed: every memory of the user (what ``MemoryManager`` reads
before each memory task) and one AgentOS page (20 newest by update time,
with the total, ``deserialize=False``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from typing import Callable, Dict, List

os.environ.setdefault("AGNO_TELEMETRY", "false")

from agno.db.base import BaseDb
from agno.db.postgres import PostgresDb
from agno.db.schemas import UserMemory
from agno.db.sqlite import SqliteDb

from memoryd.agno3 import MemorydDb

WORDS = "user prefers dark mode light theme concise answers coffee tea morning remote office travel berlin music jazz books".split()


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."


def ms_per_call(call: Callable[[], object], budget_s: float, at_most: int) -> float:
    """Median ms of repeated calls, after one warm-up, within a time budget."""
    call()
    times: List[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < at_most and (len(times) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def seed(db: BaseDb, user: str, size: int, rng: random.Random) -> None:
    base = int(time.time()) - size - 10
    for start in range(0, size, 500):
        db.upsert_memories(
            [
                UserMemory(memory_id=str(uuid.uuid4()), memory=text(rng), topics=[rng.choice(WORDS)], user_id=user,
                           created_at=base + i, updated_at=base + i)
                for i in range(start, min(size, start + 500))
            ],
            preserve_updated_at=True,
        )


def measure(db: BaseDb, size: int, rng: random.Random, budget_s: float) -> Dict[str, float]:
    user = f"bench-{uuid.uuid4()}"
    seed(db, user, size, rng)
    every = lambda: db.get_user_memories(user_id=user)  # noqa: E731
    assert len(every()) == size
    page = lambda: db.get_user_memories(  # noqa: E731
        user_id=user, limit=20, page=1, sort_by="updated_at", sort_order="desc", deserialize=False
    )
    assert page()[1] == size
    return {"all": ms_per_call(every, budget_s, 200), "page": ms_per_call(page, budget_s, 200)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite-address", required=True)
    parser.add_argument("--postgres-address", required=True)
    parser.add_argument("--postgres-url", required=True, help="for Agno's PostgresDb: postgresql+psycopg://...")
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--out")
    args = parser.parse_args()
    rng = random.Random(1)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        stores = {
            "Agno SqliteDb": SqliteDb(db_file=f"{directory}/agno.db"),
            "Agno PostgresDb": PostgresDb(db_url=args.postgres_url),
            "memoryd (SQLite)": MemorydDb(args.sqlite_address, timeout=120),
            "memoryd (PostgreSQL)": MemorydDb(args.postgres_address, timeout=120),
        }
        print(f"{'memories':>9} | {'store':<21} | {'all memories ms':>15} | {'AgentOS page ms':>15}")
        for size in (int(s) for s in args.sizes.split(",")):
            for name, db in stores.items():
                result = measure(db, size, rng, args.budget)
                rows.append({"memories": size, "store": name, "all_ms": result["all"], "page_ms": result["page"]})
                print(f"{size:>9} | {name:<21} | {result['all']:>15.2f} | {result['page']:>15.2f}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
