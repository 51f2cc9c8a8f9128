"""The generated Python client (memory.v1 stubs, through memoryd.MemoryClient) against a live server."""

import grpc
import pytest

from memory.v1 import memory_pb2, memory_service_pb2
from memoryd import MemoryClient, error_details


@pytest.fixture
def client(server):
    with MemoryClient(server.address) as c:
        yield c


def test_add_get_replace_with_etag_delete(client, user_id):
    added = client.add(user_id, "Prefers dark mode", topics=["ui"], input="I like dark themes")
    assert added.memory_id and added.etag and added.create_time.seconds > 0
    assert added.HasField("input") and added.input == "I like dark themes"
    assert client.get(user_id, added.memory_id) == added

    replaced = client.replace(user_id, added.memory_id, "Prefers light mode", topics=["ui"], etag=added.etag)
    assert replaced.memory == "Prefers light mode" and replaced.etag != added.etag
    assert not replaced.HasField("input")

    with pytest.raises(grpc.RpcError) as stale:
        client.replace(user_id, added.memory_id, "stale write", etag=added.etag)
    assert stale.value.code() == grpc.StatusCode.ABORTED
    assert error_details(stale.value).reason == "ETAG_MISMATCH"
    assert client.get(user_id, added.memory_id) == replaced

    client.delete(user_id, added.memory_id, etag=replaced.etag)
    with pytest.raises(grpc.RpcError) as missing:
        client.get(user_id, added.memory_id)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_details(missing.value).resource_name == added.memory_id


def test_list_pages_to_the_end_and_search(client, user_id):
    created = client.batch_add(memory_pb2.UserMemory(user_id=user_id, memory=f"memory {i}", topics=[f"t{i % 3}"]) for i in range(23))
    assert len(created) == 23

    pages, token, seen = 0, "", []
    while True:
        page = client.list(user_id, page_size=10, page_token=token, oldest_first=True)
        pages += 1
        seen += [m.memory for m in page.user_memories]
        token = page.next_page_token
        if not token:
            break
    assert pages == 3 and seen == [f"memory {i}" for i in range(23)]
    assert [m.memory for m in client.iter_memories(user_id, page_size=7)] == [f"memory {i}" for i in reversed(range(23))]

    assert [m.memory for m in client.search(user_id, query="MEMORY 1", topics=["t1"], limit=5)] == ["memory 19", "memory 16", "memory 13", "memory 10", "memory 1"]
    assert [m.memory for m in client.search(user_id, first_n=True, limit=2)] == ["memory 0", "memory 1"]

    assert client.clear(user_id) == 23
    assert list(client.iter_memories(user_id)) == []


def test_reads_a_user_whose_memories_exceed_one_message(client, user_id):
    # 250 memories with 20 kB inputs: 5 MB, more than one 4 MiB response carries.
    for start in range(0, 250, 50):
        client.batch_add(memory_pb2.UserMemory(user_id=user_id, memory=f"big {i}", input="x" * 20_000) for i in range(start, start + 50))
    assert len(list(client.iter_memories(user_id))) == 250
    found = client.search(user_id, query="big", limit=1000)
    assert len(found) == 250 and len({m.memory_id for m in found}) == 250
    assert [m.memory for m in client.search(user_id, first_n=True, limit=240)][-1] == "big 239"


def test_invalid_request_names_the_fields(client, server):
    with pytest.raises(grpc.RpcError) as invalid:
        client.add("", "", topics=["ok", ""])
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(invalid.value).field_violations == {
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


def test_retried_add_with_request_id_is_idempotent(client, user_id):
    first = client.add(user_id, "once", request_id="req-1")
    assert client.add(user_id, "once", request_id="req-1") == first
    assert [m.memory_id for m in client.iter_memories(user_id)] == [first.memory_id]
