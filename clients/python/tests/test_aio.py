"""AsyncMemoryClient (grpc.aio) against a live server: the same calls, errors and pages."""

import asyncio

import pytest

from memoryd import EtagMismatch, NotFound
from memoryd.aio import AsyncMemoryClient


def test_async_client_makes_every_kind_of_call(server, user_id):
    async def session() -> None:
        async with AsyncMemoryClient(server.address) as client:
            created = await client.create(user_id, "Prefers dark mode", topics=["ui"])
            for i in range(4):
                await client.create(user_id, f"fact {i}", topics=["facts"])
            assert (await client.get(user_id, created.memory_id)) == created
            page = await client.list(user_id, page_size=2, include_total_size=True)
            assert page.total_size == 5 and len(page.user_memories) == 2
            every = [m.memory async for m in client.iter_memories(user_id, page_size=2, oldest_first=True)]
            assert every == ["Prefers dark mode", "fact 0", "fact 1", "fact 2", "fact 3"]
            assert [m.memory for m in await client.search(user_id, query="FACT", limit=3)] == ["fact 3", "fact 2", "fact 1"]
            assert sorted([t.topic async for t in client.iter_topics(user_id, page_size=1)]) == ["facts", "ui"]
            assert [s.memory_count async for s in client.iter_user_stats(user_id)] == [5]
            updated = await client.with_options(timeout=5).update(user_id, created.memory_id, topics=["ui", "a11y"])
            assert list(updated.topics) == ["ui", "a11y"] and updated.memory == "Prefers dark mode"
            with pytest.raises(EtagMismatch) as stale:
                await client.update(user_id, created.memory_id, memory="stale", etag=created.etag)
            assert stale.value.error_details.metadata["memory_id"] == created.memory_id
            summary, deleted = await client.consolidate(
                user_id, [m.memory_id async for m in client.iter_memories(user_id, topics=["facts"])], []
            )
            assert (summary, deleted) == ([], 4)
            await client.delete(user_id, created.memory_id)
            with pytest.raises(NotFound):
                await client.get(user_id, created.memory_id)
            assert await client.clear(user_id) == 0

    asyncio.run(session())
