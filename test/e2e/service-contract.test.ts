/**
 * What MemoryService answers whatever the backend: request validation and
 * the fields it names, the scopes requests need, the error details every
 * status carries, decoding (strict wire format, malformed bytes,
 * compression flags), health and reflection — over gRPC against a real
 * server on loopback, once, on SQLite. What depends on the store runs on
 * every backend, in storage-calls.ts.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type Client, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAuthenticator, type TokenFile } from "../../src/auth.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { openStore } from "../../src/storage/open.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { bearer, failure, MemoryClient, statusDetails, violatedFields } from "../../testkit/client.js";
import { useTestServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";
import { bytes, ELEVEN_BYTE_VARINT, grpcFrame, ld, rawGrpc, tag, text, varint, wrappedLength, wrappedTag } from "../helpers/wire.js";
import { backend } from "../support/backends.js";

/** Sends raw bytes to a unary method, to test what the generated client cannot produce. */
function rawUnary(client: Client, path: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (err, res) => (err ? reject(err) : resolve(res!)),
    ),
  );
}

/** Asks the reflection service one question; returns the first response's bytes. */
function reflect(client: Client, version: "v1" | "v1alpha", request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      new Metadata(),
      { deadline: Date.now() + 5000 },
    );
    call.on("data", (data: Buffer) => {
      resolve(data);
      call.end();
    });
    call.on("error", reject);
    call.write(request);
  });
}

/** The length-delimited fields with number `field` in a message. */
function nestedFields(bytes: Uint8Array, field: number): Uint8Array[] {
  const reader = new BinaryReader(bytes);
  const found: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === field) found.push(reader.bytes());
    else reader.skip(wireType);
  }
  return found;
}

/**
 * Checks that `err` is INVALID_ARGUMENT with ErrorInfo INVALID_FIELD in memoryd's domain and a
 * BadRequest naming exactly `fields`, in order; returns the violations' descriptions by field.
 */
function expectInvalid(err: ServiceError, fields: string[]): Map<string, string> {
  expect(status[err.code], err.details).toBe("INVALID_ARGUMENT");
  const details = statusDetails(err);
  expect(details.errorInfo).toMatchObject({ reason: "INVALID_FIELD", domain: "memoryd.dev" });
  expect(violatedFields(err)).toEqual(fields);
  return new Map((details.badRequest?.fieldViolations ?? []).map((v) => [v.field, v.description]));
}

/** Checks that `err` has `code` and an ErrorInfo with `reason` in memoryd's domain. */
function expectReason(err: ServiceError, code: keyof typeof status, reason: string): void {
  expect(status[err.code], err.details).toBe(code);
  expect(statusDetails(err).errorInfo).toMatchObject({ reason, domain: "memoryd.dev" });
}

describe("MemoryService over gRPC, whatever the backend", () => {
  const t = useTestServer(() => openStore(backend("sqlite").storageUrl()));
  const newUser = () => `e2e-${randomUUID()}`;
  const add = (userId: string, memory = "prefers dark mode", topics = ["ui"]) =>
    t.client.create({ userMemory: { userId, memory, topics } }).then((r) => r.userMemory!);
  const labels = (entries: Record<string, string> | [string, string][]) =>
    new Map(Array.isArray(entries) ? entries : Object.entries(entries));

  describe("CreateUserMemory", () => {
    it("answers INVALID_ARGUMENT with a BadRequest naming every offending field", async () => {
      const err = await failure(
        t.client.create({
          userMemory: {
            userId: "",
            memory: "x".repeat(16_385),
            topics: ["ok", "", "t".repeat(129), "bad\u0007"],
            input: "nul\u0000",
            agentId: "a".repeat(257),
            teamId: "team\u200b",
            feedback: "f".repeat(16_385),
          },
          requestId: "r".repeat(129),
        }),
      );
      expectInvalid(err, [
        "user_memory.user_id",
        "user_memory.memory",
        "user_memory.topics[1]",
        "user_memory.topics[2]",
        "user_memory.topics[3]",
        "user_memory.input",
        "user_memory.agent_id",
        "user_memory.team_id",
        "user_memory.feedback",
        "request_id",
      ]);
      expect(err.details).toContain("user_memory.user_id: is required");
    });

    it("requires user_memory and bounds the topic count", async () => {
      expectInvalid(await failure(t.client.create({})), ["user_memory"]);
      const topics = Array.from({ length: 33 }, (_, i) => `t${i}`);
      expectInvalid(await failure(t.client.create({ userMemory: { userId: newUser(), memory: "m", topics } })), ["user_memory.topics"]);
    });
  });

  describe("labels", () => {
    const create = (userId: string, entries: Record<string, string> | [string, string][]) =>
      failure(t.client.create({ userMemory: { userId, memory: "m", labels: labels(entries) } }));

    it("bounds their number", async () => {
      const userId = newUser();
      const tooMany = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"]));
      const violations = expectInvalid(await create(userId, tooMany), ["user_memory.labels"]);
      expect(violations.get("user_memory.labels")).toBe("must have at most 32 entries");
      const { userMemory } = await t.client.create({
        userMemory: { userId, memory: "m", labels: labels(Object.fromEntries(Object.entries(tooMany).slice(0, 32))) },
      });
      expect(userMemory!.labels.size).toBe(32);
    });

    it("names each bad key or value by its key: too long, empty, invisible, NUL, repeated once in NFC", async () => {
      const userId = newUser();
      const long = "k".repeat(129);
      const violations = expectInvalid(
        await create(userId, [
          ["ok", "fine"],
          [long, "v"],
          ["", "v"],
          ["zero\u200bwidth", "v"],
          ["tab\tkey", "v"],
          ["big", "v".repeat(1025)],
          ["nul", "a\u0000b"],
          ["caf\u00e9", "precomposed"],
          ["cafe\u0301", "combining"],
        ]),
        [
          `user_memory.labels[${JSON.stringify(long)}]`,
          'user_memory.labels[""]',
          'user_memory.labels["zero\u200bwidth"]',
          'user_memory.labels["tab\\tkey"]',
          'user_memory.labels["big"]',
          'user_memory.labels["nul"]',
          'user_memory.labels["cafe\u0301"]',
        ],
      );
      expect(violations.get(`user_memory.labels[${JSON.stringify(long)}]`)).toBe("key must be at most 128 bytes of UTF-8");
      expect(violations.get('user_memory.labels[""]')).toBe("key is required");
      expect(violations.get('user_memory.labels["big"]')).toBe("value must be at most 1024 bytes of UTF-8");
      expect(violations.get('user_memory.labels["nul"]')).toBe("value must not contain NUL characters");
      expect(violations.get('user_memory.labels["cafe\u0301"]')).toBe("repeats another key once normalized to NFC");
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    });

    it("takes keys and values at their limits, and an empty value", async () => {
      const userId = newUser();
      const key = "é".repeat(64); // 128 bytes of UTF-8
      const { userMemory } = await t.client.create({
        userMemory: { userId, memory: "m", labels: labels({ [key]: "ü".repeat(512), empty: "" }) },
      });
      expect(Object.fromEntries(userMemory!.labels)).toEqual({ [key]: "ü".repeat(512), empty: "" });
      expectInvalid(await create(userId, { [`${key}x`]: "v" }), [`user_memory.labels[${JSON.stringify(`${key}x`)}]`]);
      expectInvalid(await create(userId, { k: `${"ü".repeat(512)}x` }), ['user_memory.labels["k"]']);
    });

    it("names them within a batch entry, a replace, an update, an upsert and a filter", async () => {
      const userId = newUser();
      const bad = labels({ "": "v" });
      expectInvalid(
        await failure(
          t.client.batchCreate({
            requests: [{ userMemory: { userId, memory: "a" } }, { userMemory: { userId, memory: "b", labels: bad } }],
          }),
        ),
        ['requests[1].user_memory.labels[""]'],
      );
      expectInvalid(await failure(t.client.replace({ userMemory: { userId, memoryId: "m", memory: "x", labels: bad } })), [
        'user_memory.labels[""]',
      ]);
      expectInvalid(await failure(t.client.update({ userMemory: { userId, memoryId: "m", labels: bad }, updateMask: ["labels"] })), [
        'user_memory.labels[""]',
      ]);
      expectInvalid(
        await failure(t.client.batchUpsert({ upserts: [{ userMemory: { userId, memoryId: "m", memory: "x", labels: bad } }] })),
        ['upserts[0].user_memory.labels[""]'],
      );
      expectInvalid(await failure(t.client.list({ userId, filter: { labels: labels({ "k\u200b": "v" }) } })), ['filter.labels["k\u200b"]']);
      expectInvalid(await failure(t.client.search({ userId, filter: { labels: labels({ k: "v".repeat(1025) }) } })), [
        'filter.labels["k"]',
      ]);
      const tooMany = labels(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"])));
      expectInvalid(await failure(t.client.list({ userId, filter: { labels: tooMany } })), ["filter.labels"]);
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    });
  });

  describe("BatchCreateUserMemories", () => {
    it("validates each entry, repeats inside the batch, and the batch size", async () => {
      const userId = newUser();
      const err = await failure(
        t.client.batchCreate({
          requests: [
            { userMemory: { userId, memoryId: "dup", memory: "a" }, requestId: "same" },
            { userMemory: { userId, memory: "" } },
            { userMemory: { userId, memoryId: "dup", memory: "b" }, requestId: "same" },
          ],
        }),
      );
      expectInvalid(err, ["requests[1].user_memory.memory", "requests[2].user_memory.memory_id", "requests[2].request_id"]);
      expectInvalid(await failure(t.client.batchCreate({ requests: [] })), ["requests"]);
      const tooMany = Array.from({ length: 501 }, () => ({ userMemory: { userId, memory: "m" } }));
      expectInvalid(await failure(t.client.batchCreate({ requests: tooMany })), ["requests"]);
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    });
  });

  describe("GetUserMemory", () => {
    it("answers INVALID_ARGUMENT for missing ids", async () => {
      expectInvalid(await failure(t.client.get({})), ["user_id", "memory_id"]);
    });
  });

  describe("ListUserMemories", () => {
    it("answers INVALID_ARGUMENT for a malformed page token or one from another query", async () => {
      const userId = newUser();
      for (let i = 0; i < 3; i++) await add(userId);
      const { nextPageToken } = await t.client.list({ userId, pageSize: 1 });
      for (const request of [
        { userId, pageToken: "not-a-token" },
        { userId, pageToken: Buffer.from('[1,"x"]').toString("base64url") },
        { userId, pageToken: nextPageToken, orderBy: "create_time" },
        { userId, pageToken: nextPageToken, orderBy: "update_time desc" },
        { userId, pageToken: nextPageToken, filter: { anyTopics: ["ui"] } },
        { userId, pageToken: nextPageToken, filter: { allTopics: ["ui"] } },
        { userId, pageToken: nextPageToken, filter: { agentId: "agent" } },
        { userId, pageToken: nextPageToken, filter: { labels: labels({ k: "v" }) } },
        { userId, pageToken: nextPageToken, filter: { showExpired: true } },
        { userId: newUser(), pageToken: nextPageToken },
        { userId, pageToken: nextPageToken + "A".repeat(600) }, // longer than any token issued: refused before decoding
      ]) {
        expectInvalid(await failure(t.client.list(request)), ["page_token"]);
      }
      // A list token is not a search token, even for the same user and order.
      expectInvalid(await failure(t.client.search({ userId, orderBy: "create_time desc", pageToken: nextPageToken })), ["page_token"]);
      // The same query takes it; an explicit default order is the same order.
      expect(
        (await t.client.list({ userId, pageSize: 1, orderBy: "create_time desc", pageToken: nextPageToken })).userMemories,
      ).toHaveLength(1);
    });

    it("answers INVALID_ARGUMENT for a negative page_size or skip and an order_by it does not know", async () => {
      const userId = newUser();
      expectInvalid(await failure(t.client.list({ userId, pageSize: -1 })), ["page_size"]);
      expectInvalid(await failure(t.client.list({ userId, skip: -1 })), ["skip"]);
      expectInvalid(await failure(t.client.list({ userId, skip: 100_001 })), ["skip"]);
      for (const orderBy of [
        "memory",
        "memory_id desc",
        "create_time sideways",
        "create_time desc, update_time",
        "create_time desc desc",
        "createTime",
        "CREATE_TIME",
        "create_time DESC",
        "random()",
        "create_time; DROP TABLE memories; --",
        '{"$natural": -1}',
        "x".repeat(10_000),
      ]) {
        const violations = expectInvalid(await failure(t.client.list({ userId, orderBy })), ["order_by"]);
        expect(violations.get("order_by")!.length, orderBy.slice(0, 40)).toBeLessThan(200); // quotes at most 64 characters back
      }
      for (const orderBy of ["", " ", "create_time", "create_time asc", "create_time desc", "update_time", "  update_time   desc  "]) {
        expect((await t.client.list({ userId, orderBy })).userMemories, JSON.stringify(orderBy)).toEqual([]);
      }
    });

    it("lowers a page_size above the maximum to 1,000 instead of refusing it (AIP-158)", async () => {
      const userId = newUser();
      for (let i = 0; i < 3; i++) {
        await t.client.batchCreate({ requests: Array.from({ length: 334 }, (_, j) => ({ userMemory: { userId, memory: `m${i}-${j}` } })) });
      }
      for (const pageSize of [1001, 5000, 2 ** 31 - 1]) {
        const page = await t.client.list({ userId, pageSize });
        expect(page.userMemories, String(pageSize)).toHaveLength(1000);
        expect(page.nextPageToken).not.toBe("");
        const rest = await t.client.list({ userId, pageSize, pageToken: page.nextPageToken });
        expect(rest.userMemories).toHaveLength(2);
        expect(rest.nextPageToken).toBe("");
      }
      expect((await t.client.list({ userId })).userMemories).toHaveLength(50); // 0: the default
      const found = await t.client.search({ userId, query: "m", pageSize: 1001 });
      expect(found.userMemories).toHaveLength(1000);
      expect(found.nextPageToken).not.toBe("");
      expect((await t.client.listTopics({ userId, pageSize: 1001 })).topics).toEqual([]);
      expect((await t.client.listUserStats({ userId, pageSize: 1001 })).userStats.map((s) => s.memoryCount)).toEqual([1002]);
      for (const call of [t.client.listTopics({ userId, pageSize: -1 }), t.client.listUserStats({ userId, pageSize: -1 })]) {
        expectInvalid(await failure(call), ["page_size"]);
      }
    });
  });

  describe("SearchUserMemories", () => {
    it("defaults to 10 results and validates page_size, order_by, query and filter", async () => {
      const userId = newUser();
      await t.client.batchCreate({ requests: Array.from({ length: 12 }, () => ({ userMemory: { userId, memory: "m" } })) });
      expect((await t.client.search({ userId })).userMemories).toHaveLength(10);
      expectInvalid(await failure(t.client.search({ userId, pageSize: -1, orderBy: "relevance", query: "q".repeat(257) })), [
        "query",
        "order_by",
        "page_size",
      ]);
      expectInvalid(await failure(t.client.search({ userId, query: "nul\u0000" })), ["query"]);
      const err = await failure(
        t.client.search({
          userId,
          filter: {
            agentId: "a".repeat(257),
            teamId: "\u200b",
            anyTopics: ["", "ok"],
            allTopics: Array.from({ length: 33 }, (_, i) => `t${i}`),
          },
        }),
      );
      expectInvalid(err, ["filter.agent_id", "filter.team_id", "filter.any_topics[0]", "filter.all_topics"]);
    });
  });

  describe("UpdateUserMemory", () => {
    const key = { userId: "updater", memoryId: "not-stored" };

    it("refuses an update_mask naming an unknown, output-only or immutable field, naming each path", async () => {
      for (const path of [
        "colour",
        "memory_id",
        "user_id",
        "etag",
        "create_time",
        "update_time",
        "ttl",
        "labels.source",
        "userMemory.memory",
        "Memory",
        "",
        "topics ",
        "x".repeat(1000),
      ]) {
        const err = await failure(t.client.update({ userMemory: { ...key, memory: "m" }, updateMask: [path] }));
        const violations = expectInvalid(err, ["update_mask.paths[0]"]);
        expect(violations.get("update_mask.paths[0]")!.length, path.slice(0, 40)).toBeLessThan(200);
      }
      const outputOnly = expectInvalid(await failure(t.client.update({ userMemory: key, updateMask: ["create_time"] })), [
        "update_mask.paths[0]",
      ]);
      expect(outputOnly.get("update_mask.paths[0]")).toContain("output only");
      const mixed = await failure(
        t.client.update({ userMemory: { ...key, topics: ["t"] }, updateMask: ["topics", "memory_id", "feedback", "bogus"] }),
      );
      expectInvalid(mixed, ["update_mask.paths[1]", "update_mask.paths[3]"]);
    });

    it("bounds the mask, and refuses an update that changes nothing or clears memory", async () => {
      expectInvalid(await failure(t.client.update({ userMemory: key, updateMask: Array(17).fill("topics") })), ["update_mask"]);
      // No mask and no field set: nothing to change.
      expectInvalid(await failure(t.client.update({ userMemory: key })), ["update_mask"]);
      expectInvalid(await failure(t.client.update({ userMemory: key, updateMask: [] })), ["update_mask"]);
      expectInvalid(await failure(t.client.update({ userMemory: key, updateMask: ["memory"] })), ["user_memory.memory"]);
      expectInvalid(await failure(t.client.update({ userMemory: key, updateMask: ["*"] })), ["user_memory.memory"]);
      expectInvalid(await failure(t.client.update({ updateMask: ["topics"] })), ["user_memory"]);
      expectInvalid(await failure(t.client.update({ userMemory: { memory: "m" }, updateMask: ["memory"] })), [
        "user_memory.memory_id",
        "user_memory.user_id",
      ]);
    });

    it("lets every maskable path through validation: the missing memory is then NOT_FOUND", async () => {
      for (const updateMask of [
        ["memory"],
        ["topics", "input", "agent_id", "team_id", "feedback", "labels", "expire_time"],
        ["*"],
        ["*", "topics"],
      ]) {
        const err = await failure(t.client.update({ userMemory: { ...key, memory: "m" }, updateMask }));
        expectReason(err, "NOT_FOUND", "MEMORY_NOT_FOUND");
      }
    });
  });

  describe("identifiers", () => {
    it("refuses invisible characters in ids, topics and label keys, and keeps them verbatim in text", async () => {
      const userId = newUser();
      for (const invisible of ["\u200b", "\ufeff", "\u202e", "\u2028", "\u00ad", "\ue000", "\ufdd0"]) {
        const err = await failure(
          t.client.create({
            userMemory: {
              userId: `${userId}${invisible}`,
              memoryId: `m${invisible}`,
              memory: `text${invisible}`,
              topics: [`t${invisible}`],
              labels: labels({ [`k${invisible}`]: `v${invisible}` }),
            },
          }),
        );
        expect(violatedFields(err).sort(), JSON.stringify(invisible)).toEqual(
          [
            "user_memory.memory_id",
            "user_memory.topics[0]",
            "user_memory.user_id",
            `user_memory.labels[${JSON.stringify(`k${invisible}`)}]`,
          ].sort(),
        );
        const { userMemory } = await t.client.create({
          userMemory: { userId, memory: `text${invisible}`, input: `in${invisible}`, labels: labels({ k: `v${invisible}` }) },
        });
        expect(userMemory).toMatchObject({ memory: `text${invisible}`, input: `in${invisible}` });
        expect(userMemory!.labels.get("k")).toBe(`v${invisible}`);
      }
      expectInvalid(await failure(t.client.get({ userId: `${userId}\u200b`, memoryId: "m" })), ["user_id"]);
    });
  });

  describe("ReplaceUserMemory", () => {
    it("answers INVALID_ARGUMENT without user_memory or its ids", async () => {
      expectInvalid(await failure(t.client.replace({})), ["user_memory"]);
      expectInvalid(await failure(t.client.replace({ userMemory: { memory: "x" } })), ["user_memory.memory_id", "user_memory.user_id"]);
    });
  });

  describe("ClearUserMemories", () => {
    it("refuses to clear without a user unless all_users is set, and never both", async () => {
      expectInvalid(await failure(t.client.clear({})), ["user_id"]);
      expectInvalid(await failure(t.client.clear({ userId: "u", allUsers: true })), ["all_users"]);
    });
  });

  describe("ConsolidateUserMemories", () => {
    it("replaces the named memories with new ones in one call, naming a bad entry's field", async () => {
      const userId = newUser();
      for (const memoryId of ["a", "b", "c"]) await t.client.create({ userMemory: { userId, memoryId, memory: `fact ${memoryId}` } });
      const { userMemories, deletedCount } = await t.client.consolidate({
        userId,
        memoryIds: ["a", "b"],
        userMemories: [{ memory: "facts a and b", topics: ["summary"] }],
      });
      expect(Number(deletedCount)).toBe(2);
      expect(userMemories).toMatchObject([{ userId, memory: "facts a and b", topics: ["summary"] }]);
      const left = await t.client.listAll({ userId, orderBy: "create_time" });
      expect(left.map((m) => m.memoryId)).toEqual(["c", userMemories[0]!.memoryId]);
      const missing = await failure(t.client.consolidate({ userId, memoryIds: ["c", "gone"], userMemories: [{ memory: "x" }] }));
      expectReason(missing, "NOT_FOUND", "MEMORY_NOT_FOUND");
      const incomplete = await failure(
        t.client.consolidate({ userId, memoryIds: ["c"], userMemories: [{ memory: "x" }, { memoryId: "c2" }] }),
      );
      expectInvalid(incomplete, ["user_memories[1].memory"]);
      const exists = await failure(
        t.client.consolidate({ userId, memoryIds: ["c"], userMemories: [{ memoryId: userMemories[0]!.memoryId, memory: "x" }] }),
      );
      expectReason(exists, "ALREADY_EXISTS", "MEMORY_ALREADY_EXISTS");
      expect(exists.details).toContain("user_memories[0].memory_id");
      expect((await t.client.listAll({ userId })).length).toBe(2);
    });
  });

  describe("listing across users", () => {
    it("lists and searches every user's memories with all_users, by memory id too, never with a user_id as well", async () => {
      const agentId = `agent-${randomUUID()}`;
      const [a, b] = [newUser(), newUser()];
      for (const userId of [a, b]) await t.client.create({ userMemory: { userId, memoryId: "same", memory: "likes tea", agentId } });
      const listed = await t.client.listAll({ allUsers: true, pageSize: 1, filter: { agentId, memoryIds: ["same"] } });
      expect(listed.map((m) => m.userId).sort()).toEqual([a, b].sort());
      const found = await t.client.search({ allUsers: true, query: "TEA", filter: { agentId }, includeTotalSize: true });
      expect(found.totalSize).toBe(2);
      expectInvalid(await failure(t.client.list({ userId: a, allUsers: true })), ["all_users"]);
      expectInvalid(await failure(t.client.list({})), ["user_id"]);
    });
  });

  describe("BatchUpsertUserMemories", () => {
    const past = { seconds: 1_700_000_000, nanos: 123_456_000 };

    it("validates the times it is given", async () => {
      const userId = newUser();
      const future = { seconds: Math.floor(Date.now() / 1000) + 3600, nanos: 0 };
      const userMemory = { userId, memoryId: "m", memory: "x" };
      expectInvalid(await failure(t.client.batchUpsert({ upserts: [] })), ["upserts"]);
      expectInvalid(await failure(t.client.batchUpsert({ upserts: [{ userMemory, createTime: future }] })), [
        "upserts[0].create_time",
        "upserts[0].update_time",
      ]);
      expectInvalid(
        await failure(
          t.client.batchUpsert({ upserts: [{ userMemory, createTime: past, updateTime: { seconds: past.seconds - 1, nanos: 0 } }] }),
        ),
        ["upserts[0].update_time"],
      );
      expectInvalid(await failure(t.client.batchUpsert({ upserts: [{ userMemory }, { userMemory }] })), [
        "upserts[1].user_memory.memory_id",
      ]);
      expectInvalid(await failure(t.client.batchUpsert({ upserts: [{ userMemory: { userId, memory: "x" } }] })), [
        "upserts[0].user_memory.memory_id",
      ]);
    });

    it("is open to every caller when authentication is off", async () => {
      const userId = newUser();
      const { userMemories } = await t.client.batchUpsert({
        upserts: [{ userMemory: { userId, memoryId: "m", memory: "x" }, createTime: past }],
      });
      expect(userMemories.map((m) => m.createTime)).toEqual([past]);
    });

    describe("with authentication on", () => {
      const tokens = {
        operator: "operator-token-0123456789",
        tenant: "tenant-token-0123456789",
        scopedOperator: "scoped-op-token-0123456789",
      };
      const tokenFile: TokenFile = {
        tokens: [
          { name: "operator", token: tokens.operator, all_users: true, operator: true },
          { name: "tenant", token: tokens.tenant, all_users: true },
          { name: "scoped-operator", token: tokens.scopedOperator, user_prefixes: ["acme:"], operator: true },
        ],
      };
      let store: MemoryStore;
      let server: RunningServer;
      let client: MemoryClient;

      beforeAll(async () => {
        const file = join(tempDir(), "tokens.json");
        writeFileSync(file, JSON.stringify(tokenFile));
        store = await openStore(backend("sqlite").storageUrl());
        server = await startServer({
          listen: "127.0.0.1:0",
          store,
          log: pino({ level: "silent" }),
          authenticator: TokenAuthenticator.load(file),
        });
        client = new MemoryClient(`127.0.0.1:${server.port}`);
      });
      afterAll(async () => {
        client?.close();
        await server?.drain({ delayMs: 0, graceMs: 1000 });
        await store?.close();
      });

      const upsert = (userId: string) => ({
        upserts: [
          {
            userMemory: { userId, memoryId: "imported", memory: "from an export", labels: labels({ source: "import" }) },
            createTime: past,
          },
        ],
      });

      it("lists across users only for a token whose scope is every user", async () => {
        const denied = await failure(client.list({ allUsers: true }, { metadata: bearer(tokens.scopedOperator) }));
        expectReason(denied, "PERMISSION_DENIED", "USER_OUT_OF_SCOPE");
        await client.list({ allUsers: true, pageSize: 1 }, { metadata: bearer(tokens.tenant) });
      });

      it("answers PERMISSION_DENIED with OPERATOR_SCOPE_REQUIRED to a token without the operator scope, and writes nothing", async () => {
        const userId = `acme:${randomUUID()}`;
        const err = await failure(client.batchUpsert(upsert(userId), { metadata: bearer(tokens.tenant) }));
        expectReason(err, "PERMISSION_DENIED", "OPERATOR_SCOPE_REQUIRED");
        expectReason(
          await failure(client.get({ userId, memoryId: "imported" }, { metadata: bearer(tokens.operator) })),
          "NOT_FOUND",
          "MEMORY_NOT_FOUND",
        );
        // The same token may create memories: only setting times needs the operator scope.
        await client.create({ userMemory: { userId, memory: "created" } }, { metadata: bearer(tokens.tenant) });
      });

      it("answers UNAUTHENTICATED without a token", async () => {
        expectReason(await failure(client.batchUpsert(upsert(`acme:${randomUUID()}`))), "UNAUTHENTICATED", "UNAUTHENTICATED");
      });

      it("writes with the times given for an operator's token", async () => {
        const userId = `acme:${randomUUID()}`;
        const { userMemories } = await client.batchUpsert(upsert(userId), { metadata: bearer(tokens.operator) });
        expect(userMemories).toHaveLength(1);
        expect(userMemories[0]).toMatchObject({ userId, memoryId: "imported", createTime: past, updateTime: past });
        const { userMemory } = await client.get({ userId, memoryId: "imported" }, { metadata: bearer(tokens.tenant) });
        expect(userMemory).toEqual(userMemories[0]);
        await client.batchUpsert(upsert(userId), { metadata: bearer(tokens.scopedOperator) });
      });

      it("still checks the users of an operator's token", async () => {
        const err = await failure(client.batchUpsert(upsert(`globex:${randomUUID()}`), { metadata: bearer(tokens.scopedOperator) }));
        expectReason(err, "PERMISSION_DENIED", "USER_OUT_OF_SCOPE");
      });
    });
  });

  describe("error details", () => {
    it("puts an ErrorInfo in memoryd's domain on every error status, with the reason's name", async () => {
      const userId = newUser();
      const created = await add(userId);
      expectReason(await failure(t.client.get({ userId, memoryId: "missing" })), "NOT_FOUND", "MEMORY_NOT_FOUND");
      expectReason(
        await failure(t.client.create({ userMemory: { userId, memoryId: created.memoryId, memory: "again" } })),
        "ALREADY_EXISTS",
        "MEMORY_ALREADY_EXISTS",
      );
      expectReason(
        await failure(t.client.replace({ userMemory: { userId, memoryId: created.memoryId, memory: "x", etag: "stale" } })),
        "ABORTED",
        "ETAG_MISMATCH",
      );
      expectReason(await failure(t.client.delete({ userId, memoryId: created.memoryId, etag: "stale" })), "ABORTED", "ETAG_MISMATCH");
      const requestId = randomUUID();
      await t.client.create({ userMemory: { userId, memory: "once" }, requestId });
      expectReason(
        await failure(t.client.create({ userMemory: { userId, memory: "other" }, requestId })),
        "INVALID_ARGUMENT",
        "REQUEST_ID_REUSED",
      );
      expectReason(await failure(t.client.batchDelete({ userId, memoryIds: ["missing"] })), "NOT_FOUND", "MEMORY_NOT_FOUND");
      expectReason(await failure(t.client.list({ userId, orderBy: "nonsense" })), "INVALID_ARGUMENT", "INVALID_FIELD");
    });

    it("answers a call whose deadline has passed DEADLINE_EXCEEDED with an ErrorInfo, and runs nothing", async () => {
      const userId = newUser();
      const message = bytes(ld(1, ld(2, text(userId)), ld(3, text("too late"))));
      const late = await rawGrpc(t.address, "/memoryd.v1.MemoryService/CreateUserMemory", grpcFrame(message), { "grpc-timeout": "1n" });
      expect(status[late.code], late.error.details).toBe("DEADLINE_EXCEEDED");
      expect(statusDetails(late.error).errorInfo).toMatchObject({ reason: "DEADLINE_EXCEEDED", domain: "memoryd.dev" });
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    });
  });

  describe("malformed requests", () => {
    it("answers INVALID_ARGUMENT, not INTERNAL, for bytes that are not a valid message", async () => {
      const path = "/memoryd.v1.MemoryService/GetUserMemory";
      const invalidUtf8 = Buffer.from([0x0a, 0x02, 0xff, 0xfe, 0x12, 0x01, 0x6d]);
      const truncated = Buffer.from([0x0a, 0x05, 0x61]);
      for (const bytes of [invalidUtf8, truncated]) {
        const err = await failure(rawUnary(t.client.raw, path, bytes));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(statusDetails(err).errorInfo?.reason).toBe("MALFORMED_MESSAGE");
      }
      // The server is still fine afterwards.
      await add(newUser());
    });

    it("ignores unknown fields, as proto3 requires", async () => {
      const userId = newUser();
      const created = await add(userId);
      const writer = new BinaryWriter().uint32(10).string(userId).uint32(18).string(created.memoryId);
      writer.uint32((99 << 3) | 2).string("from a newer client");
      const response = await rawUnary(t.client.raw, "/memoryd.v1.MemoryService/GetUserMemory", Buffer.from(writer.finish()));
      expect(response.includes(Buffer.from(created.memoryId))).toBe(true);
    });
  });

  describe("strict wire format", () => {
    // Each encoding below was accepted before the wire check: the bytes say one
    // thing and ts-proto's lenient decode stored another (or part of it).
    const ADD = "/memoryd.v1.MemoryService/CreateUserMemory";
    const expectMalformed = async (err: ServiceError, userId: string) => {
      expect(err.code, err.details).toBe(status.INVALID_ARGUMENT);
      expect(statusDetails(err).errorInfo).toMatchObject({ reason: "MALFORMED_MESSAGE", domain: "memoryd.dev" });
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    };
    // The fields of a UserMemory, and a CreateUserMemoryRequest holding them.
    const content = (userId: string, ...rest: Uint8Array[]) => bytes(ld(2, text(userId)), ld(3, text("remember")), ...rest);
    const memory = (userId: string, ...rest: Uint8Array[]) => ld(1, content(userId, ...rest));

    it("stores the hand-built encoding these cases break", async () => {
      const userId = newUser();
      await rawUnary(t.client.raw, ADD, bytes(memory(userId, ld(4, text("topic")), ld(5, text("input")))));
      const [stored] = (await t.client.list({ userId })).userMemories;
      expect(stored).toMatchObject({ userId, memory: "remember", topics: ["topic"], input: "input" });
    });

    const cases: [string, (userId: string) => Buffer][] = [
      // ts-proto ended user_memory at the 0 and read topics and input as (unknown) outer fields.
      ["a tag 0 inside user_memory, with topics after it", (u) => memory(u, bytes(0), ld(4, text("topic")), ld(5, text("input")))],
      ["an end-group tag inside user_memory", (u) => memory(u, tag(4, 4), ld(4, text("topic")))],
      // 2^32 + 8 wrapped to 8: "smuggled" was stored as the memory.
      [
        "a length prefix above 2^32 that wraps to a valid length",
        (u) => ld(1, ld(2, text(u)), tag(3, 2), bytes(wrappedLength(8)), text("smuggled")),
      ],
      ["an 11-byte varint", (u) => bytes(memory(u), tag(99, 0), ELEVEN_BYTE_VARINT)],
      // Field 2^29 + 1 wrapped to field 1: the memory was stored from a field no client can send.
      ["a field number above 2^29 - 1", (u) => bytes(wrappedTag(1, 2), varint(content(u).length), content(u))],
      ["a known field with the wrong wire type (topics as a varint)", (u) => memory(u, tag(4, 0), bytes(1))],
      // user_memory's length cuts its memory field in two; ts-proto read the field to its end anyway.
      [
        "a nested message truncated inside a field",
        (u) => {
          const head = bytes(ld(2, text(u)), tag(3, 2), 8);
          return bytes(tag(1, 2), head.length + 3, head, text("remember"));
        },
      ],
    ];
    for (const [name, encode] of cases) {
      it(`answers INVALID_ARGUMENT MALFORMED_MESSAGE and stores nothing for ${name}`, async () => {
        const userId = newUser();
        await expectMalformed(await failure(rawUnary(t.client.raw, ADD, encode(userId))), userId);
      });
    }

    it("answers INVALID_ARGUMENT MALFORMED_MESSAGE and stores nothing for the compressed flag without grpc-encoding", async () => {
      const userId = newUser();
      const message = bytes(memory(userId));
      const plain = await rawGrpc(t.address, ADD, grpcFrame(message, 0));
      expect(plain.code, plain.error.details).toBe(status.OK); // the raw HTTP/2 call itself works
      await t.client.clear({ userId });
      for (const headers of [{}, { "grpc-encoding": "identity" }] as Record<string, string>[]) {
        const flagged = await rawGrpc(t.address, ADD, grpcFrame(message, 1), headers);
        await expectMalformed(flagged.error, userId);
      }
    });
  });

  describe("health and reflection", () => {
    it("reports SERVING overall and for MemoryService", async () => {
      for (const service of ["", "memoryd.v1.MemoryService"]) {
        const request = Buffer.from(new BinaryWriter().uint32(10).string(service).finish());
        const response = await rawUnary(t.client.raw, "/grpc.health.v1.Health/Check", request);
        expect([...response]).toEqual([0x08, 0x01]); // status: SERVING
      }
    });

    for (const version of ["v1", "v1alpha"] as const) {
      it(`lists services and serves documented descriptors over reflection ${version}`, async () => {
        const listServices = new BinaryWriter()
          .uint32((7 << 3) | 2)
          .string("*")
          .finish();
        const listResponse = nestedFields(await reflect(t.client.raw, version, listServices), 6)[0]!;
        const names = nestedFields(listResponse, 1).map((service) => new TextDecoder().decode(nestedFields(service, 1)[0]));
        expect(names.sort()).toEqual(["grpc.health.v1.Health", "memoryd.v1.MemoryService"]);

        const fileContaining = new BinaryWriter()
          .uint32((4 << 3) | 2)
          .string("memoryd.v1.MemoryService")
          .finish();
        const fileResponse = nestedFields(await reflect(t.client.raw, version, fileContaining), 4)[0]!;
        const files = nestedFields(fileResponse, 1).map((file) => Buffer.from(file));
        const fileNames = files.map((file) => new TextDecoder().decode(nestedFields(file, 1)[0]));
        expect(fileNames).toContain("memoryd/v1/memory_service.proto");
        expect(fileNames).toContain("memoryd/v1/user_memory.proto");
        expect(files.some((file) => file.includes("Creates up to 500 memories in one transaction"))).toBe(true);
        // Imported but unused by any field, so served when asked for (as grpcurl asks for each dependency).
        for (const [symbol, file] of [
          ["memoryd.v1.ErrorReason", "memoryd/v1/error_reason.proto"],
          ["google.rpc.ErrorInfo", "google/rpc/error_details.proto"],
        ] as const) {
          const request = new BinaryWriter()
            .uint32((4 << 3) | 2)
            .string(symbol)
            .finish();
          const response = nestedFields(await reflect(t.client.raw, version, request), 4)[0]!;
          const names = nestedFields(response, 1).map((f) => new TextDecoder().decode(nestedFields(Buffer.from(f), 1)[0]));
          expect(names, symbol).toContain(file);
        }
      });
    }
  });
});
