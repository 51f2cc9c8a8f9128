import { expect, it } from "vitest";
import { ListMemoryTopicsResponse, ListUserMemoriesResponse, ListUserStatsResponse } from "../gen/ts/memoryd/v1/memory_service.js";
import { UserMemory } from "../gen/ts/memoryd/v1/user_memory.js";
import { prng } from "../testkit/prng.js";
import { countThatFits, creationResponseBound, encodedSizeBound, idEntryBound, writtenRecordsBound } from "./response-size.js";
import { toUserMemory } from "./service.js";
import type { MemoryRecord } from "./storage/store.js";

const random = prng(7);
const text = (max: number) =>
  Array.from({ length: Math.floor(random() * max) }, () =>
    String.fromCodePoint(random() < 0.8 ? 97 + Math.floor(random() * 26) : 0x4e00 + Math.floor(random() * 2000)),
  ).join("");

function randomRecord(): MemoryRecord {
  return {
    userId: text(256) || "u",
    memoryId: text(128) || "m",
    memory: text(16_000) || "x",
    topics: Array.from({ length: Math.floor(random() * 32) }, () => text(40) || "t"),
    input: random() < 0.5 ? undefined : text(20_000),
    agentId: random() < 0.5 ? undefined : text(256) || "a",
    teamId: random() < 0.5 ? undefined : text(256) || "t",
    feedback: random() < 0.5 ? undefined : text(16_000),
    labels: Object.fromEntries(Array.from({ length: Math.floor(random() * 32) }, (_, i) => [`${text(100)}${i}`, text(1024)])),
    expireTime: random() < 0.5 ? undefined : Math.floor(random() * 2e15),
    createTime: Math.floor(random() * 2e15),
    updateTime: Math.floor(random() * 2e15),
    etag: "0123456789abcdef0123",
  };
}

it("never bounds a memory below its real encoding in a response", () => {
  for (let i = 0; i < 200; i++) {
    const record = randomRecord();
    const encoded = ListUserMemoriesResponse.encode({
      userMemories: [toUserMemory(record)],
      nextPageToken: "",
      totalSize: undefined,
    }).finish().length;
    expect(encodedSizeBound(record)).toBeGreaterThanOrEqual(encoded);
  }
});

it("cuts a page where its memories stop fitting, and keeps at least one", () => {
  const records = Array.from({ length: 50 }, randomRecord);
  const sizes = records.map(encodedSizeBound);
  const budget = sizes.slice(0, 10).reduce((a, b) => a + b, 0);
  expect(countThatFits(records, budget)).toBe(10);
  expect(countThatFits(records, budget - 1)).toBe(9);
  expect(countThatFits(records, Number.MAX_SAFE_INTEGER)).toBe(50);
  expect(countThatFits(records, 1)).toBe(1);
  expect(countThatFits([], 10)).toBe(0);
});

it("bounds a batch's response before it is written, whatever ids and etags the store gives", () => {
  const memories = Array.from({ length: 20 }, () => {
    const { userId, memory, topics, input, agentId, teamId, feedback, labels, expireTime } = randomRecord();
    return { userId, memory, topics, input, agentId, teamId, feedback, labels, expireTime };
  });
  const stored = memories.map((m, i) =>
    toUserMemory({ ...m, memoryId: crypto.randomUUID(), createTime: i, updateTime: i, etag: "0123456789abcdef0123" }),
  );
  const encoded = stored.reduce((total, m) => total + UserMemory.encode(m).finish().length + 6, 0);
  expect(creationResponseBound(memories)).toBeGreaterThanOrEqual(encoded);
});

it("bounds the response to memories written as given, with the etags they get", () => {
  const records = Array.from({ length: 20 }, () => ({ ...randomRecord(), etag: "" }));
  const encoded = records.reduce(
    (total, r) => total + UserMemory.encode(toUserMemory({ ...r, etag: "0123456789abcdef0123" })).finish().length + 6,
    0,
  );
  expect(writtenRecordsBound(records)).toBeGreaterThanOrEqual(encoded);
});

it("bounds topic and user statistics entries above their encoding", () => {
  const id = text(256) || "u";
  const topic = ListMemoryTopicsResponse.encode({ topics: [{ topic: id, memoryCount: 2 ** 53 - 1 }], nextPageToken: "" }).finish().length;
  const stats = ListUserStatsResponse.encode({
    userStats: [{ userId: id, memoryCount: 2 ** 53 - 1, lastUpdateTime: { seconds: 253_402_300_799, nanos: 999_999_000 } }],
    nextPageToken: "",
    totalSize: undefined,
  }).finish().length;
  expect(idEntryBound(id)).toBeGreaterThanOrEqual(Math.max(topic, stats));
});
