import { expect, it } from "vitest";
import { newEtag, newRecord, replacedRecord, requestFingerprint } from "./records.js";

it("builds a created record: the given content, one time for both, a fresh etag, a UUID unless an id was chosen", () => {
  const created = newRecord({ userId: "u", memory: "m", topics: ["t"], input: "i" }, 42);
  expect(created).toMatchObject({ userId: "u", memory: "m", topics: ["t"], input: "i", createTime: 42, updateTime: 42 });
  expect(created.memoryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(newRecord({ userId: "u", memoryId: "chosen", memory: "m", topics: [] }, 42).memoryId).toBe("chosen");
  expect(created.etag).not.toBe(newRecord({ userId: "u", memory: "m", topics: [] }, 42).etag);
});

it("builds a replacement with a fresh etag, the create time to be read back", () => {
  const replaced = replacedRecord({ userId: "u", memoryId: "m", memory: "new", topics: [], allowMissing: false, etag: "old" }, 7);
  expect(replaced).toMatchObject({ userId: "u", memoryId: "m", memory: "new", input: undefined, updateTime: 7, createTime: 7 });
  expect(replaced.etag).not.toBe("old");
});

it("makes etags of 80 random bits that do not repeat", () => {
  const etags = new Set(Array.from({ length: 10_000 }, newEtag));
  expect(etags.size).toBe(10_000);
  for (const etag of [...etags].slice(0, 10)) expect(etag).toMatch(/^[0-9a-f]{20}$/);
});

it("fingerprints what a creation asked for: the same request alike, any other content apart", () => {
  const request = { userId: "u", memoryId: "m", memory: "text", topics: ["a", "b"], input: "in", requestId: "r" };
  expect(requestFingerprint(request)).toBe(requestFingerprint({ ...request }));
  for (const change of [{ memory: "other" }, { topics: ["b", "a"] }, { input: undefined }, { memoryId: undefined }]) {
    expect(requestFingerprint({ ...request, ...change })).not.toBe(requestFingerprint(request));
  }
  // The owner and the request id are the key the fingerprint is stored under, not part of it.
  expect(requestFingerprint({ ...request, requestId: "other" })).toBe(requestFingerprint(request));
});
