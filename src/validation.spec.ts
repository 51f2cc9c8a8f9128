import { expect, it } from "vitest";
import {
  AddUserMemoryRequest,
  BatchAddUserMemoriesRequest,
  ClearUserMemoriesRequest,
  type DeepPartial,
  GetUserMemoryRequest,
  ListOrder,
  ListUserMemoriesRequest,
  RetrievalMethod,
  SearchUserMemoriesRequest,
} from "../gen/ts/memory/v1/memory_service.js";
import { encodePageToken } from "./page-token.js";
import { LIMITS, listingScope, searchScope, ValidationError, validate } from "./validation.js";

/** The fields a request's violations name, in order. */
function violations(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err.violations.map((v) => v.field);
    throw err;
  }
  throw new Error("the request was valid");
}

const memory = { userId: "ada", memory: "prefers dark mode", topics: ["ui"] };

// Requests as the decoder hands them over: every field present, proto3 defaults where unset.
const add = (request: DeepPartial<AddUserMemoryRequest>) => validate.add(AddUserMemoryRequest.fromPartial(request));
const batchAdd = (request: DeepPartial<BatchAddUserMemoriesRequest>) => validate.batchAdd(BatchAddUserMemoriesRequest.fromPartial(request));
const get = (request: DeepPartial<GetUserMemoryRequest>) => validate.get(GetUserMemoryRequest.fromPartial(request));
const list = (request: DeepPartial<ListUserMemoriesRequest>) => validate.list(ListUserMemoriesRequest.fromPartial(request));
const search = (request: DeepPartial<SearchUserMemoriesRequest>) => validate.search(SearchUserMemoriesRequest.fromPartial(request));
const clear = (request: DeepPartial<ClearUserMemoriesRequest>) => validate.clear(ClearUserMemoriesRequest.fromPartial(request));

it("turns a valid create into the store's type, an empty id or request id meaning none", () => {
  expect(add({ userMemory: { ...memory, memoryId: "", input: "said so" }, requestId: "" })).toEqual({
    ...memory,
    memoryId: undefined,
    input: "said so",
    requestId: undefined,
  });
});

it("names every offending field by its proto path", () => {
  const request = {
    userMemory: { userId: "", memory: "x".repeat(16_385), topics: ["ok", "", "t".repeat(129), "bad\u0007"], input: "nul\u0000" },
    requestId: "r".repeat(129),
  };
  expect(violations(() => add(request))).toEqual([
    "user_memory.user_id",
    "user_memory.memory",
    "user_memory.topics[1]",
    "user_memory.topics[2]",
    "user_memory.topics[3]",
    "user_memory.input",
    "request_id",
  ]);
  expect(violations(() => add({}))).toEqual(["user_memory"]);
  expect(violations(() => batchAdd({ requests: [{ userMemory: memory }, { userMemory: { ...memory, memory: "" } }] }))).toEqual([
    "requests[1].user_memory.memory",
  ]);
});

it("counts limits in UTF-8 bytes of the stored (NFC) form", () => {
  expect(add({ userMemory: { ...memory, memory: "é".repeat(LIMITS.memoryBytes / 2) } }).memory).toHaveLength(LIMITS.memoryBytes / 2);
  expect(violations(() => add({ userMemory: { ...memory, memory: `${"é".repeat(LIMITS.memoryBytes / 2)}x` } }))).toEqual([
    "user_memory.memory",
  ]);
  // 128 decomposed "é" are 384 bytes as sent, 256 once composed: within the user id limit.
  expect(get({ userId: "e\u0301".repeat(128), memoryId: "m" }).userId).toBe("\u00e9".repeat(128));
});

it("stores ids and topics in NFC and refuses invisible characters in them, not in text", () => {
  const stored = add({
    userMemory: { userId: "Jose\u0301", memoryId: "cafe\u0301", memory: "text\u200b", topics: ["re\u0301sume\u0301"] },
  });
  expect(stored).toMatchObject({ userId: "Jos\u00e9", memoryId: "caf\u00e9", memory: "text\u200b", topics: ["r\u00e9sum\u00e9"] });
  expect(violations(() => add({ userMemory: { ...memory, userId: "ada\u200b", memoryId: "m\u202e", topics: ["\ufeff"] } })).sort()).toEqual(
    ["user_memory.memory_id", "user_memory.topics[0]", "user_memory.user_id"],
  );
});

it("refuses repeats of a memory id or request id inside one batch, and sizes outside 1 to 500", () => {
  const entry = { userMemory: { ...memory, memoryId: "dup" }, requestId: "same" };
  expect(violations(() => batchAdd({ requests: [entry, entry] }))).toEqual(["requests[1].user_memory.memory_id", "requests[1].request_id"]);
  expect(violations(() => batchAdd({ requests: [] }))).toEqual(["requests"]);
  expect(violations(() => batchAdd({ requests: Array.from({ length: 501 }, () => ({ userMemory: memory })) }))).toEqual(["requests"]);
  expect(batchAdd({ requests: Array.from({ length: 500 }, () => ({ userMemory: memory })) })).toHaveLength(500);
});

it("fills defaults and maps enums for listing and search", () => {
  expect(list({ userId: "ada", pageSize: 0, pageToken: "", order: ListOrder.LIST_ORDER_UNSPECIFIED, topics: [] })).toEqual({
    userId: "ada",
    direction: "newest",
    anyTopics: [],
    pageSize: LIMITS.pageSize.default,
    after: undefined,
  });
  expect(list({ userId: "ada", pageSize: 7, pageToken: "", order: ListOrder.LIST_ORDER_OLDEST_FIRST, topics: [] }).direction).toBe(
    "oldest",
  );
  const found = search({
    userId: "ada",
    query: "tea",
    topics: [],
    retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_FIRST_N,
    limit: 0,
    pageToken: "",
  });
  expect(found).toMatchObject({ direction: "oldest", limit: LIMITS.searchLimit.default, text: "tea" });
  expect(violations(() => list({ userId: "ada", pageSize: 1001, pageToken: "", order: 9 as ListOrder, topics: [] }))).toEqual([
    "page_size",
    "order",
  ]);
});

it("accepts a page token only for the query it was issued for", () => {
  const query = { userId: "ada", direction: "newest" as const, anyTopics: ["ui"] };
  const listToken = encodePageToken({ time: 5, memoryId: "m" }, listingScope(query));
  const request = { userId: "ada", pageSize: 10, pageToken: listToken, order: ListOrder.LIST_ORDER_NEWEST_FIRST, topics: ["ui"] };
  expect(list(request).after).toEqual({ time: 5, memoryId: "m" });
  expect(violations(() => list({ ...request, topics: [] }))).toEqual(["page_token"]);
  const searchRequest = {
    userId: "ada",
    query: "",
    topics: ["ui"],
    retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_LAST_N,
    limit: 10,
    pageToken: listToken,
  };
  expect(violations(() => search(searchRequest))).toEqual(["page_token"]);
  const searchToken = encodePageToken({ time: 6, memoryId: "n" }, searchScope({ ...query, text: "" }));
  expect(search({ ...searchRequest, pageToken: searchToken }).after).toEqual({ time: 6, memoryId: "n" });
});

it("clears one user, or every user only when asked and never both", () => {
  expect(clear({ userId: "ada", allUsers: false })).toEqual({ userId: "ada" });
  expect(clear({ userId: "", allUsers: true })).toEqual({ allUsers: true });
  expect(violations(() => clear({ userId: "", allUsers: false }))).toEqual(["user_id"]);
  expect(violations(() => clear({ userId: "ada", allUsers: true }))).toEqual(["all_users"]);
});
