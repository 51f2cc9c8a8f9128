import { expect, it } from "vitest";
import { startCursor, toPage } from "./pages.js";
import type { MemoryRecord } from "./store.js";

const record = (i: number): MemoryRecord => ({
  userId: "u",
  memoryId: `m${i}`,
  memory: "x",
  topics: [],
  input: undefined,
  labels: {},
  createTime: 1000 + i,
  updateTime: 5000 - i,
  etag: "e",
});

it("takes one row more than the page only to know that another page follows", () => {
  const rows = [1, 2, 3].map(record);
  const byCreate = { pageSize: 3, orderBy: "createTime", userId: "u" } as const;
  expect(toPage(rows, byCreate, (r) => r)).toEqual({ memories: rows, next: undefined });
  const page = toPage([...rows, record(4)], byCreate, (r) => r);
  expect(page.memories).toEqual(rows);
  expect(page.next).toEqual({ time: 1003, memoryId: "m3" });
  expect(toPage([...rows, record(4)], { pageSize: 3, orderBy: "updateTime", userId: "u" }, (r) => r).next).toEqual({
    time: 4997,
    memoryId: "m3",
  });
  // Across users, two users may have one memory id at one time: the user id breaks the tie.
  const acrossUsers = { ...byCreate, userId: undefined };
  expect(toPage([...rows, record(4)], acrossUsers, (r) => r).next).toEqual({ time: 1003, memoryId: "m3", userId: rows[2]!.userId });
  expect(toPage([], byCreate, (r) => r)).toEqual({ memories: [], next: undefined });
  expect(toPage(rows, byCreate, (r) => r, 7)).toEqual({ memories: rows, next: undefined, total: 7 });
});

it("starts every listing before any real key", () => {
  expect(startCursor("newest")).toEqual({ time: Number.MAX_SAFE_INTEGER, memoryId: "" });
  expect(startCursor("oldest")).toEqual({ time: -1, memoryId: "" });
});
