/**
 * End-to-end tests of every MemoryService RPC and error path, through the
 * generated TypeScript client against a real server on a loopback port.
 * Each backend runs this suite unchanged.
 */
import { randomUUID } from "node:crypto";
import { type Client, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { ListOrder, RetrievalMethod } from "../../gen/ts/memory/v1/memory_service.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { failure, statusDetails, violatedFields } from "../helpers/client.js";
import { useTestServer } from "../helpers/server.js";
import { bytes, ELEVEN_BYTE_VARINT, grpcFrame, ld, rawGrpc, tag, text, varint, wrappedLength, wrappedTag } from "../helpers/wire.js";

/** Sends raw bytes to a unary method, to test what the generated client cannot produce. */
export function rawUnary(client: Client, path: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
      err ? reject(err) : resolve(res!),
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

export function describeMemoryServiceE2E(backend: string, openStore: () => Promise<MemoryStore>): void {
  describe(`MemoryService over gRPC: ${backend}`, () => {
    const t = useTestServer(openStore);
    const newUser = () => `e2e-${randomUUID()}`;
    const add = (userId: string, memory = "prefers dark mode", topics = ["ui"]) =>
      t.client.add({ userMemory: { userId, memory, topics } }).then((r) => r.userMemory!);

    describe("AddUserMemory", () => {
      it("creates a memory with server-set id, times and etag", async () => {
        const userId = newUser();
        const { userMemory } = await t.client.add({ userMemory: { userId, memory: "likes tea", topics: ["food"], input: "I like tea" } });
        expect(userMemory).toMatchObject({ userId, memory: "likes tea", topics: ["food"], input: "I like tea" });
        expect(userMemory!.memoryId).toMatch(/^[0-9a-f-]{36}$/);
        expect(userMemory!.etag).not.toBe("");
        expect(userMemory!.createTime).toEqual(userMemory!.updateTime);
        const seconds = userMemory!.createTime!.seconds;
        expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(60);
      });

      it("answers ALREADY_EXISTS with ResourceInfo for a taken client-chosen id", async () => {
        const userId = newUser();
        await t.client.add({ userMemory: { userId, memoryId: "fixed", memory: "a" } });
        const err = await failure(t.client.add({ userMemory: { userId, memoryId: "fixed", memory: "b" } }));
        expect(err.code).toBe(status.ALREADY_EXISTS);
        expect(statusDetails(err).resourceInfo).toMatchObject({ resourceType: "memory.v1.UserMemory", resourceName: "fixed", owner: userId });
      });

      it("makes a retried create with the same request_id return the same memory", async () => {
        const userId = newUser();
        const request = { userMemory: { userId, memory: "idempotent" }, requestId: randomUUID() };
        const first = await t.client.add(request);
        const retry = await t.client.add(request);
        expect(retry).toEqual(first);
        expect((await t.client.list({ userId })).userMemories).toHaveLength(1);
      });

      it("answers INVALID_ARGUMENT naming request_id when it is reused for a different memory", async () => {
        const userId = newUser();
        await t.client.add({ userMemory: { userId, memory: "one" }, requestId: "r" });
        const err = await failure(t.client.add({ userMemory: { userId, memory: "two" }, requestId: "r" }));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["request_id"]);
      });

      it("answers INVALID_ARGUMENT with a BadRequest naming every offending field", async () => {
        const err = await failure(
          t.client.add({
            userMemory: { userId: "", memory: "x".repeat(16_385), topics: ["ok", "", "t".repeat(129), "bad\u0007"], input: "nul\u0000" },
            requestId: "r".repeat(129),
          }),
        );
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual([
          "user_memory.user_id",
          "user_memory.memory",
          "user_memory.topics[1]",
          "user_memory.topics[2]",
          "user_memory.topics[3]",
          "user_memory.input",
          "request_id",
        ]);
        expect(err.details).toContain("user_memory.user_id: is required");
      });

      it("requires user_memory and bounds the topic count", async () => {
        expect(violatedFields(await failure(t.client.add({})))).toEqual(["user_memory"]);
        const topics = Array.from({ length: 33 }, (_, i) => `t${i}`);
        const err = await failure(t.client.add({ userMemory: { userId: newUser(), memory: "m", topics } }));
        expect(violatedFields(err)).toEqual(["user_memory.topics"]);
      });

      it("accepts sizes exactly at the limits, counted in UTF-8 bytes", async () => {
        const userId = "u".repeat(256);
        const memory = "é".repeat(8192); // 16,384 bytes
        const { userMemory } = await t.client.add({ userMemory: { userId, memory, topics: Array(32).fill("t".repeat(128)) } });
        expect(userMemory!.memory).toBe(memory);
        const err = await failure(t.client.add({ userMemory: { userId, memory: `${memory}x` } }));
        expect(violatedFields(err)).toEqual(["user_memory.memory"]);
      });
    });

    describe("BatchAddUserMemories", () => {
      it("creates all memories in request order", async () => {
        const [alice, bob] = [newUser(), newUser()];
        const { userMemories } = await t.client.batchAdd({
          requests: [
            { userMemory: { userId: alice, memory: "a1" } },
            { userMemory: { userId: bob, memory: "b1" } },
            { userMemory: { userId: alice, memory: "a2" } },
          ],
        });
        expect(userMemories.map((m) => [m.userId, m.memory])).toEqual([
          [alice, "a1"],
          [bob, "b1"],
          [alice, "a2"],
        ]);
        expect((await t.client.list({ userId: alice })).userMemories).toHaveLength(2);
      });

      it("creates nothing when one entry collides, and names it in the error", async () => {
        const userId = newUser();
        await t.client.add({ userMemory: { userId, memoryId: "taken", memory: "x" } });
        const err = await failure(
          t.client.batchAdd({
            requests: [{ userMemory: { userId, memory: "fresh" } }, { userMemory: { userId, memoryId: "taken", memory: "y" } }],
          }),
        );
        expect(err.code).toBe(status.ALREADY_EXISTS);
        expect(err.details).toMatch(/^requests\[1\]\.user_memory\.memory_id/);
        expect((await t.client.list({ userId })).userMemories.map((m) => m.memoryId)).toEqual(["taken"]);
      });

      it("validates each entry, repeats inside the batch, and the batch size", async () => {
        const userId = newUser();
        const err = await failure(
          t.client.batchAdd({
            requests: [
              { userMemory: { userId, memoryId: "dup", memory: "a" }, requestId: "same" },
              { userMemory: { userId, memory: "" } },
              { userMemory: { userId, memoryId: "dup", memory: "b" }, requestId: "same" },
            ],
          }),
        );
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["requests[1].user_memory.memory", "requests[2].user_memory.memory_id", "requests[2].request_id"]);
        expect(violatedFields(await failure(t.client.batchAdd({ requests: [] })))).toEqual(["requests"]);
        const tooMany = Array.from({ length: 501 }, () => ({ userMemory: { userId, memory: "m" } }));
        expect(violatedFields(await failure(t.client.batchAdd({ requests: tooMany })))).toEqual(["requests"]);
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
      });

      it("accepts the documented maximum of 500 entries", async () => {
        const userId = newUser();
        const requests = Array.from({ length: 500 }, (_, i) => ({ userMemory: { userId, memory: `m${i}` } }));
        expect((await t.client.batchAdd({ requests })).userMemories).toHaveLength(500);
      });
    });

    describe("GetUserMemory", () => {
      it("returns the memory as created", async () => {
        const created = await add(newUser());
        const { userMemory } = await t.client.get({ userId: created.userId, memoryId: created.memoryId });
        expect(userMemory).toEqual(created);
      });

      it("answers NOT_FOUND for a missing memory and for another user's", async () => {
        const created = await add(newUser());
        for (const request of [
          { userId: created.userId, memoryId: "missing" },
          { userId: newUser(), memoryId: created.memoryId },
        ]) {
          const err = await failure(t.client.get(request));
          expect(err.code).toBe(status.NOT_FOUND);
          expect(statusDetails(err).resourceInfo?.resourceName).toBe(request.memoryId);
        }
      });

      it("answers INVALID_ARGUMENT for missing ids", async () => {
        expect(violatedFields(await failure(t.client.get({})))).toEqual(["user_id", "memory_id"]);
      });
    });

    describe("ListUserMemories", () => {
      it("pages newest first to the end with opaque tokens, oldest first on request", async () => {
        const userId = newUser();
        const created = [];
        for (let i = 0; i < 7; i++) created.push(await add(userId, `m${i}`));
        for (const [order, expected] of [
          [ListOrder.LIST_ORDER_UNSPECIFIED, [...created].reverse()],
          [ListOrder.LIST_ORDER_NEWEST_FIRST, [...created].reverse()],
          [ListOrder.LIST_ORDER_OLDEST_FIRST, created],
        ] as const) {
          const seen = [];
          let pageToken = "";
          do {
            const page = await t.client.list({ userId, pageSize: 3, pageToken, order });
            seen.push(...page.userMemories);
            pageToken = page.nextPageToken;
          } while (pageToken !== "");
          expect(seen.map((m) => m.memory)).toEqual(expected.map((m) => m.memory));
        }
      });

      it("defaults to 50 per page and filters by topic", async () => {
        const userId = newUser();
        await t.client.batchAdd({
          requests: Array.from({ length: 60 }, (_, i) => ({ userMemory: { userId, memory: `m${i}`, topics: i % 2 ? ["odd"] : ["even"] } })),
        });
        const page = await t.client.list({ userId });
        expect(page.userMemories).toHaveLength(50);
        expect(page.nextPageToken).not.toBe("");
        const odd = await t.client.list({ userId, topics: ["odd"], pageSize: 100 });
        expect(odd.userMemories).toHaveLength(30);
        expect(odd.userMemories.every((m) => m.topics.includes("odd"))).toBe(true);
        expect(odd.nextPageToken).toBe("");
      });

      it("answers INVALID_ARGUMENT for a malformed page token or one from another query", async () => {
        const userId = newUser();
        for (let i = 0; i < 3; i++) await add(userId);
        const { nextPageToken } = await t.client.list({ userId, pageSize: 1 });
        for (const request of [
          { userId, pageToken: "not-a-token" },
          { userId, pageToken: Buffer.from('[1,"x"]').toString("base64url") },
          { userId, pageToken: nextPageToken, order: ListOrder.LIST_ORDER_OLDEST_FIRST },
          { userId, pageToken: nextPageToken, topics: ["ui"] },
          { userId: newUser(), pageToken: nextPageToken },
          { userId, pageToken: nextPageToken + "A".repeat(600) }, // longer than any token issued: refused before decoding
        ]) {
          const err = await failure(t.client.list(request));
          expect(err.code).toBe(status.INVALID_ARGUMENT);
          expect(violatedFields(err)).toEqual(["page_token"]);
        }
      });

      it("answers INVALID_ARGUMENT for page_size out of bounds and unknown orders", async () => {
        const userId = newUser();
        expect(violatedFields(await failure(t.client.list({ userId, pageSize: -1 })))).toEqual(["page_size"]);
        expect(violatedFields(await failure(t.client.list({ userId, pageSize: 1001 })))).toEqual(["page_size"]);
        expect(violatedFields(await failure(t.client.list({ userId, order: 7 as ListOrder })))).toEqual(["order"]);
        expect((await t.client.list({ userId, pageSize: 1000 })).userMemories).toEqual([]);
      });
    });

    describe("SearchUserMemories", () => {
      it("returns last_n newest-updated first and first_n oldest first", async () => {
        const userId = newUser();
        const created = [];
        for (let i = 0; i < 5; i++) created.push(await add(userId, `m${i}`));
        await t.client.replace({ userMemory: { ...created[0]!, memory: "m0 updated" } });
        const last = await t.client.search({ userId, retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_LAST_N, limit: 2 });
        expect(last.userMemories.map((m) => m.memory)).toEqual(["m0 updated", "m4"]);
        const byDefault = await t.client.search({ userId, limit: 2 });
        expect(byDefault.userMemories.map((m) => m.memory)).toEqual(["m0 updated", "m4"]);
        const first = await t.client.search({ userId, retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_FIRST_N, limit: 2 });
        expect(first.userMemories.map((m) => m.memory)).toEqual(["m1", "m2"]);
      });

      it("matches text case-insensitively and combines with topics", async () => {
        const userId = newUser();
        await add(userId, "Loves GREEN tea", ["food"]);
        await add(userId, "green jacket owner", ["clothes"]);
        await add(userId, "black coffee", ["food"]);
        const found = await t.client.search({ userId, query: "green", topics: ["food"] });
        expect(found.userMemories.map((m) => m.memory)).toEqual(["Loves GREEN tea"]);
        const both = await t.client.search({ userId, query: "GREEN" });
        expect(both.userMemories).toHaveLength(2);
      });

      it("defaults to 10 results and validates limit, method and query", async () => {
        const userId = newUser();
        await t.client.batchAdd({ requests: Array.from({ length: 12 }, () => ({ userMemory: { userId, memory: "m" } })) });
        expect((await t.client.search({ userId })).userMemories).toHaveLength(10);
        const err = await failure(
          t.client.search({ userId, limit: 1001, retrievalMethod: 9 as RetrievalMethod, query: "q".repeat(257) }),
        );
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["query", "retrieval_method", "limit"]);
      });
    });

    describe("responses within the message size limit", () => {
      // 240 memories of ~46 KB: 11 MB, far over the 4 MiB a response may carry.
      const large = (i: number) => ({ memory: `${i} ${"a long memory ".repeat(1170)}`.slice(0, 16_384), input: "i".repeat(30_000) });

      it("cuts list and search pages by bytes and reads every memory exactly once through the tokens", async () => {
        const userId = newUser();
        for (let from = 0; from < 240; from += 60) {
          const requests = Array.from({ length: 60 }, (_, i) => ({ userMemory: { userId, topics: ["big"], ...large(from + i) } }));
          await t.client.batchAdd({ requests });
        }
        const expected = (await t.client.listAll({ userId, pageSize: 20, order: ListOrder.LIST_ORDER_OLDEST_FIRST })).map((m) => m.memoryId);
        expect(expected).toHaveLength(240);
        for (const read of [
          (pageToken: string) => t.client.list({ userId, pageSize: 1000, order: ListOrder.LIST_ORDER_OLDEST_FIRST, pageToken }),
          (pageToken: string) => t.client.search({ userId, limit: 1000, query: "long memory", retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_FIRST_N, pageToken }),
        ]) {
          const seen: string[] = [];
          const pageSizes: number[] = [];
          let pageToken = "";
          do {
            const page = await read(pageToken);
            pageSizes.push(page.userMemories.length);
            seen.push(...page.userMemories.map((m) => m.memoryId));
            pageToken = page.nextPageToken;
          } while (pageToken !== "" && pageSizes.length < 50);
          expect(pageSizes.length).toBeGreaterThan(2); // cut by bytes, not by count
          expect(seen).toEqual(expected);
        }
      });

      it("refuses a batch whose response would not fit, before writing anything", async () => {
        const userId = newUser();
        // The request stays under 4 MiB; the response would add ids, times and etags to every entry.
        const requests = Array.from({ length: 500 }, (_, i) => ({ userMemory: { userId, memory: `${i} ${"x".repeat(8290)}` } }));
        const err = await failure(t.client.batchAdd({ requests }));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["requests"]);
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
        expect((await t.client.batchAdd({ requests: requests.slice(0, 250) })).userMemories).toHaveLength(250);
      });
    });

    describe("search pages", () => {
      it("pages with tokens bound to the query, and none after the last match", async () => {
        const userId = newUser();
        for (let i = 0; i < 5; i++) await add(userId, `tea ${i}`);
        await add(userId, "coffee");
        const first = await t.client.search({ userId, query: "tea", limit: 2 });
        expect(first.userMemories.map((m) => m.memory)).toEqual(["tea 4", "tea 3"]);
        const second = await t.client.search({ userId, query: "tea", limit: 2, pageToken: first.nextPageToken });
        expect(second.userMemories.map((m) => m.memory)).toEqual(["tea 2", "tea 1"]);
        const last = await t.client.search({ userId, query: "tea", limit: 2, pageToken: second.nextPageToken });
        expect(last.userMemories.map((m) => m.memory)).toEqual(["tea 0"]);
        expect(last.nextPageToken).toBe("");
        for (const request of [
          { userId, query: "coffee", pageToken: first.nextPageToken },
          { userId, query: "tea", retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_FIRST_N, pageToken: first.nextPageToken },
          { userId, pageToken: (await t.client.list({ userId, pageSize: 1 })).nextPageToken }, // a list token
        ]) {
          expect(violatedFields(await failure(t.client.search(request)))).toEqual(["page_token"]);
        }
      });
    });

    describe("identifiers", () => {
      it("stores ids and topics in Unicode NFC, so composed and decomposed spellings name the same user", async () => {
        const suffix = randomUUID();
        const decomposed = `Jose\u0301-${suffix}`;
        const composed = `Jos\u00e9-${suffix}`;
        const { userMemory } = await t.client.add({ userMemory: { userId: decomposed, memoryId: "cafe\u0301", memory: "m", topics: ["re\u0301sume\u0301"] } });
        expect(userMemory).toMatchObject({ userId: composed, memoryId: "caf\u00e9", topics: ["r\u00e9sum\u00e9"] });
        expect((await t.client.get({ userId: composed, memoryId: "caf\u00e9" })).userMemory).toEqual(userMemory);
        expect((await t.client.get({ userId: decomposed, memoryId: "cafe\u0301" })).userMemory).toEqual(userMemory);
        expect((await t.client.list({ userId: decomposed, topics: ["r\u00e9sum\u00e9"] })).userMemories).toEqual([userMemory]);
        const again = await failure(t.client.add({ userMemory: { userId: composed, memoryId: "caf\u00e9", memory: "m" } }));
        expect(again.code).toBe(status.ALREADY_EXISTS);
      });

      it("refuses invisible characters in ids and topics, and keeps them verbatim in text", async () => {
        const userId = newUser();
        for (const invisible of ["\u200b", "\ufeff", "\u202e", "\u2028", "\u00ad", "\ue000", "\ufdd0"]) {
          const err = await failure(
            t.client.add({ userMemory: { userId: `${userId}${invisible}`, memoryId: `m${invisible}`, memory: `text${invisible}`, topics: [`t${invisible}`] } }),
          );
          expect(violatedFields(err).sort(), JSON.stringify(invisible)).toEqual(["user_memory.memory_id", "user_memory.topics[0]", "user_memory.user_id"]);
          const { userMemory } = await t.client.add({ userMemory: { userId, memory: `text${invisible}`, input: `in${invisible}` } });
          expect(userMemory).toMatchObject({ memory: `text${invisible}`, input: `in${invisible}` });
        }
        expect(violatedFields(await failure(t.client.get({ userId: `${userId}\u200b`, memoryId: "m" })))).toEqual(["user_id"]);
      });
    });

    describe("ReplaceUserMemory", () => {
      it("replaces text, topics and input and returns a new etag", async () => {
        const created = await add(newUser());
        const { userMemory } = await t.client.replace({
          userMemory: { userId: created.userId, memoryId: created.memoryId, memory: "prefers light mode", topics: ["ui", "theme"] },
        });
        expect(userMemory).toMatchObject({ memory: "prefers light mode", topics: ["ui", "theme"], createTime: created.createTime });
        expect(userMemory!.etag).not.toBe(created.etag);
        expect((await t.client.get(created)).userMemory).toEqual(userMemory);
      });

      it("answers ABORTED with ErrorInfo ETAG_MISMATCH for a stale etag and changes nothing", async () => {
        const created = await add(newUser());
        const fresh = await t.client.replace({ userMemory: { ...created, memory: "first writer" } });
        const err = await failure(t.client.replace({ userMemory: { ...created, memory: "second writer" } }));
        expect(err.code).toBe(status.ABORTED);
        expect(statusDetails(err).errorInfo).toMatchObject({ reason: "ETAG_MISMATCH", domain: "memoryd.dev" });
        expect((await t.client.get(created)).userMemory).toEqual(fresh.userMemory);
      });

      it("answers NOT_FOUND for a missing memory, and upserts with allow_missing", async () => {
        const userId = newUser();
        const userMemory = { userId, memoryId: "theme", memory: "dark" };
        expect((await failure(t.client.replace({ userMemory }))).code).toBe(status.NOT_FOUND);
        const created = await t.client.replace({ userMemory, allowMissing: true });
        expect(created.userMemory).toMatchObject(userMemory);
        expect((await t.client.get({ userId, memoryId: "theme" })).userMemory).toEqual(created.userMemory);
      });

      it("answers INVALID_ARGUMENT without user_memory or its ids", async () => {
        expect(violatedFields(await failure(t.client.replace({})))).toEqual(["user_memory"]);
        const err = await failure(t.client.replace({ userMemory: { memory: "x" } }));
        expect(violatedFields(err)).toEqual(["user_memory.user_id", "user_memory.memory_id"]);
      });
    });

    describe("DeleteUserMemory", () => {
      it("deletes, then answers NOT_FOUND, or succeeds with allow_missing", async () => {
        const created = await add(newUser());
        const key = { userId: created.userId, memoryId: created.memoryId };
        await t.client.delete(key);
        expect((await failure(t.client.get(key))).code).toBe(status.NOT_FOUND);
        expect((await failure(t.client.delete(key))).code).toBe(status.NOT_FOUND);
        await t.client.delete({ ...key, allowMissing: true });
      });

      it("answers ABORTED for a stale etag and deletes with the current one", async () => {
        const created = await add(newUser());
        const key = { userId: created.userId, memoryId: created.memoryId };
        expect((await failure(t.client.delete({ ...key, etag: "stale" }))).code).toBe(status.ABORTED);
        await t.client.delete({ ...key, etag: created.etag });
        expect((await failure(t.client.get(key))).code).toBe(status.NOT_FOUND);
      });
    });

    describe("ClearUserMemories", () => {
      it("clears one user and leaves the others", async () => {
        const [alice, bob] = [newUser(), newUser()];
        await add(alice);
        await add(alice);
        const bobs = await add(bob);
        expect((await t.client.clear({ userId: alice })).deletedCount).toBe(2);
        expect((await t.client.list({ userId: alice })).userMemories).toEqual([]);
        expect((await t.client.get(bobs)).userMemory).toEqual(bobs);
      });

      it("refuses to clear without a user unless all_users is set, and never both", async () => {
        const err = await failure(t.client.clear({}));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["user_id"]);
        expect(violatedFields(await failure(t.client.clear({ userId: "u", allUsers: true })))).toEqual(["all_users"]);
      });

      it("clears every user with all_users", async () => {
        const users = [newUser(), newUser()];
        for (const userId of users) await add(userId);
        expect((await t.client.clear({ allUsers: true })).deletedCount).toBeGreaterThanOrEqual(2);
        for (const userId of users) expect((await t.client.list({ userId })).userMemories).toEqual([]);
      });
    });

    describe("malformed requests", () => {
      it("answers INVALID_ARGUMENT, not INTERNAL, for bytes that are not a valid message", async () => {
        const path = "/memory.v1.MemoryService/GetUserMemory";
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
        const response = await rawUnary(t.client.raw, "/memory.v1.MemoryService/GetUserMemory", Buffer.from(writer.finish()));
        expect(response.includes(Buffer.from(created.memoryId))).toBe(true);
      });
    });

    describe("strict wire format", () => {
      // Each encoding below was accepted before the wire check: the bytes say one
      // thing and ts-proto's lenient decode stored another (or part of it).
      const ADD = "/memory.v1.MemoryService/AddUserMemory";
      const expectMalformed = async (err: ServiceError, userId: string) => {
        expect(err.code, err.details).toBe(status.INVALID_ARGUMENT);
        expect(statusDetails(err).errorInfo).toMatchObject({ reason: "MALFORMED_MESSAGE", domain: "memoryd.dev" });
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
      };
      // The fields of a UserMemory, and an AddUserMemoryRequest holding them.
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
        ["a length prefix above 2^32 that wraps to a valid length", (u) => ld(1, ld(2, text(u)), tag(3, 2), bytes(wrappedLength(8)), text("smuggled"))],
        ["an 11-byte varint", (u) => bytes(memory(u), tag(99, 0), ELEVEN_BYTE_VARINT)],
        // Field 2^29 + 1 wrapped to field 1: the memory was stored from a field no client can send.
        ["a field number above 2^29 - 1", (u) => bytes(wrappedTag(1, 2), varint(content(u).length), content(u))],
        ["a known field with the wrong wire type (topics as a varint)", (u) => memory(u, tag(4, 0), bytes(1))],
        // user_memory's length cuts its memory field in two; ts-proto read the field to its end anyway.
        ["a nested message truncated inside a field", (u) => { const head = bytes(ld(2, text(u)), tag(3, 2), 8); return bytes(tag(1, 2), head.length + 3, head, text("remember")); }],
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
        for (const service of ["", "memory.v1.MemoryService"]) {
          const request = Buffer.from(new BinaryWriter().uint32(10).string(service).finish());
          const response = await rawUnary(t.client.raw, "/grpc.health.v1.Health/Check", request);
          expect([...response]).toEqual([0x08, 0x01]); // status: SERVING
        }
      });

      for (const version of ["v1", "v1alpha"] as const) {
        it(`lists services and serves documented descriptors over reflection ${version}`, async () => {
          const listServices = new BinaryWriter().uint32((7 << 3) | 2).string("*").finish();
          const listResponse = nestedFields(await reflect(t.client.raw, version, listServices), 6)[0]!;
          const names = nestedFields(listResponse, 1).map((service) => new TextDecoder().decode(nestedFields(service, 1)[0]));
          expect(names.sort()).toEqual(["grpc.health.v1.Health", "memory.v1.MemoryService"]);

          const fileContaining = new BinaryWriter().uint32((4 << 3) | 2).string("memory.v1.MemoryService").finish();
          const fileResponse = nestedFields(await reflect(t.client.raw, version, fileContaining), 4)[0]!;
          const files = nestedFields(fileResponse, 1).map((file) => Buffer.from(file));
          const fileNames = files.map((file) => new TextDecoder().decode(nestedFields(file, 1)[0]));
          expect(fileNames).toContain("memory/v1/memory_service.proto");
          expect(fileNames).toContain("memory/v1/memory.proto");
          expect(files.some((file) => file.includes("Creates up to 500 memories in one transaction"))).toBe(true);
        });
      }
    });
  });
}
