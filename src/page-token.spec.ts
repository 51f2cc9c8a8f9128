import { expect, it } from "vitest";
import {
  decodePageToken,
  encodePageToken,
  InvalidPageTokenError,
  MAX_PAGE_TOKEN_LENGTH,
  MEMORY_POSITION,
  TOPIC_POSITION,
  USER_STATS_POSITION,
} from "./page-token.js";

const scope = ["list", "ada", "createTime", "newest", "", null, null, ["ui"], [], [], false];
const cursor = { time: 1_700_000_000_123_456, memoryId: `m-${"x".repeat(126)}` };

it("carries the position, opaque and within the length validation allows", () => {
  const token = encodePageToken(MEMORY_POSITION, cursor, scope);
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(token.length).toBeLessThanOrEqual(MAX_PAGE_TOKEN_LENGTH);
  expect(decodePageToken(MEMORY_POSITION, token, scope)).toEqual(cursor);
  const longest = encodePageToken(USER_STATS_POSITION, { time: Number.MAX_SAFE_INTEGER, userId: "u".repeat(256) }, ["user-stats", null]);
  expect(longest.length).toBeLessThanOrEqual(MAX_PAGE_TOKEN_LENGTH);
  expect(decodePageToken(TOPIC_POSITION, encodePageToken(TOPIC_POSITION, "food", ["topics"]), ["topics"])).toBe("food");
});

it("is refused with any other scope", () => {
  const token = encodePageToken(MEMORY_POSITION, cursor, scope);
  for (const index of scope.keys()) {
    const other = [...scope];
    other[index] = index === 7 ? [] : "other";
    expect(() => decodePageToken(MEMORY_POSITION, token, other)).toThrow(InvalidPageTokenError);
  }
});

it("refuses what this service did not issue, and a position of another kind", () => {
  for (const token of [
    "",
    "not-a-token",
    Buffer.from("[1,2,3]").toString("base64url"),
    Buffer.from('[2,"x",-5,"m"]').toString("base64url"),
    encodePageToken(TOPIC_POSITION, "food", scope),
  ]) {
    expect(() => decodePageToken(MEMORY_POSITION, token, scope)).toThrow(InvalidPageTokenError);
  }
});
