/**
 * What each backend must answer the same over gRPC: every RPC's outcomes
 * that depend on what the store does (creating, reading, paging, searching,
 * conditional writes, the errors they map to), through the generated
 * TypeScript client against a real server on a loopback port. The request
 * rules that do not depend on the backend (validation, decoding, health,
 * reflection) run once, in service-contract.test.ts.
 */
import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { BatchAddUserMemoriesRequest, ListOrder, RetrievalMethod } from "../../gen/ts/memory/v1/memory_service.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { failure, statusDetails, violatedFields } from "../../testkit/client.js";
import { useTestServer } from "../helpers/server.js";

export function describeStorageCalls(backend: string, openStore: () => Promise<MemoryStore>): void {
  describe(`MemoryService over gRPC: ${backend}`, () => {
    // The smallest message size limit the server accepts, so that pages cut by bytes take a few MB, not tens.
    const maxMessageBytes = 256 * 1024;
    const t = useTestServer(openStore, { connection: { maxMessageBytes } });
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
        expect(statusDetails(err).resourceInfo).toMatchObject({
          resourceType: "memory.v1.UserMemory",
          resourceName: "fixed",
          owner: userId,
        });
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
    });

    describe("responses within the message size limit", () => {
      // 60 memories of ~46 KB: 2.7 MB, ten times what one 256 KiB response may carry.
      const large = (i: number) => ({ memory: `${i} ${"a long memory ".repeat(1170)}`.slice(0, 16_384), input: "i".repeat(30_000) });

      it("cuts list and search pages by bytes and reads every memory exactly once through the tokens", async () => {
        const userId = newUser();
        for (let from = 0; from < 60; from += 5) {
          const requests = Array.from({ length: 5 }, (_, i) => ({ userMemory: { userId, topics: ["big"], ...large(from + i) } }));
          await t.client.batchAdd({ requests });
        }
        const expected = (await t.client.listAll({ userId, pageSize: 2, order: ListOrder.LIST_ORDER_OLDEST_FIRST })).map((m) => m.memoryId);
        expect(expected).toHaveLength(60);
        for (const read of [
          (pageToken: string) => t.client.list({ userId, pageSize: 1000, order: ListOrder.LIST_ORDER_OLDEST_FIRST, pageToken }),
          (pageToken: string) =>
            t.client.search({
              userId,
              limit: 1000,
              query: "long memory",
              retrievalMethod: RetrievalMethod.RETRIEVAL_METHOD_FIRST_N,
              pageToken,
            }),
        ]) {
          const seen: string[] = [];
          const pageSizes: number[] = [];
          let pageToken = "";
          do {
            const page = await read(pageToken);
            pageSizes.push(page.userMemories.length);
            seen.push(...page.userMemories.map((m) => m.memoryId));
            pageToken = page.nextPageToken;
          } while (pageToken !== "" && pageSizes.length < 100);
          expect(pageSizes.length).toBeGreaterThan(5); // cut by bytes, not by count
          expect(seen).toEqual(expected);
        }
      });

      it("refuses a batch whose response would not fit, before writing anything", async () => {
        const userId = newUser();
        // The request stays under the limit; the response would add ids, times and etags to every entry.
        const requests = Array.from({ length: 120 }, (_, i) => ({ userMemory: { userId, memory: `${i} ${"x".repeat(2_080)}` } }));
        const requestBytes = BatchAddUserMemoriesRequest.encode(BatchAddUserMemoriesRequest.fromPartial({ requests })).finish().length;
        expect(requestBytes).toBeLessThan(maxMessageBytes);
        const err = await failure(t.client.batchAdd({ requests }));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["requests"]);
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
        expect((await t.client.batchAdd({ requests: requests.slice(0, 60) })).userMemories).toHaveLength(60);
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
        const { userMemory } = await t.client.add({
          userMemory: { userId: decomposed, memoryId: "cafe\u0301", memory: "m", topics: ["re\u0301sume\u0301"] },
        });
        expect(userMemory).toMatchObject({ userId: composed, memoryId: "caf\u00e9", topics: ["r\u00e9sum\u00e9"] });
        expect((await t.client.get({ userId: composed, memoryId: "caf\u00e9" })).userMemory).toEqual(userMemory);
        expect((await t.client.get({ userId: decomposed, memoryId: "cafe\u0301" })).userMemory).toEqual(userMemory);
        expect((await t.client.list({ userId: decomposed, topics: ["r\u00e9sum\u00e9"] })).userMemories).toEqual([userMemory]);
        const again = await failure(t.client.add({ userMemory: { userId: composed, memoryId: "caf\u00e9", memory: "m" } }));
        expect(again.code).toBe(status.ALREADY_EXISTS);
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

      it("clears every user with all_users", async () => {
        const users = [newUser(), newUser()];
        for (const userId of users) await add(userId);
        expect((await t.client.clear({ allUsers: true })).deletedCount).toBeGreaterThanOrEqual(2);
        for (const userId of users) expect((await t.client.list({ userId })).userMemories).toEqual([]);
      });
    });
  });
}
