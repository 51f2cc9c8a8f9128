"""The generated Python client (memoryd.v1 stubs, through memoryd.MemoryClient) against a live server."""

import time
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from memoryd import MemoryClient, UserMemoryUpsert, error_details
from memoryd.v1 import memory_service_pb2, user_memory_pb2


@pytest.fixture
def client(server):
    with MemoryClient(server.address) as c:
        yield c


def test_packaged_as_memoryd_v1_only():
    import importlib.util

    assert importlib.util.find_spec("memory") is None  # no top-level package of the old proto path
    assert user_memory_pb2.UserMemory.DESCRIPTOR.full_name == "memoryd.v1.UserMemory"


def test_create_get_replace_with_etag_delete(client, user_id):
    created = client.create(user_id, "Prefers dark mode", topics=["ui"], input="I like dark themes")
    assert created.memory_id and created.etag and created.create_time.seconds > 0
    assert created.HasField("input") and created.input == "I like dark themes"
    assert client.get(user_id, created.memory_id) == created

    replaced = client.replace(
        user_id, created.memory_id, "Prefers light mode", topics=["ui"], input=None, agent_id="", team_id="", feedback=None, labels=None, expire_time=None, etag=created.etag
    )
    assert replaced.memory == "Prefers light mode" and replaced.etag != created.etag
    assert not replaced.HasField("input")

    with pytest.raises(grpc.RpcError) as stale:
        client.replace(user_id, created.memory_id, "stale write", topics=[], input=None, agent_id="", team_id="", feedback=None, labels=None, expire_time=None, etag=created.etag)
    assert stale.value.code() == grpc.StatusCode.ABORTED
    details = error_details(stale.value)
    assert details.reason == "ETAG_MISMATCH"
    assert details.metadata == {"user_id": user_id, "memory_id": created.memory_id}
    assert client.get(user_id, created.memory_id) == replaced

    client.delete(user_id, created.memory_id, etag=replaced.etag)
    with pytest.raises(grpc.RpcError) as missing:
        client.get(user_id, created.memory_id)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_details(missing.value).resource_name == created.memory_id
    assert error_details(missing.value).reason == "MEMORY_NOT_FOUND"


def test_memory_v1_method_names_still_work(client, user_id):
    added = client.add(user_id, "old name", topics=["t"])
    batch = client.batch_add([user_memory_pb2.UserMemory(user_id=user_id, memory="old batch")])
    assert [m.memory for m in client.iter_memories(user_id, oldest_first=True)] == ["old name", "old batch"]
    assert [m.memory_id for m in client.iter_memories(user_id, topics=["t"])] == [added.memory_id]
    assert [m.memory for m in client.search(user_id, first_n=True)] == ["old name", "old batch"]
    assert batch[0].memory == "old batch"


def test_create_maps_the_new_fields(client, user_id):
    created = client.create(
        user_id,
        "Team standup is at 9",
        memory_id="standup",
        agent_id="planner",
        team_id="core",
        feedback="useful",
        labels={"source": "onboarding"},
        ttl=timedelta(hours=1),
    )
    assert (created.memory_id, created.agent_id, created.team_id, created.feedback) == ("standup", "planner", "core", "useful")
    assert dict(created.labels) == {"source": "onboarding"}
    # ttl is input only: the server turns it into expire_time by its own clock.
    assert created.WhichOneof("expiration") == "expire_time"
    assert created.expire_time.seconds - created.create_time.seconds in range(3590, 3611)
    assert client.get(user_id, "standup") == created

    at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    fixed = client.create(user_id, "expires at a moment", expire_time=at, ttl=None)
    assert fixed.expire_time.ToDatetime(tzinfo=timezone.utc) == at
    assert not client.create(user_id, "never expires").HasField("expire_time")
    assert not client.create(user_id, "no feedback").HasField("feedback")

    with pytest.raises(ValueError):
        client.create(user_id, "both", expire_time=at, ttl=60)
    with pytest.raises(ValueError):
        client.create(user_id, "naive", expire_time=datetime.now() + timedelta(days=1))

    with pytest.raises(grpc.RpcError) as duplicate:
        client.create(user_id, "again", memory_id="standup")
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_details(duplicate.value).resource_name == "standup"


def test_replace_sets_and_clears_the_new_fields(client, user_id):
    created = client.create(user_id, "v1", agent_id="a", team_id="t", feedback="ok", labels={"k": "v"}, ttl=3600)
    replaced = client.replace(
        user_id, created.memory_id, "v2", topics=[], input=None, agent_id="", team_id="", feedback=None,
        labels={"other": "x"}, expire_time=None, ttl=7200.5,
    )
    assert (replaced.agent_id, replaced.team_id, replaced.HasField("feedback")) == ("", "", False)
    assert dict(replaced.labels) == {"other": "x"}
    assert replaced.expire_time.seconds > created.expire_time.seconds
    assert not client.replace(user_id, created.memory_id, "v3", topics=[], input=None, agent_id="", team_id="", feedback=None, labels=None, expire_time=None).HasField("expire_time")

    upserted = client.replace(
        user_id, "new-id", "made by replace", topics=[], input=None, agent_id="a", team_id="", feedback=None,
        labels=None, expire_time=None, allow_missing=True,
    )
    assert upserted.memory_id == "new-id" and upserted.agent_id == "a"


def test_update_changes_only_the_fields_named(client, user_id):
    created = client.create(user_id, "Likes tea", topics=["food"], input="tea please", agent_id="a", labels={"k": "v"}, ttl=3600)

    # The mask names the arguments passed: topics and input stay.
    renamed = client.update(user_id, created.memory_id, memory="Likes green tea", feedback="right")
    assert (renamed.memory, list(renamed.topics), renamed.input, renamed.agent_id) == ("Likes green tea", ["food"], "tea please", "a")
    assert renamed.feedback == "right" and dict(renamed.labels) == {"k": "v"}
    assert renamed.expire_time == created.expire_time and renamed.create_time == created.create_time
    assert renamed.etag != created.etag

    # None clears a field; expire_time=None removes the expiration.
    cleared = client.update(user_id, created.memory_id, input=None, labels=None, expire_time=None, etag=renamed.etag)
    assert not cleared.HasField("input") and dict(cleared.labels) == {} and not cleared.HasField("expire_time")
    assert cleared.memory == "Likes green tea" and cleared.feedback == "right"

    # An explicit mask: "feedback" named and not passed is cleared.
    masked = client.update(user_id, created.memory_id, team_id="t", update_mask=["team_id", "feedback"])
    assert masked.team_id == "t" and not masked.HasField("feedback")
    later = client.update(user_id, created.memory_id, ttl=timedelta(minutes=5), topics=["food", "drink"])
    assert later.HasField("expire_time") and list(later.topics) == ["food", "drink"]
    assert client.get(user_id, created.memory_id) == later

    with pytest.raises(grpc.RpcError) as stale:
        client.update(user_id, created.memory_id, memory="stale", etag=renamed.etag)
    assert stale.value.code() == grpc.StatusCode.ABORTED and error_details(stale.value).reason == "ETAG_MISMATCH"
    with pytest.raises(grpc.RpcError) as bad_mask:
        client.update(user_id, created.memory_id, memory="x", update_mask=["create_time"])
    assert list(error_details(bad_mask.value).field_violations) == ["update_mask.paths[0]"]
    with pytest.raises(grpc.RpcError) as nothing:
        client.update(user_id, created.memory_id)
    assert nothing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as missing:
        client.update(user_id, "no-such-memory", memory="x")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(ValueError):
        client.update(user_id, created.memory_id, expire_time=None, ttl=60)


def test_list_pages_to_the_end_and_search(client, user_id):
    created = client.batch_create(user_memory_pb2.UserMemory(user_id=user_id, memory=f"memory {i}", topics=[f"t{i % 3}"]) for i in range(23))
    assert len(created) == 23

    pages, token, seen = 0, "", []
    while True:
        page = client.list(user_id, page_size=10, page_token=token, order_by="create_time")
        pages += 1
        seen += [m.memory for m in page.user_memories]
        token = page.next_page_token
        if not token:
            break
    assert pages == 3 and seen == [f"memory {i}" for i in range(23)]
    assert [m.memory for m in client.iter_memories(user_id, page_size=7)] == [f"memory {i}" for i in reversed(range(23))]

    assert [m.memory for m in client.search(user_id, query="MEMORY 1", any_topics=["t1"], limit=5)] == ["memory 19", "memory 16", "memory 13", "memory 10", "memory 1"]
    assert [m.memory for m in client.search(user_id, first_n=True, limit=2)] == ["memory 0", "memory 1"]
    assert [m.memory for m in client.search(user_id, order_by="update_time", limit=2)] == ["memory 0", "memory 1"]
    with pytest.raises(ValueError):
        client.search(user_id, first_n=True, order_by="update_time desc")

    assert client.clear(user_id) == 23
    assert list(client.iter_memories(user_id)) == []


def test_batch_create_takes_requests_with_request_ids(client, user_id):
    request = memory_service_pb2.CreateUserMemoryRequest(
        user_memory=user_memory_pb2.UserMemory(user_id=user_id, memory="idempotent"), request_id="batch-req-1"
    )
    first = client.batch_create([request, user_memory_pb2.UserMemory(user_id=user_id, memory="plain")])
    assert client.batch_create([request]) == first[:1]
    assert len(list(client.iter_memories(user_id))) == 2


def test_list_filters_orders_skips_and_counts(client, user_id):
    client.batch_create(
        user_memory_pb2.UserMemory(
            user_id=user_id,
            memory=f"m{i}",
            agent_id="a" if i % 2 else "b",
            team_id="t" if i < 6 else "",
            topics=["x", "y"] if i % 3 == 0 else ["x"],
            labels={"parity": "odd" if i % 2 else "even"},
        )
        for i in range(12)
    )

    def memories(**kwargs):
        return [m.memory for m in client.iter_memories(user_id, page_size=2, **kwargs)]

    assert memories(agent_id="a", order_by="create_time") == ["m1", "m3", "m5", "m7", "m9", "m11"]
    assert memories(team_id="t", agent_id="b", order_by="create_time") == ["m0", "m2", "m4"]
    assert memories(all_topics=["x", "y"], order_by="create_time") == ["m0", "m3", "m6", "m9"]
    assert memories(any_topics=["y", "z"]) == ["m9", "m6", "m3", "m0"]
    assert memories(labels={"parity": "even"}, team_id="t") == ["m4", "m2", "m0"]
    assert memories(order_by="create_time desc", skip=9) == ["m2", "m1", "m0"]
    # skip counts once, not again on every page.
    assert memories(order_by="create_time", skip=3) == [f"m{i}" for i in range(3, 12)]

    page = client.list(user_id, page_size=2, labels={"parity": "odd"}, include_total_size=True)
    assert page.HasField("total_size") and page.total_size == 6 and len(page.user_memories) == 2
    assert not client.list(user_id).HasField("total_size")
    assert client.list(user_id, page_size=1, skip=11, order_by="create_time").user_memories[0].memory == "m11"

    with pytest.raises(grpc.RpcError) as bad_order:
        client.list(user_id, order_by="memory")
    assert list(error_details(bad_order.value).field_violations) == ["order_by"]
    with pytest.raises(ValueError):
        client.list(user_id, order_by="update_time", oldest_first=True)


def test_search_page_filters_skips_and_counts(client, user_id):
    client.batch_create(
        user_memory_pb2.UserMemory(user_id=user_id, memory=f"{'coffee' if i % 2 else 'tea'} {i}", agent_id="a" if i < 4 else "b", labels={"n": str(i)})
        for i in range(8)
    )
    page = client.search_page(user_id, query="COFFEE", page_size=2, include_total_size=True)
    assert [m.memory for m in page.user_memories] == ["coffee 7", "coffee 5"] and page.total_size == 4 and page.next_page_token
    following = client.search_page(user_id, query="COFFEE", page_size=2, page_token=page.next_page_token)
    assert [m.memory for m in following.user_memories] == ["coffee 3", "coffee 1"] and not following.next_page_token

    assert [m.memory for m in client.search_page(user_id, query="tea", first_n=True, skip=1).user_memories] == ["tea 2", "tea 4", "tea 6"]
    assert [m.memory for m in client.search(user_id, query="tea", agent_id="b")] == ["tea 6", "tea 4"]
    assert [m.memory for m in client.search(user_id, labels={"n": "3"})] == ["coffee 3"]
    assert [m.memory for m in client.search(user_id, order_by="create_time", skip=5, limit=2)] == ["coffee 5", "tea 6"]
    # A limit beyond one page reads on, and skip counts only once.
    assert [m.memory for m in client.search(user_id, first_n=True, skip=1, limit=100)] == [f"{'coffee' if i % 2 else 'tea'} {i}" for i in range(1, 8)]


def test_expired_memories_are_hidden_unless_asked_for(unswept_server, user_id):
    with MemoryClient(unswept_server.address) as client:
        short = client.create(user_id, "short lived", ttl=1, topics=["gone"])
        kept = client.create(user_id, "kept", topics=["stays"])
        time.sleep(1.2)
        with pytest.raises(grpc.RpcError) as expired:
            client.get(user_id, short.memory_id)
        assert expired.value.code() == grpc.StatusCode.NOT_FOUND
        assert [m.memory_id for m in client.iter_memories(user_id)] == [kept.memory_id]
        assert [m.memory_id for m in client.iter_memories(user_id, show_expired=True, order_by="create_time")] == [short.memory_id, kept.memory_id]
        assert [m.memory for m in client.search(user_id, query="short", show_expired=True)] == ["short lived"]
        assert client.search(user_id, query="short") == []
        assert [t.topic for t in client.iter_topics(user_id)] == ["stays"]


def test_batch_delete_is_all_or_none(client, user_id):
    ids = [m.memory_id for m in client.batch_create(user_memory_pb2.UserMemory(user_id=user_id, memory=f"d{i}") for i in range(5))]

    with pytest.raises(grpc.RpcError) as missing:
        client.batch_delete(user_id, [ids[0], "no-such-memory"])
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_details(missing.value).resource_name == "no-such-memory"
    assert len(list(client.iter_memories(user_id))) == 5

    assert client.batch_delete(user_id, ids[:2]) == 2
    assert client.batch_delete(user_id, (i for i in [ids[2], ids[0], "no-such-memory"]), allow_missing=True) == 1
    assert sorted(m.memory_id for m in client.iter_memories(user_id)) == sorted(ids[3:])

    with pytest.raises(grpc.RpcError) as empty:
        client.batch_delete(user_id, [])
    assert list(error_details(empty.value).field_violations) == ["memory_ids"]


def test_list_topics_counts_and_pages(client, user_id):
    client.batch_create(
        [
            user_memory_pb2.UserMemory(user_id=user_id, memory="1", topics=["food", "ui"], agent_id="a"),
            user_memory_pb2.UserMemory(user_id=user_id, memory="2", topics=["food"], agent_id="b", team_id="t"),
            user_memory_pb2.UserMemory(user_id=user_id, memory="3", topics=["travel", "food"], agent_id="a"),
            user_memory_pb2.UserMemory(user_id=user_id, memory="4"),
        ]
    )
    page = client.list_topics(user_id, page_size=2)
    assert [(t.topic, t.memory_count) for t in page.topics] == [("food", 3), ("travel", 1)] and page.next_page_token
    assert [(t.topic, t.memory_count) for t in client.iter_topics(user_id, page_size=1)] == [("food", 3), ("travel", 1), ("ui", 1)]
    assert [(t.topic, t.memory_count) for t in client.iter_topics(user_id, agent_id="a")] == [("food", 2), ("travel", 1), ("ui", 1)]
    assert [t.topic for t in client.list_topics(user_id, team_id="t").topics] == ["food"]
    assert list(client.iter_topics(f"{user_id}-nobody")) == []
    # Without a user: every user's topics (the server runs without authentication here).
    assert {"food", "travel", "ui"} <= {t.topic for t in client.iter_topics()}


def test_list_user_stats(client, user_id):
    other = f"{user_id}-other"
    client.batch_create(user_memory_pb2.UserMemory(user_id=user_id, memory=f"s{i}") for i in range(3))
    last = client.create(other, "the latest write")

    (mine,) = client.list_user_stats(user_id).user_stats
    assert (mine.user_id, mine.memory_count) == (user_id, 3)
    assert mine.last_update_time.ToMicroseconds() <= last.update_time.ToMicroseconds()

    everybody = client.list_user_stats(page_size=1, include_total_size=True)
    assert len(everybody.user_stats) == 1 and everybody.total_size >= 2 and everybody.next_page_token
    assert everybody.user_stats[0].user_id == other  # most recently updated first
    stats = {s.user_id: s.memory_count for s in client.iter_user_stats(page_size=1)}
    assert stats[user_id] == 3 and stats[other] == 1
    assert [s.user_id for s in client.iter_user_stats(skip=1, page_size=1)][0] == [s.user_id for s in client.iter_user_stats()][1]
    assert client.list_user_stats(f"{user_id}-nobody").user_stats == []


def test_batch_upsert_keeps_ids_and_times(client, user_id):
    source = client.batch_create(user_memory_pb2.UserMemory(user_id=user_id, memory=f"u{i}", labels={"i": str(i)}) for i in range(3))
    restored_user = f"{user_id}-restored"
    copies = []
    for memory in source:
        copy = user_memory_pb2.UserMemory()
        copy.CopyFrom(memory)
        copy.user_id = restored_user
        copies.append(copy)
    created_at = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    explicit = UserMemoryUpsert(
        user_memory=user_memory_pb2.UserMemory(user_id=restored_user, memory_id="imported", memory="from Agno", topics=["x"]),
        create_time=created_at,
        update_time=created_at + timedelta(days=1),
    )

    written = client.batch_upsert([*copies, explicit])
    assert [m.memory_id for m in written] == [m.memory_id for m in source] + ["imported"]
    for original, stored in zip(source, written):
        assert (stored.create_time, stored.update_time, dict(stored.labels)) == (original.create_time, original.update_time, dict(original.labels))
    assert written[3].create_time.ToDatetime(tzinfo=timezone.utc) == created_at
    assert written[3].update_time.ToDatetime(tzinfo=timezone.utc) == created_at + timedelta(days=1)
    assert [m.memory for m in client.iter_memories(restored_user, order_by="create_time")] == ["from Agno", "u0", "u1", "u2"]

    # Overwrites an existing memory as given; without times, the server's clock.
    again = client.batch_upsert([user_memory_pb2.UserMemory(user_id=restored_user, memory_id="imported", memory="overwritten")])
    assert again[0].memory == "overwritten" and list(again[0].topics) == []
    assert again[0].create_time.ToDatetime(tzinfo=timezone.utc) > created_at

    with pytest.raises(grpc.RpcError) as future:
        client.batch_upsert([UserMemoryUpsert(user_memory=copies[0], create_time=datetime.now(timezone.utc) + timedelta(days=1))])
    # update_time defaults to create_time, so both are after the server's clock.
    assert list(error_details(future.value).field_violations) == ["upserts[0].create_time", "upserts[0].update_time"]


def test_reads_a_user_whose_memories_exceed_one_message(client, user_id):
    # 250 memories with 20 kB inputs: 5 MB, more than one 4 MiB response carries.
    for start in range(0, 250, 50):
        client.batch_create(user_memory_pb2.UserMemory(user_id=user_id, memory=f"big {i}", input="x" * 20_000) for i in range(start, start + 50))
    assert len(list(client.iter_memories(user_id))) == 250
    found = client.search(user_id, query="big", limit=1000)
    assert len(found) == 250 and len({m.memory_id for m in found}) == 250
    assert [m.memory for m in client.search(user_id, first_n=True, limit=240)][-1] == "big 239"


def test_invalid_request_names_the_fields(client, server):
    with pytest.raises(grpc.RpcError) as invalid:
        client.create("", "", topics=["ok", ""])
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error_details(invalid.value)
    assert details.reason == "INVALID_FIELD"
    assert details.field_violations == {
        "user_memory.user_id": "is required",
        "user_memory.memory": "is required",
        "user_memory.topics[1]": "is required",
    }
    with pytest.raises(grpc.RpcError) as unscoped:
        client.clear()
    assert unscoped.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert list(error_details(unscoped.value).field_violations) == ["user_id"]

    # The raw generated stub works the same way.
    request = memory_service_pb2.ListUserMemoriesRequest(user_id="u", page_token="garbage")
    with pytest.raises(grpc.RpcError) as bad_token:
        client.stub.ListUserMemories(request, timeout=5)
    assert list(error_details(bad_token.value).field_violations) == ["page_token"]


def test_retried_create_with_request_id_is_idempotent(client, user_id):
    first = client.create(user_id, "once", request_id="req-1")
    assert client.create(user_id, "once", request_id="req-1") == first
    assert [m.memory_id for m in client.iter_memories(user_id)] == [first.memory_id]
    with pytest.raises(grpc.RpcError) as reused:
        client.create(user_id, "something else", request_id="req-1")
    assert error_details(reused.value).reason == "REQUEST_ID_REUSED"


def test_errors_are_typed_and_keep_the_rpc_error(client, user_id):
    from memoryd import EtagMismatch, InvalidArgument, MemorydError, NotFound

    with pytest.raises(InvalidArgument) as invalid:
        client.create(user_id, "", topics=["x" * 200])
    assert invalid.value.field_violations.keys() == {"user_memory.memory", "user_memory.topics[0]"}
    assert isinstance(invalid.value, grpc.RpcError) and invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert isinstance(invalid.value.rpc_error, grpc.RpcError) and not isinstance(invalid.value.rpc_error, MemorydError)
    with pytest.raises(NotFound) as missing:
        client.get(user_id, "nope")
    assert missing.value.reason == "MEMORY_NOT_FOUND" and error_details(missing.value).resource_name == "nope"
    created = client.create(user_id, "v1")
    client.update(user_id, created.memory_id, memory="v2")
    with pytest.raises(EtagMismatch) as stale:
        client.update(user_id, created.memory_id, memory="v3", etag=created.etag)
    assert stale.value.code() == grpc.StatusCode.ABORTED
    assert stale.value.error_details.metadata == {"user_id": user_id, "memory_id": created.memory_id}


def test_replace_requires_every_field_it_overwrites(client, user_id):
    created = client.create(user_id, "keep", topics=["t"], input="said once")
    with pytest.raises(TypeError, match="required keyword-only"):
        client.replace(user_id, created.memory_id, "only text")  # type: ignore[call-arg]
    assert client.get(user_id, created.memory_id).input == "said once"


def test_per_call_options_metadata_and_interceptors(server, user_id):
    seen = []

    class Recorder(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation, details, request):
            seen.append((details.method, details.timeout, dict(details.metadata or ())))
            return continuation(details, request)

    with MemoryClient(server.address, metadata=[("x-tenant", "acme")], interceptors=[Recorder()]) as client:
        created = client.create(user_id, "through an interceptor")
        quick = client.with_options(timeout=2.5, metadata=[("x-request", "r-1")])
        assert quick.get(user_id, created.memory_id) == created
        client.get(user_id, created.memory_id)
    create, get_quick, get_default = seen
    assert create[0] == "/memoryd.v1.MemoryService/CreateUserMemory" and create[2] == {"x-tenant": "acme"}
    assert get_quick[1] == pytest.approx(2.5, abs=0.5) and get_quick[2] == {"x-tenant": "acme", "x-request": "r-1"}
    assert get_default[1] == pytest.approx(10, abs=1) and get_default[2] == {"x-tenant": "acme"}


def test_a_ready_channel_is_used_as_given(server, user_id):
    channel = grpc.insecure_channel(server.address)
    with MemoryClient(channel=channel) as client:
        assert client.create(user_id, "on my channel").memory == "on my channel"


def test_calls_wait_for_and_retry_across_a_server_restart(tmp_path, user_id):
    """The service config: a read made while the server is down waits for it (within its
    deadline) and succeeds once it is back; without the policy the same call fails at once."""
    import threading

    from conftest import Server

    from memoryd import Unavailable

    restarting = Server(f"sqlite://{tmp_path}/memoryd.db", tmp_path / "memoryd.log")
    try:
        with MemoryClient(restarting.address) as client, MemoryClient(restarting.address, retry=False) as plain:
            created = client.create(user_id, "survives a restart")
            assert plain.get(user_id, created.memory_id) == created
            restarting.stop()
            with pytest.raises(Unavailable):
                plain.get(user_id, created.memory_id)
            result = {}
            reader = threading.Thread(target=lambda: result.setdefault("memory", client.get(user_id, created.memory_id)))
            reader.start()
            time.sleep(1.0)
            assert reader.is_alive()  # waiting for the server, not failed
            restarting.start()
            reader.join(timeout=15)
            assert result["memory"] == created
            # A create retried across the outage is made once (it carries a request id).
            assert len(list(client.iter_memories(user_id))) == 1
    finally:
        restarting.stop()
