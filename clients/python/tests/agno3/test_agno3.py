"""memoryd as the memory store of the real agno==3.1.10 (run in .venv-agno3).

Each scenario runs twice, on ``MemorydDb`` (memoryd) and on Agno 3's own
``SqliteDb``, and the observable results must match; ``DIFFERENCES`` lists
where memoryd deliberately answers otherwise, each asserted where it shows.
The one stand-in is the model: ``ScriptedModel`` answers Agno's memory
prompts by fixed rules, the way an LLM would call the memory tools.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional

os.environ.setdefault("AGNO_TELEMETRY", "false")

import httpx
import pytest
import uvicorn
from agno.agent import Agent
from agno.db.base import BaseDb
from agno.db.schemas import UserMemory
from agno.db.sqlite import SqliteDb
from agno.memory import MemoryManager
from agno.memory.strategies.types import MemoryOptimizationStrategyType
from agno.models.base import Model
from agno.models.response import ModelResponse
from agno.os import AgentOS

from memoryd.agno3 import AsyncMemorydDb, DelegateDbRequired, MemorydDb, MemorydMemoryManager

from conftest import Server, free_port  # noqa: E402  (clients/python/tests/conftest.py)

#: Where memoryd answers unlike Agno's SqliteDb on purpose (docs/agno.md repeats this list).
DIFFERENCES = {
    "empty page total": "a page past the end reports the true total; SqliteDb reports 0 when the page is empty",
    "shared ids": "ids are per user: two users may hold the same id; SqliteDb's upsert of a taken id overwrites the other user's memory",
    "unknown sort_by": "sort_by other than created_at/updated_at sorts by creation; SqliteDb sorts by any column",
    "empty topics": "topics=[] comes back None (memoryd stores no difference); SqliteDb gives []",
}


class ScriptedModel(Model):
    """A deterministic model: the only stand-in. Agno's memory prompts are answered by rules
    on the user's message; a summary request gets the memories joined with "; "."""

    def __init__(self) -> None:
        super().__init__(id="scripted", name="ScriptedModel", provider="test")

    def _answer(self, messages: List[Any], tools: Optional[List[Any]] = None) -> ModelResponse:
        last = messages[-1]
        if last.role == "tool":
            return ModelResponse(role="assistant", content="done")
        text = str(last.content or "")
        if "memory compression assistant" in str(messages[0].content):
            facts = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Memory ")]
            return ModelResponse(role="assistant", content="; ".join(facts))
        tool_names = {(t.get("function") or {}).get("name") for t in tools or [] if isinstance(t, dict)}
        calls = []
        # "remember: fact [topic]" lines become add_memory calls, "forget: id" delete_memory calls.
        for line in text.splitlines():
            if line.startswith("remember: ") and "add_memory" in tool_names:
                fact, _, topic = line[len("remember: ") :].partition(" [")
                calls.append(("add_memory", {"memory": fact, "topics": [topic.rstrip("]")] if topic else None}))
            elif line.startswith("forget: ") and "delete_memory" in tool_names:
                calls.append(("delete_memory", {"memory_id": line[len("forget: ") :]}))
        if not calls:
            return ModelResponse(role="assistant", content="ok")
        return ModelResponse(
            role="assistant",
            tool_calls=[
                {"id": f"call-{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
                for i, (name, args) in enumerate(calls)
            ],
        )

    def invoke(self, messages: List[Any], *args: Any, tools: Optional[List[Any]] = None, **kwargs: Any) -> ModelResponse:
        return self._answer(messages, tools)

    async def ainvoke(self, messages: List[Any], *args: Any, tools: Optional[List[Any]] = None, **kwargs: Any) -> ModelResponse:
        return self._answer(messages, tools)

    def invoke_stream(self, messages: List[Any], *args: Any, tools: Optional[List[Any]] = None, **kwargs: Any) -> Iterator[ModelResponse]:
        yield self._answer(messages, tools)

    async def ainvoke_stream(self, messages: List[Any], *args: Any, tools: Optional[List[Any]] = None, **kwargs: Any):
        yield self._answer(messages, tools)

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response


@pytest.fixture(scope="session")
def postgres_server(postgres_url, tmp_path_factory):
    """memoryd on PostgreSQL (a throwaway cluster), beside the SQLite ``server``."""
    directory = tmp_path_factory.mktemp("memoryd-postgres")
    instance = Server(postgres_url, directory / "memoryd.log")
    yield instance
    instance.stop()


#: The stores every scenario runs on; the results of each memoryd store must equal Agno's.
STORES = ["memoryd on sqlite", "memoryd on postgres", "agno sqlite"]
AGNO = "agno sqlite"


@pytest.fixture(params=STORES)
def store(request, tmp_path) -> Iterator[BaseDb]:
    """The same Agno 3 database contract on memoryd (sessions in a SqliteDb beside it) and on Agno's SqliteDb."""
    agno_db = SqliteDb(db_file=str(tmp_path / "agno.db"))
    if request.param == AGNO:
        yield agno_db
        return
    server = request.getfixturevalue("server" if request.param == "memoryd on sqlite" else "postgres_server")
    db = MemorydDb(server.address, db=agno_db)
    yield db
    db.close()


def _observed(memories: List[UserMemory]) -> List[tuple]:
    """What a user sees of a memory, without ids and times, which differ between runs."""
    return sorted((m.memory, tuple(m.topics or ()), m.user_id, m.agent_id, m.team_id, m.input) for m in memories)


#: Each scenario's results, per store, for the cross-store comparison at the end.
RESULTS: Dict[str, Dict[str, Any]] = {}


def _record(scenario: str, request: pytest.FixtureRequest, result: Dict[str, Any], *users: str) -> None:
    """Keeps a scenario's results with its random user ids replaced by placeholders, so runs compare."""
    text = json.dumps(result, sort_keys=True, default=str)
    for i, user in enumerate(users):
        text = text.replace(user, f"<user {i}>")
    RESULTS.setdefault(scenario, {})[request.node.callspec.params["store"]] = json.loads(text)


def _memory_manager_flow(db: BaseDb, user: str) -> Dict[str, Any]:
    manager = MemoryManager(model=ScriptedModel(), db=db)
    seen: Dict[str, Any] = {}
    manager.create_user_memories(message="remember: likes green tea [drinks]\nremember: lives in Berlin [location]", user_id=user)
    seen["after create"] = _observed(manager.get_user_memories(user_id=user))
    berlin = next(m for m in manager.get_user_memories(user_id=user) if "Berlin" in m.memory)
    manager.add_user_memory(UserMemory(memory="plays the cello", topics=["hobbies"]), user_id=user)
    manager.replace_user_memory(berlin.memory_id, UserMemory(memory="lives in Hamburg", topics=["location"]), user_id=user)
    seen["after add and replace"] = _observed(manager.get_user_memories(user_id=user))
    seen["get one"] = _observed([manager.get_user_memory(berlin.memory_id, user_id=user)])
    seen["last 2"] = [m.memory for m in manager.search_user_memories(user_id=user, retrieval_method="last_n", limit=2)]
    seen["first 1"] = [m.memory for m in manager.search_user_memories(user_id=user, retrieval_method="first_n", limit=1)]
    manager.create_user_memories(message=f"forget: {berlin.memory_id}", user_id=user)
    seen["after forget"] = _observed(manager.get_user_memories(user_id=user))
    optimized = manager.optimize_memories(user_id=user, strategy=MemoryOptimizationStrategyType.SUMMARIZE)
    seen["optimized"] = _observed(optimized)
    seen["after optimize"] = _observed(manager.get_user_memories(user_id=user))
    manager.delete_user_memory(manager.get_user_memories(user_id=user)[0].memory_id, user_id=user)
    seen["after delete"] = _observed(manager.get_user_memories(user_id=user))
    manager.add_user_memory(UserMemory(memory="one more"), user_id=user)
    manager.clear_user_memories(user_id=user)
    seen["after clear"] = _observed(manager.get_user_memories(user_id=user))
    return seen


def test_memory_manager_flows(store, request):
    user = f"u-{uuid.uuid4()}"
    seen = _memory_manager_flow(store, user)
    assert seen["after create"] == sorted(
        [
            ("likes green tea", ("drinks",), seen["after create"][0][2], None, None, seen["after create"][0][5]),
            ("lives in Berlin", ("location",), seen["after create"][0][2], None, None, seen["after create"][0][5]),
        ]
    )
    assert [m[0] for m in seen["after add and replace"]] == ["likes green tea", "lives in Hamburg", "plays the cello"]
    assert seen["get one"][0][0] == "lives in Hamburg"
    assert len(seen["last 2"]) == 2 and len(seen["first 1"]) == 1
    assert [m[0] for m in seen["after forget"]] == ["likes green tea", "plays the cello"]
    assert [m[0] for m in seen["optimized"]] == ["likes green tea; plays the cello"]
    assert seen["after optimize"] == seen["optimized"]
    assert seen["after delete"] == [] and seen["after clear"] == []
    _record("memory manager", request, seen, user)


def _seed(db: BaseDb, user: str, count: int, topic_every: int = 3) -> List[str]:
    """``count`` memories for ``user`` with creation times one second apart, in order."""
    base = int(time.time()) - 10_000
    memories = [
        UserMemory(
            memory_id=f"{user}-{i:03}",
            memory=f"fact {i:03}",
            topics=["food"] if i % topic_every == 0 else ["misc"],
            user_id=user,
            created_at=base + i,
            updated_at=base + i,
        )
        for i in range(count)
    ]
    db.upsert_memories(memories, preserve_updated_at=True)
    return [m.memory_id for m in memories]


def test_db_contract(store, request):
    user, other = f"a-{uuid.uuid4()}", f"b-{uuid.uuid4()}"
    _seed(store, user, 7)
    _seed(store, other, 2)
    seen: Dict[str, Any] = {}
    page = store.get_user_memories(user_id=user, limit=3, page=2, sort_by="created_at", sort_order="asc", deserialize=False)
    seen["page 2 of 3"] = ([r["memory"] for r in page[0]], page[1])
    newest = store.get_user_memories(user_id=user, limit=2, sort_by="updated_at", sort_order="desc")
    seen["newest 2"] = [m.memory for m in newest]
    seen["topic food"] = [m.memory for m in store.get_user_memories(user_id=user, topics=["food"], sort_by="created_at", sort_order="asc")]
    seen["search"] = [m.memory for m in store.get_user_memories(user_id=user, search_content="FACT 00", sort_by="created_at", sort_order="asc")]
    seen["topics"] = sorted(store.get_all_memory_topics(user_id=user))
    stats, total = store.get_user_memory_stats(user_id=user)
    seen["stats"] = ([(s["user_id"], s["total_memories"]) for s in stats], total)
    row = store.get_user_memory(f"{user}-004", deserialize=False, user_id=user)
    seen["get row"] = {k: row[k] for k in ("memory", "topics", "user_id", "agent_id", "team_id", "input", "feedback")}
    seen["get by id alone"] = store.get_user_memory(f"{user}-001").memory
    seen["get missing"] = store.get_user_memory("no-such-id", user_id=user)
    store.delete_user_memories([f"{user}-000", f"{user}-001", "no-such-id"], user_id=user)
    store.delete_user_memory(f"{user}-002")
    seen["after deletes"] = [m.memory for m in store.get_user_memories(user_id=user, sort_by="created_at", sort_order="asc")]
    seen["other untouched"] = len(store.get_user_memories(user_id=other))
    assert seen["page 2 of 3"] == (["fact 003", "fact 004", "fact 005"], 7)
    assert seen["newest 2"] == ["fact 006", "fact 005"]
    assert seen["topic food"] == ["fact 000", "fact 003", "fact 006"]
    assert seen["search"] == [f"fact 00{i}" for i in range(7)]
    assert seen["stats"] == ([(user, 7)], 1)
    assert seen["get missing"] is None
    assert seen["after deletes"] == ["fact 003", "fact 004", "fact 005", "fact 006"]
    assert seen["other untouched"] == 2
    _record("db contract", request, seen, user, other)


def test_empty_page_total(store):
    """The first listed difference: past the last page, memoryd still reports the total."""
    user = f"p-{uuid.uuid4()}"
    _seed(store, user, 3)
    rows, total = store.get_user_memories(user_id=user, limit=2, page=5, deserialize=False)
    assert rows == []
    assert total == (3 if isinstance(store, MemorydDb) else 0)


def test_shared_ids(store):
    """The second listed difference: memoryd scopes ids to a user, SqliteDb's are global."""
    first, second, shared = f"s1-{uuid.uuid4()}", f"s2-{uuid.uuid4()}", f"shared-{uuid.uuid4()}"
    store.upsert_user_memory(UserMemory(memory_id=shared, memory="first's", user_id=first))
    store.upsert_user_memory(UserMemory(memory_id=shared, memory="second's", user_id=second))
    held = {user: [m.memory for m in store.get_user_memories(user_id=user)] for user in (first, second)}
    if isinstance(store, MemorydDb):
        assert held == {first: ["first's"], second: ["second's"]}
        # By id alone, the most recently updated holder answers.
        assert store.get_user_memory(shared).memory == "second's"
    else:
        # SqliteDb's upsert keeps the row's user: the second user's write overwrote the first's memory.
        assert held == {first: ["second's"], second: []}


def test_unknown_sort_column(store):
    """The third listed difference: sort_by="memory" sorts by text on SqliteDb, by creation on memoryd."""
    user = f"sort-{uuid.uuid4()}"
    base = int(time.time()) - 100
    texts = ["banana", "cherry", "apple"]
    store.upsert_memories(
        [UserMemory(memory_id=f"{user}-{i}", memory=t, user_id=user, created_at=base + i, updated_at=base + i) for i, t in enumerate(texts)],
        preserve_updated_at=True,
    )
    order = [m.memory for m in store.get_user_memories(user_id=user, sort_by="memory", sort_order="asc")]
    assert order == (texts if isinstance(store, MemorydDb) else sorted(texts))


def test_empty_topics(store):
    """The fourth listed difference; without topics both stores answer None."""
    user = f"t-{uuid.uuid4()}"
    store.upsert_user_memory(UserMemory(memory_id=f"{user}-empty", memory="empty list", topics=[], user_id=user))
    store.upsert_user_memory(UserMemory(memory_id=f"{user}-none", memory="no topics", user_id=user))
    assert store.get_user_memory(f"{user}-none", user_id=user).topics is None
    assert store.get_user_memory(f"{user}-empty", user_id=user).topics == (None if isinstance(store, MemorydDb) else [])


def test_upsert_edge_cases(store, request):
    """A new memory created in the past keeps its time; repeated ids in one bulk upsert give one
    memory, the last; the user "" matches nothing (memoryd files a write without a user under "default")."""
    user = f"e-{uuid.uuid4()}"
    past = int(time.time()) - 1000
    copied = store.upsert_user_memory(UserMemory(memory_id=f"{user}-copy", memory="copied", user_id=user, created_at=past))
    # Relative to `past`: each store's run has its own clock second.
    seen: Dict[str, Any] = {"copied times": (copied.created_at - past, copied.updated_at - past)}
    for preserve in (False, True):
        repeated = [UserMemory(memory_id=f"{user}-rep-{preserve}", memory=f"take {i}", user_id=user, created_at=past) for i in range(2)]
        seen[f"repeated, preserve={preserve}"] = [m.memory for m in store.upsert_memories(repeated, preserve_updated_at=preserve)]
    seen["empty user"] = (
        store.get_user_memories(user_id=""),
        store.get_user_memories(user_id="", limit=5, page=1, deserialize=False),
        store.get_user_memory(f"{user}-copy", user_id=""),
        store.get_all_memory_topics(user_id=""),
        store.get_user_memory_stats(user_id=""),
    )
    store.delete_user_memories([f"{user}-copy"], user_id="")
    seen["still there"] = store.get_user_memory(f"{user}-copy", user_id=user).memory
    assert seen["copied times"] == (0, 0)
    assert seen["repeated, preserve=False"] == ["take 1"] and seen["repeated, preserve=True"] == ["take 1"]
    assert seen["empty user"] == ([], ([], 0), None, [], ([], 0))
    _record("upsert edge cases", request, seen, user)


def _serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def test_agentos_memory_routes(store, request):
    """AgentOS's own FastAPI app over HTTP, with the store found through its agent's ``db``."""
    agent = Agent(id="helper", model=ScriptedModel(), db=store, update_memory_on_run=True)
    app = AgentOS(agents=[agent], telemetry=False).get_app()
    server, thread, base = _serve(app)
    user = f"os-{uuid.uuid4()}"
    seen: Dict[str, Any] = {}
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            # The agent's run writes its session to the Agno database and the memory to the store.
            run = http.post("/agents/helper/runs", data={"message": "remember: likes jazz [music]", "user_id": user, "stream": "false"})
            assert run.status_code == 200, run.text
            _seed(store, user, 5)
            listed = http.get("/memories", params={"user_id": user, "limit": 2, "page": 2, "sort_by": "created_at", "sort_order": "asc"})
            assert listed.status_code == 200, listed.text
            body = listed.json()
            seen["page 2"] = ([m["memory"] for m in body["data"]], body["meta"]["total_count"], body["meta"]["total_pages"])
            food = http.get("/memories", params={"user_id": user, "topics": "food", "sort_by": "created_at", "sort_order": "asc"}).json()
            seen["food"] = [m["memory"] for m in food["data"]]
            music = http.get("/memories", params={"user_id": user, "topics": "music"}).json()
            seen["from the run"] = [(m["memory"], m["topics"]) for m in music["data"]]
            seen["topics"] = sorted(http.get("/memory_topics", params={"user_id": user}).json())
            stats = http.get("/user_memory_stats", params={"user_id": user}).json()
            seen["stats"] = [(s["user_id"], s["total_memories"]) for s in stats["data"]]
            deleted = http.delete(f"/memories/{user}-000", params={"user_id": user})
            assert deleted.status_code in (200, 204), deleted.text
            seen["after delete"] = http.get("/memories", params={"user_id": user}).json()["meta"]["total_count"]
            sessions = http.get("/sessions", params={"user_id": user, "type": "agent"})
            seen["sessions"] = sessions.status_code == 200 and len(sessions.json()["data"])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert seen["page 2"] == (["fact 002", "fact 003"], 6, 3)
    assert seen["food"] == ["fact 000", "fact 003"]
    assert seen["from the run"] == [("likes jazz", ["music"])]
    assert seen["topics"] == ["food", "misc", "music"]
    assert seen["stats"] == [(user, 6)]
    assert seen["after delete"] == 5
    assert seen["sessions"] == 1
    _record("agentos", request, seen, user)


def test_both_stores_answered_alike():
    """Every scenario above, compared across the two stores (runs after them: pytest keeps file order)."""
    assert set(RESULTS) == {"memory manager", "db contract", "agentos", "upsert edge cases"}
    for scenario, by_store in RESULTS.items():
        assert set(by_store) == set(STORES), scenario
        for name in STORES:
            assert by_store[name] == by_store[AGNO], f"{scenario}: {name}"


def test_without_a_delegate_only_memories_work(server):
    db = MemorydDb(server.address)
    try:
        with pytest.raises(DelegateDbRequired, match=r"get_session\(\) needs an Agno database .*db=SqliteDb"):
            db.get_session(session_id="s", session_type="agent")
        manager = MemoryManager(model=ScriptedModel(), db=db)
        user = f"solo-{uuid.uuid4()}"
        manager.add_user_memory(UserMemory(memory="no session db needed"), user_id=user)
        assert [m.memory for m in manager.get_user_memories(user_id=user)] == ["no session db needed"]
    finally:
        db.close()


def test_atomic_optimisation_replaces_only_what_it_read(server, tmp_path):
    """MemorydMemoryManager consolidates in one call: the summary replaces the memories it summarised."""
    db = MemorydDb(server.address, db=SqliteDb(db_file=str(tmp_path / "agno.db")))
    try:
        user = f"opt-{uuid.uuid4()}"
        _seed(db, user, 4)
        manager = MemorydMemoryManager(model=ScriptedModel(), db=db)
        optimized = manager.optimize_memories(user_id=user)
        assert [m.memory for m in optimized] == ["fact 000; fact 001; fact 002; fact 003"]
        assert sorted(optimized[0].topics) == ["food", "misc"]
        stored = db.get_user_memories(user_id=user)
        assert [(m.memory_id, m.memory) for m in stored] == [(optimized[0].memory_id, optimized[0].memory)]
        # The summary's time is the server's, as with any write.
        assert stored[0].updated_at >= int(time.time()) - 60
    finally:
        db.close()


def test_async_adapter(server):
    async def scenario() -> None:
        db = AsyncMemorydDb(server.address)
        user = f"async-{uuid.uuid4()}"
        manager = MemorydMemoryManager(model=ScriptedModel(), db=db)
        await manager.acreate_user_memories(message="remember: likes rain [weather]\nremember: likes snow [weather]", user_id=user)
        memories = await manager.aget_user_memories(user_id=user)
        assert sorted(m.memory for m in memories) == ["likes rain", "likes snow"]
        rows, total = await db.get_user_memories(user_id=user, limit=1, page=2, sort_by="created_at", deserialize=False)
        assert total == 2 and len(rows) == 1
        assert await db.get_all_memory_topics(user_id=user) == ["weather"]
        optimized = await manager.aoptimize_memories(user_id=user)
        assert [m.memory for m in await manager.aget_user_memories(user_id=user)] == [optimized[0].memory]
        await db.delete_user_memory(optimized[0].memory_id, user_id=user)
        assert await db.get_user_memories(user_id=user) == []
        with pytest.raises(DelegateDbRequired):
            await db.get_sessions()
        await db.close()

    asyncio.run(scenario())
