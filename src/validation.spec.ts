import { expect, it } from "vitest";
import {
  BatchCreateUserMemoriesRequest,
  BatchDeleteUserMemoriesRequest,
  BatchUpsertUserMemoriesRequest,
  ClearUserMemoriesRequest,
  ConsolidateUserMemoriesRequest,
  CreateUserMemoryRequest,
  type DeepPartial,
  GetUserMemoryRequest,
  ListMemoryTopicsRequest,
  ListUserMemoriesRequest,
  ListUserStatsRequest,
  SearchUserMemoriesRequest,
  UpdateUserMemoryRequest,
} from "../gen/ts/memoryd/v1/memory_service.js";
import { encodePageToken, MEMORY_POSITION, TOPIC_POSITION } from "./page-token.js";
import { wallClockMicros } from "./storage/clock.js";
import { NO_FILTER } from "./storage/store.js";
import { LIMITS, listingScope, topicsScope, ValidationError, validate } from "./validation.js";

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
const create = (request: DeepPartial<CreateUserMemoryRequest>) => validate.create(CreateUserMemoryRequest.fromPartial(request));
const batchCreate = (request: DeepPartial<BatchCreateUserMemoriesRequest>) =>
  validate.batchCreate(BatchCreateUserMemoriesRequest.fromPartial(request));
const get = (request: DeepPartial<GetUserMemoryRequest>) => validate.get(GetUserMemoryRequest.fromPartial(request));
const list = (request: DeepPartial<ListUserMemoriesRequest>) => validate.list(ListUserMemoriesRequest.fromPartial(request));
const search = (request: DeepPartial<SearchUserMemoriesRequest>) => validate.search(SearchUserMemoriesRequest.fromPartial(request));
const update = (request: DeepPartial<UpdateUserMemoryRequest>) => validate.update(UpdateUserMemoryRequest.fromPartial(request));
const clear = (request: DeepPartial<ClearUserMemoriesRequest>) => validate.clear(ClearUserMemoriesRequest.fromPartial(request));

it("turns a valid create into the store's type, an empty id or request id meaning none", () => {
  expect(create({ userMemory: { ...memory, memoryId: "", input: "said so" }, requestId: "" })).toEqual({
    ...memory,
    memoryId: undefined,
    input: "said so",
    agentId: undefined,
    teamId: undefined,
    feedback: undefined,
    labels: {},
    expireTime: undefined,
    requestId: undefined,
  });
});

it("carries scopes, feedback and labels, and turns a ttl into an expire time on the server's clock", () => {
  const before = wallClockMicros();
  const created = create({
    userMemory: {
      ...memory,
      agentId: "agent-1",
      teamId: "team-1",
      feedback: "spot on",
      labels: new Map([
        ["source", "chat"],
        ["a", ""],
      ]),
      expiration: { $case: "ttl", ttl: { seconds: 60, nanos: 500_000_000 } },
    },
  });
  expect(created).toMatchObject({ agentId: "agent-1", teamId: "team-1", feedback: "spot on", labels: { a: "", source: "chat" } });
  expect(Object.keys(created.labels)).toEqual(["a", "source"]);
  expect(created.expireTime! - before).toBeGreaterThanOrEqual(60_500_000);
  expect(created.expireTime! - wallClockMicros()).toBeLessThanOrEqual(60_500_000);
  const at = { seconds: 4_000_000_000, nanos: 123_456_789 };
  expect(create({ userMemory: { ...memory, expiration: { $case: "expireTime", expireTime: at } } }).expireTime).toBe(4_000_000_000_123_456);
});

it("names every offending field by its proto path", () => {
  const request = {
    userMemory: {
      userId: "",
      memory: "x".repeat(16_385),
      topics: ["ok", "", "t".repeat(129), "bad\u0007"],
      input: "nul\u0000",
      agentId: "a\u200b",
      feedback: "f".repeat(16_385),
      labels: new Map([
        ["", "v"],
        ["ok", "nul\u0000"],
      ]),
      expiration: { $case: "expireTime" as const, expireTime: { seconds: 1, nanos: 0 } },
    },
    requestId: "r".repeat(129),
  };
  expect(violations(() => create(request))).toEqual([
    "user_memory.user_id",
    "user_memory.memory",
    "user_memory.topics[1]",
    "user_memory.topics[2]",
    "user_memory.topics[3]",
    "user_memory.input",
    "user_memory.agent_id",
    "user_memory.feedback",
    'user_memory.labels[""]',
    'user_memory.labels["ok"]',
    "user_memory.expire_time",
    "request_id",
  ]);
  expect(violations(() => create({}))).toEqual(["user_memory"]);
  expect(violations(() => batchCreate({ requests: [{ userMemory: memory }, { userMemory: { ...memory, memory: "" } }] }))).toEqual([
    "requests[1].user_memory.memory",
  ]);
  const ttl = (seconds: number) => create({ userMemory: { ...memory, expiration: { $case: "ttl", ttl: { seconds, nanos: 0 } } } });
  expect(violations(() => ttl(0))).toEqual(["user_memory.ttl"]);
  expect(violations(() => ttl(LIMITS.ttlSeconds.max + 1))).toEqual(["user_memory.ttl"]);
  expect(ttl(LIMITS.ttlSeconds.max).expireTime).toBeGreaterThan(0);
});

it("refuses label keys that meet in NFC rather than merge them, and keeps a key called __proto__", () => {
  const labels = new Map([
    ["cafe\u0301", "1"],
    ["caf\u00e9", "2"],
  ]);
  expect(violations(() => create({ userMemory: { ...memory, labels } }))).toEqual(['user_memory.labels["café"]']);
  const stored = create({ userMemory: { ...memory, labels: new Map([["__proto__", "x"]]) } });
  expect(Object.keys(stored.labels)).toEqual(["__proto__"]);
  expect(Object.getPrototypeOf(stored.labels)).toBe(Object.prototype);
});

it("counts limits in UTF-8 bytes of the stored (NFC) form", () => {
  expect(create({ userMemory: { ...memory, memory: "é".repeat(LIMITS.memoryBytes / 2) } }).memory).toHaveLength(LIMITS.memoryBytes / 2);
  expect(violations(() => create({ userMemory: { ...memory, memory: `${"é".repeat(LIMITS.memoryBytes / 2)}x` } }))).toEqual([
    "user_memory.memory",
  ]);
  // 128 decomposed "é" are 384 bytes as sent, 256 once composed: within the user id limit.
  expect(get({ userId: "e\u0301".repeat(128), memoryId: "m" }).userId).toBe("\u00e9".repeat(128));
});

it("stores ids and topics in NFC and refuses invisible characters in them, not in text", () => {
  const stored = create({
    userMemory: { userId: "Jose\u0301", memoryId: "cafe\u0301", memory: "text\u200b", topics: ["re\u0301sume\u0301"] },
  });
  expect(stored).toMatchObject({ userId: "Jos\u00e9", memoryId: "caf\u00e9", memory: "text\u200b", topics: ["r\u00e9sum\u00e9"] });
  expect(
    violations(() => create({ userMemory: { ...memory, userId: "ada\u200b", memoryId: "m\u202e", topics: ["\ufeff"] } })).sort(),
  ).toEqual(["user_memory.memory_id", "user_memory.topics[0]", "user_memory.user_id"]);
});

it("refuses repeats of a memory id or request id inside one batch, and sizes outside 1 to 500", () => {
  const entry = { userMemory: { ...memory, memoryId: "dup" }, requestId: "same" };
  expect(violations(() => batchCreate({ requests: [entry, entry] }))).toEqual([
    "requests[1].user_memory.memory_id",
    "requests[1].request_id",
  ]);
  expect(violations(() => batchCreate({ requests: [] }))).toEqual(["requests"]);
  expect(violations(() => batchCreate({ requests: Array.from({ length: 501 }, () => ({ userMemory: memory })) }))).toEqual(["requests"]);
  expect(batchCreate({ requests: Array.from({ length: 500 }, () => ({ userMemory: memory })) })).toHaveLength(500);
  const del = (ids: string[]) => validate.batchDelete(BatchDeleteUserMemoriesRequest.fromPartial({ userId: "ada", memoryIds: ids }));
  expect(violations(() => del(["a", "b", "a"]))).toEqual(["memory_ids[2]"]);
  expect(violations(() => del([]))).toEqual(["memory_ids"]);
});

it("fills defaults, lowers page sizes above the maximum, and reads order_by for listing and search", () => {
  expect(list({ userId: "ada" })).toEqual({
    userId: "ada",
    orderBy: "createTime",
    direction: "newest",
    filter: NO_FILTER,
    text: "",
    pageSize: LIMITS.listPageSize.default,
    skip: 0,
    after: undefined,
    withTotal: false,
  });
  expect(list({ userId: "ada", pageSize: 5000 }).pageSize).toBe(LIMITS.listPageSize.max);
  for (const [orderBy, expected] of [
    ["create_time", { orderBy: "createTime", direction: "oldest" }],
    [" update_time   desc ", { orderBy: "updateTime", direction: "newest" }],
    ["update_time asc", { orderBy: "updateTime", direction: "oldest" }],
  ] as const) {
    expect(list({ userId: "ada", orderBy })).toMatchObject(expected);
  }
  expect(search({ userId: "ada", query: "tea" })).toMatchObject({
    orderBy: "updateTime",
    direction: "newest",
    pageSize: LIMITS.searchPageSize.default,
    text: "tea",
  });
  expect(violations(() => list({ userId: "ada", pageSize: -1, orderBy: "memory", skip: LIMITS.skip + 1 }))).toEqual([
    "order_by",
    "page_size",
    "skip",
  ]);
  expect(violations(() => list({ userId: "ada", orderBy: "create_time desc, memory_id" }))).toEqual(["order_by"]);
  const filter = { agentId: "a", teamId: "t", anyTopics: ["x"], allTopics: ["y", "z"], labels: new Map([["k", "v"]]), showExpired: true };
  expect(list({ userId: "ada", filter }).filter).toEqual({ ...filter, labels: { k: "v" }, memoryIds: [] });
  expect(violations(() => list({ userId: "ada", filter: { labels: new Map([["k\u200b", "v"]]) } }))).toEqual(['filter.labels["k\u200b"]']);
});

it("lists one user's memories or, explicitly, every user's; filters by distinct memory ids", () => {
  expect(list({ allUsers: true }).userId).toBeUndefined();
  expect(search({ allUsers: true, query: "tea" })).toMatchObject({ userId: undefined, text: "tea" });
  expect(violations(() => list({}))).toEqual(["user_id"]);
  expect(violations(() => list({ userId: "ada", allUsers: true }))).toEqual(["all_users"]);
  expect(list({ userId: "ada", filter: { memoryIds: ["m2", "m1"] } }).filter.memoryIds).toEqual(["m2", "m1"]);
  expect(violations(() => list({ userId: "ada", filter: { memoryIds: ["m1", "", "m1"] } }))).toEqual([
    "filter.memory_ids[1]",
    "filter.memory_ids[2]",
  ]);
  // A token of one user's listing does not page through everybody's.
  const token = encodePageToken(MEMORY_POSITION, { time: 5, memoryId: "m" }, listingScope("list", list({ userId: "ada" })));
  expect(violations(() => list({ allUsers: true, pageToken: token }))).toEqual(["page_token"]);
  const across = list({ allUsers: true });
  const acrossToken = encodePageToken(MEMORY_POSITION, { time: 5, memoryId: "m", userId: "ada" }, listingScope("list", across));
  expect(list({ allUsers: true, pageToken: acrossToken }).after).toEqual({ time: 5, memoryId: "m", userId: "ada" });
});

it("consolidates one user's memories into new ones of the same user, none of them reusing a deleted id", () => {
  const consolidate = (request: DeepPartial<ConsolidateUserMemoriesRequest>) =>
    validate.consolidate(ConsolidateUserMemoriesRequest.fromPartial(request));
  const valid = {
    userId: "ada",
    memoryIds: ["m1", "m2"],
    userMemories: [{ memory: "m1 and m2" }, { userId: "ada", memoryId: "s", memory: "x" }],
  };
  expect(consolidate(valid)).toMatchObject({
    userId: "ada",
    memoryIds: ["m1", "m2"],
    memories: [
      { userId: "ada", memoryId: undefined, memory: "m1 and m2" },
      { userId: "ada", memoryId: "s" },
    ],
    allowMissing: false,
  });
  expect(violations(() => consolidate({ userId: "ada", memoryIds: ["m1", "m1"], userMemories: [{ memoryId: "s", memory: "" }] }))).toEqual([
    "memory_ids[1]",
    "user_memories[0].memory",
  ]);
  expect(
    violations(() =>
      consolidate({
        userId: "ada",
        memoryIds: ["m1"],
        userMemories: [
          { userId: "bob", memory: "x" },
          { memoryId: "m1", memory: "x" },
        ],
      }),
    ),
  ).toEqual(["user_memories[0].user_id", "user_memories[1].memory_id"]);
  expect(violations(() => consolidate({ userId: "ada", memoryIds: [] }))).toEqual(["memory_ids"]);
});

it("accepts a page token only for the query it was issued for", () => {
  const query = list({ userId: "ada", filter: { anyTopics: ["ui"] } });
  const listToken = encodePageToken(MEMORY_POSITION, { time: 5, memoryId: "m" }, listingScope("list", query));
  const request = { userId: "ada", pageSize: 10, pageToken: listToken, filter: { anyTopics: ["ui"] } };
  expect(list(request).after).toEqual({ time: 5, memoryId: "m" });
  expect(list({ ...request, skip: 3 }).after).toEqual({ time: 5, memoryId: "m" });
  for (const other of [
    { ...request, filter: {} },
    { ...request, orderBy: "update_time desc" },
    { ...request, filter: { anyTopics: ["ui"], showExpired: true } },
    { ...request, filter: { anyTopics: ["ui"], labels: new Map([["k", "v"]]) } },
    { ...request, userId: "bob" },
  ]) {
    expect(violations(() => list(other))).toEqual(["page_token"]);
  }
  expect(violations(() => search({ ...request, query: "" }))).toEqual(["page_token"]);
  const topics = validate.listTopics(ListMemoryTopicsRequest.fromPartial({ userId: "ada" }));
  const topicToken = encodePageToken(TOPIC_POSITION, "food", topicsScope(topics));
  expect(validate.listTopics(ListMemoryTopicsRequest.fromPartial({ userId: "ada", pageToken: topicToken })).after).toBe("food");
  expect(violations(() => validate.listTopics(ListMemoryTopicsRequest.fromPartial({ userId: "bob", pageToken: topicToken })))).toEqual([
    "page_token",
  ]);
  expect(violations(() => validate.listUserStats(ListUserStatsRequest.fromPartial({ pageToken: topicToken })))).toEqual(["page_token"]);
});

it("updates the fields the mask names, or those the memory sets when there is no mask", () => {
  const target = { userId: "ada", memoryId: "m" };
  expect(update({ userMemory: { ...target, topics: ["new"] }, updateMask: ["topics"] }).changes).toEqual({ topics: ["new"] });
  expect(update({ userMemory: { ...target, topics: ["new"], feedback: "ok" } }).changes).toEqual({ topics: ["new"], feedback: "ok" });
  // Named and empty: cleared.
  expect(update({ userMemory: target, updateMask: ["input", "labels", "expire_time"] }).changes).toEqual({
    input: undefined,
    labels: {},
    expireTime: undefined,
  });
  expect(Object.keys(update({ userMemory: { ...target, memory: "all" }, updateMask: ["*"] }).changes).sort()).toEqual([
    "agentId",
    "expireTime",
    "feedback",
    "input",
    "labels",
    "memory",
    "teamId",
    "topics",
  ]);
  expect(update({ userMemory: { ...target, etag: "e1" }, updateMask: ["topics"] }).etag).toBe("e1");
  expect(violations(() => update({ userMemory: target, updateMask: ["memory"] }))).toEqual(["user_memory.memory"]);
  expect(violations(() => update({ userMemory: target }))).toEqual(["update_mask"]);
  expect(violations(() => update({ userMemory: target, updateMask: ["create_time", "user_id", "ttl", "labels.k", "nope"] }))).toEqual([
    "update_mask.paths[0]",
    "update_mask.paths[1]",
    "update_mask.paths[2]",
    "update_mask.paths[3]",
    "update_mask.paths[4]",
  ]);
  expect(violations(() => update({ userMemory: target, updateMask: Array.from({ length: 17 }, () => "topics") }))).toEqual(["update_mask"]);
});

it("keeps upserted times, refuses times after the server's clock or an update before the create", () => {
  const upsert = (createTime?: number, updateTime?: number) =>
    validate.batchUpsert(
      BatchUpsertUserMemoriesRequest.fromPartial({
        upserts: [
          {
            userMemory: { ...memory, memoryId: "m" },
            createTime: createTime === undefined ? undefined : { seconds: createTime, nanos: 0 },
            updateTime: updateTime === undefined ? undefined : { seconds: updateTime, nanos: 0 },
          },
        ],
      }),
    );
  expect(upsert(1_700_000_000, 1_700_000_100)[0]).toMatchObject({ createTime: 1_700_000_000_000_000, updateTime: 1_700_000_100_000_000 });
  expect(upsert(1_700_000_000)[0]!.updateTime).toBe(1_700_000_000_000_000);
  const later = Math.floor(Date.now() / 1000) + 3600;
  expect(violations(() => upsert(later))).toEqual(["upserts[0].create_time", "upserts[0].update_time"]);
  expect(violations(() => upsert(1_700_000_100, 1_700_000_000))).toEqual(["upserts[0].update_time"]);
  expect(violations(() => upsert(-1))).toEqual(["upserts[0].create_time"]);
});

it("clears one user, or every user only when asked and never both", () => {
  expect(clear({ userId: "ada", allUsers: false })).toEqual({ userId: "ada" });
  expect(clear({ userId: "", allUsers: true })).toEqual({ allUsers: true });
  expect(violations(() => clear({ userId: "", allUsers: false }))).toEqual(["user_id"]);
  expect(violations(() => clear({ userId: "ada", allUsers: true }))).toEqual(["all_users"]);
});
