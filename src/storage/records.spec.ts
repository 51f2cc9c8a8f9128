import { expect, it } from "vitest";
import { newEtag, newRecord, recordFromColumns, replacedRecord, requestFingerprint, updatedContent } from "./records.js";
import type { MemoryRecord, NewMemory } from "./store.js";

it("builds a created record: the given content, one time for both, a fresh etag, a UUID unless an id was chosen", () => {
  const created = newRecord({ userId: "u", memory: "m", topics: ["t"], input: "i", labels: { k: "v" }, agentId: "a" }, 42);
  expect(created).toMatchObject({
    userId: "u",
    memory: "m",
    topics: ["t"],
    input: "i",
    labels: { k: "v" },
    agentId: "a",
    createTime: 42,
    updateTime: 42,
  });
  expect(created.memoryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(newRecord({ userId: "u", memoryId: "chosen", memory: "m", topics: [], labels: {} }, 42).memoryId).toBe("chosen");
  expect(created.etag).not.toBe(newRecord({ userId: "u", memory: "m", topics: [], labels: {} }, 42).etag);
});

it("builds a replacement with a fresh etag, the create time to be read back", () => {
  const replaced = replacedRecord(
    { userId: "u", memoryId: "m", memory: "new", topics: [], labels: {}, allowMissing: false, etag: "old" },
    7,
  );
  expect(replaced).toMatchObject({ userId: "u", memoryId: "m", memory: "new", input: undefined, updateTime: 7, createTime: 7 });
  expect(replaced.etag).not.toBe("old");
});

it("makes etags of 80 random bits that do not repeat", () => {
  const etags = new Set(Array.from({ length: 10_000 }, newEtag));
  expect(etags.size).toBe(10_000);
  for (const etag of [...etags].slice(0, 10)) expect(etag).toMatch(/^[0-9a-f]{20}$/);
});

it("fingerprints what a creation asked for: the same request alike, any other content apart", () => {
  const request = {
    userId: "u",
    memoryId: "m",
    memory: "text",
    topics: ["a", "b"],
    input: "in",
    agentId: "agent",
    teamId: "team",
    feedback: "good",
    labels: { a: "1", b: "2" },
    requestId: "r",
  };
  expect(requestFingerprint(request)).toBe(requestFingerprint({ ...request }));
  // Labels are a map: their order does not count.
  expect(requestFingerprint({ ...request, labels: { b: "2", a: "1" } })).toBe(requestFingerprint(request));
  const changes: Partial<NewMemory>[] = [
    { memory: "other" },
    { topics: ["b", "a"] },
    { input: undefined },
    { memoryId: undefined },
    { agentId: undefined },
    { teamId: "other" },
    { feedback: "bad" },
    { labels: { a: "1" } },
    { labels: { a: "1", b: "3" } },
  ];
  for (const change of changes) {
    expect(requestFingerprint({ ...request, ...change })).not.toBe(requestFingerprint(request));
  }
  // The owner and the request id are the key the fingerprint is stored under, not part of it;
  // the expiry is not part of it either, since a retried ttl moves it.
  expect(requestFingerprint({ ...request, requestId: "other" })).toBe(requestFingerprint(request));
  expect(requestFingerprint({ ...request, expireTime: 99 })).toBe(requestFingerprint(request));
});

const stored: MemoryRecord = {
  userId: "u",
  memoryId: "m",
  memory: "text",
  topics: ["a"],
  input: "said so",
  agentId: "agent",
  teamId: undefined,
  feedback: "good",
  labels: { k: "v" },
  expireTime: 123,
  createTime: 1,
  updateTime: 2,
  etag: "e",
};

it("updates only the fields the change names, clearing those it names without a value", () => {
  const update = { userId: "u", memoryId: "m" };
  expect(updatedContent(stored, { ...update, changes: { topics: ["b"] } })).toEqual({
    memory: "text",
    topics: ["b"],
    input: "said so",
    agentId: "agent",
    teamId: undefined,
    feedback: "good",
    labels: { k: "v" },
    expireTime: 123,
  });
  const cleared = updatedContent(stored, { ...update, changes: { input: undefined, expireTime: undefined, labels: {} } });
  expect(cleared).toMatchObject({ memory: "text", input: undefined, expireTime: undefined, labels: {}, feedback: "good" });
});

it("reads columns and documents, labels as an object or as pairs, absent fields as unset", () => {
  const columns = { user_id: "u", memory_id: "m", memory: "x", topics: [], create_us: "5", update_us: 6, etag: "e" };
  expect(recordFromColumns(columns)).toEqual({
    userId: "u",
    memoryId: "m",
    memory: "x",
    topics: [],
    input: undefined,
    agentId: undefined,
    teamId: undefined,
    feedback: undefined,
    labels: {},
    expireTime: undefined,
    createTime: 5,
    updateTime: 6,
    etag: "e",
  });
  expect(recordFromColumns({ ...columns, labels: [["__proto__", "v"]], expire_us: "9" })).toMatchObject({ expireTime: 9 });
  const labels = recordFromColumns({ ...columns, labels: [["__proto__", "v"]] }).labels;
  expect(Object.keys(labels)).toEqual(["__proto__"]);
  expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
});
