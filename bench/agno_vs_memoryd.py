"""Agno's own Memory on SqliteMemoryDb, in process, against memoryd over the
network through its Python client: the same operations at several numbers
of memories per user. Run through `npm run bench:agno`, which starts memoryd.

    python bench/agno_vs_memoryd.py --address 127.0.0.1:50051 [--sizes 10,1000,10000] [--ops 20]
"""

import argparse
import json
import random
import tempfile
import time
import uuid

from agno.memory.v2.db.schema import MemoryRow
from agno.memory.v2.db.sqlite import SqliteMemoryDb
from agno.memory.v2.memory import Memory
from agno.memory.v2.schema import UserMemory

from memoryd import MemoryClient
from memoryd.v1 import user_memory_pb2

WORDS = "user prefers dark mode light theme concise answers coffee tea morning remote office travel berlin music jazz books".split()


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."


def per_call_ms(operation, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        operation()
    return (time.perf_counter() - started) / count * 1000


def agno(size: int, ops: int, rng: random.Random, directory: str) -> dict:
    db = SqliteMemoryDb(table_name="memory", db_file=f"{directory}/agno-{size}.db")
    db.create()
    user = f"agno-{uuid.uuid4()}"
    for _ in range(size):  # straight into the table: Memory.add_user_memory would reload all rows every time
        memory_id = str(uuid.uuid4())
        db.upsert_memory(MemoryRow(id=memory_id, user_id=user, memory=UserMemory(memory=text(rng), memory_id=memory_id).to_dict()))
    memory = Memory(db=db)
    return {
        "add": per_call_ms(lambda: memory.add_user_memory(UserMemory(memory=text(rng)), user_id=user), ops),
        "get_all": per_call_ms(lambda: memory.get_user_memories(user_id=user), ops),
    }


def memoryd(size: int, ops: int, rng: random.Random, address: str) -> dict:
    user = f"memoryd-{uuid.uuid4()}"
    with MemoryClient(address, timeout=60) as client:
        for start in range(0, size, 500):
            client.batch_create(user_memory_pb2.UserMemory(user_id=user, memory=text(rng)) for _ in range(min(500, size - start)))
        return {
            "add": per_call_ms(lambda: client.create(user, text(rng)), ops),
            "get_all": per_call_ms(lambda: list(client.iter_memories(user)), ops),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--ops", type=int, default=20)
    parser.add_argument("--out")
    args = parser.parse_args()
    rng = random.Random(1)
    rows = []
    print(f"{'memories':>9} | {'operation':<32} | {'Agno ms':>9} | {'memoryd ms':>10} | Agno / memoryd")
    with tempfile.TemporaryDirectory() as directory:
        for size in (int(s) for s in args.sizes.split(",")):
            a = agno(size, args.ops, rng, directory)
            m = memoryd(size, args.ops, rng, args.address)
            for op, label in (("add", "add_user_memory / CreateUserMemory"), ("get_all", "get_user_memories / List (all pages)")):
                ratio = a[op] / m[op]
                rows.append({"memories": size, "operation": op, "agno_ms": a[op], "memoryd_ms": m[op], "agno_over_memoryd": ratio})
                print(f"{size:>9} | {label:<32} | {a[op]:>9.2f} | {m[op]:>10.2f} | {ratio:>6.1f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
