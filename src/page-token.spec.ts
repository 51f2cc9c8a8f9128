import { expect, it } from "vitest";
import { decodePageToken, encodePageToken, InvalidPageTokenError, type ListingScope, MAX_PAGE_TOKEN_LENGTH } from "./page-token.js";

const scope: ListingScope = { method: "list", userId: "ada", direction: "newest", anyTopics: ["ui"], text: "" };
const cursor = { time: 1_700_000_000_123_456, memoryId: `m-${"x".repeat(126)}` };

it("carries the cursor, opaque and within the length validation allows", () => {
  const token = encodePageToken(cursor, scope);
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(token.length).toBeLessThanOrEqual(MAX_PAGE_TOKEN_LENGTH);
  expect(decodePageToken(token, scope)).toEqual(cursor);
});

it("is refused with any other method, user, order, topics or query", () => {
  const token = encodePageToken(cursor, scope);
  for (const other of [
    { ...scope, method: "search" as const },
    { ...scope, userId: "bob" },
    { ...scope, direction: "oldest" as const },
    { ...scope, anyTopics: [] },
    { ...scope, anyTopics: ["ui", "x"] },
    { ...scope, text: "tea" },
  ]) {
    expect(() => decodePageToken(token, other)).toThrow(InvalidPageTokenError);
  }
});

it("refuses what this service did not issue", () => {
  for (const token of [
    "",
    "not-a-token",
    Buffer.from("[1,2,3]").toString("base64url"),
    Buffer.from('[1,-5,"m","x"]').toString("base64url"),
  ]) {
    expect(() => decodePageToken(token, scope)).toThrow(InvalidPageTokenError);
  }
});
