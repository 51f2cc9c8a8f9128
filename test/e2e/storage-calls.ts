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
import { BatchCreateUserMemoriesRequest } from "../../gen/ts/memoryd/v1/memory_service.js";
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
      t.client.create({ userMemory: { userId, memory, topics } }).then((r) => r.userMemory!);

    describe("AddUserMemory", () => {
      it("creates a memory with server-set id, times and etag", async () => {
        const userId = newUser();
        const { userMemory } = await t.client.create({
          userMemory: { userId, memory: "likes tea", topics: ["food"], input: "I like tea" },
        });
        expect(userMemory).toMatchObject({ userId, memory: "likes tea", topics: ["food"], input: "I like tea" });
        expect(userMemory!.memoryId).toMatch(/^[0-9a-f-]{36}$/);
        expect(userMemory!.etag).not.toBe("");
        expect(userMemory!.createTime).toEqual(userMemory!.updateTime);
        const seconds = userMemory!.createTime!.seconds;
        expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(60);
      });

      it("answers ALREADY_EXISTS with ResourceInfo for a taken client-chosen id", async () => {
        const userId = newUser();
        await t.client.create({ userMemory: { userId, memoryId: "fixed", memory: "a" } });
        const err = await failure(t.client.create({ userMemory: { userId, memoryId: "fixed", memory: "b" } }));
        expect(err.code).toBe(status.ALREADY_EXISTS);
        expect(statusDetails(err).resourceInfo).toMatchObject({
          resourceType: "memoryd.v1.UserMemory",
          resourceName: "fixed",
          owner: userId,
        });
      });

      it("makes a retried create with the same request_id return the same memory", async () => {
        const userId = newUser();
        const request = { userMemory: { userId, memory: "idempotent" }, requestId: randomUUID() };
        const first = await t.client.create(request);
        const retry = await t.client.create(request);
        expect(retry).toEqual(first);
        expect((await t.client.list({ userId })).userMemories).toHaveLength(1);
      });

      it("answers INVALID_ARGUMENT naming request_id when it is reused for a different memory", async () => {
        const userId = newUser();
        await t.client.create({ userMemory: { userId, memory: "one" }, requestId: "r" });
        const err = await failure(t.client.create({ userMemory: { userId, memory: "two" }, requestId: "r" }));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["request_id"]);
      });

      it("accepts sizes exactly at the limits, counted in UTF-8 bytes", async () => {
        const userId = "u".repeat(256);
        const memory = "é".repeat(8192); // 16,384 bytes
        const { userMemory } = await t.client.create({ userMemory: { userId, memory, topics: Array(32).fill("t".repeat(128)) } });
        expect(userMemory!.memory).toBe(memory);
        const err = await failure(t.client.create({ userMemory: { userId, memory: `${memory}x` } }));
        expect(violatedFields(err)).toEqual(["user_memory.memory"]);
      });
    });

    describe("BatchAddUserMemories", () => {
      it("creates all memories in request order", async () => {
        const [alice, bob] = [newUser(), newUser()];
        const { userMemories } = await t.client.batchCreate({
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
        await t.client.create({ userMemory: { userId, memoryId: "taken", memory: "x" } });
        const err = await failure(
          t.client.batchCreate({
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
        expect((await t.client.batchCreate({ requests })).userMemories).toHaveLength(500);
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
          ["", [...created].reverse()],
          ["create_time desc", [...created].reverse()],
          ["create_time", created],
        ] as const) {
          const seen = [];
          let pageToken = "";
          do {
            const page = await t.client.list({ userId, pageSize: 3, pageToken, orderBy: order });
            seen.push(...page.userMemories);
            pageToken = page.nextPageToken;
          } while (pageToken !== "");
          expect(seen.map((m) => m.memory)).toEqual(expected.map((m) => m.memory));
        }
      });

      it("defaults to 50 per page and filters by topic", async () => {
        const userId = newUser();
        await t.client.batchCreate({
          requests: Array.from({ length: 60 }, (_, i) => ({ userMemory: { userId, memory: `m${i}`, topics: i % 2 ? ["odd"] : ["even"] } })),
        });
        const page = await t.client.list({ userId });
        expect(page.userMemories).toHaveLength(50);
        expect(page.nextPageToken).not.toBe("");
        const odd = await t.client.list({ userId, filter: { anyTopics: ["odd"] }, pageSize: 100 });
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
        const last = await t.client.search({ userId, orderBy: "update_time desc", pageSize: 2 });
        expect(last.userMemories.map((m) => m.memory)).toEqual(["m0 updated", "m4"]);
        const byDefault = await t.client.search({ userId, pageSize: 2 });
        expect(byDefault.userMemories.map((m) => m.memory)).toEqual(["m0 updated", "m4"]);
        const first = await t.client.search({ userId, orderBy: "update_time", pageSize: 2 });
        expect(first.userMemories.map((m) => m.memory)).toEqual(["m1", "m2"]);
      });

      it("matches text case-insensitively and combines with topics", async () => {
        const userId = newUser();
        await add(userId, "Loves GREEN tea", ["food"]);
        await add(userId, "green jacket owner", ["clothes"]);
        await add(userId, "black coffee", ["food"]);
        const found = await t.client.search({ userId, query: "green", filter: { anyTopics: ["food"] } });
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
          await t.client.batchCreate({ requests });
        }
        const expected = (await t.client.listAll({ userId, pageSize: 2, orderBy: "create_time" })).map((m) => m.memoryId);
        expect(expected).toHaveLength(60);
        for (const read of [
          (pageToken: string) => t.client.list({ userId, pageSize: 1000, orderBy: "create_time", pageToken }),
          (pageToken: string) =>
            t.client.search({
              userId,
              pageSize: 1000,
              query: "long memory",
              orderBy: "update_time",
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
        const requestBytes = BatchCreateUserMemoriesRequest.encode(BatchCreateUserMemoriesRequest.fromPartial({ requests })).finish()
          .length;
        expect(requestBytes).toBeLessThan(maxMessageBytes);
        const err = await failure(t.client.batchCreate({ requests }));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["requests"]);
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
        expect((await t.client.batchCreate({ requests: requests.slice(0, 60) })).userMemories).toHaveLength(60);
      });
    });

    describe("search pages", () => {
      it("pages with tokens bound to the query, and none after the last match", async () => {
        const userId = newUser();
        for (let i = 0; i < 5; i++) await add(userId, `tea ${i}`);
        await add(userId, "coffee");
        const first = await t.client.search({ userId, query: "tea", pageSize: 2 });
        expect(first.userMemories.map((m) => m.memory)).toEqual(["tea 4", "tea 3"]);
        const second = await t.client.search({ userId, query: "tea", pageSize: 2, pageToken: first.nextPageToken });
        expect(second.userMemories.map((m) => m.memory)).toEqual(["tea 2", "tea 1"]);
        const last = await t.client.search({ userId, query: "tea", pageSize: 2, pageToken: second.nextPageToken });
        expect(last.userMemories.map((m) => m.memory)).toEqual(["tea 0"]);
        expect(last.nextPageToken).toBe("");
        for (const request of [
          { userId, query: "coffee", pageToken: first.nextPageToken },
          { userId, query: "tea", orderBy: "update_time", pageToken: first.nextPageToken },
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
        const { userMemory } = await t.client.create({
          userMemory: { userId: decomposed, memoryId: "cafe\u0301", memory: "m", topics: ["re\u0301sume\u0301"] },
        });
        expect(userMemory).toMatchObject({ userId: composed, memoryId: "caf\u00e9", topics: ["r\u00e9sum\u00e9"] });
        expect((await t.client.get({ userId: composed, memoryId: "caf\u00e9" })).userMemory).toEqual(userMemory);
        expect((await t.client.get({ userId: decomposed, memoryId: "cafe\u0301" })).userMemory).toEqual(userMemory);
        expect((await t.client.list({ userId: decomposed, filter: { anyTopics: ["r\u00e9sum\u00e9"] } })).userMemories).toEqual([
          userMemory,
        ]);
        const again = await failure(t.client.create({ userMemory: { userId: composed, memoryId: "caf\u00e9", memory: "m" } }));
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
    describe("memoryd.v1 scopes, labels and expiry", () => {
      const HOSTILE = ["'; DROP TABLE memories; --", '{"$gt": ""}', "$where"];
      const scoped = (userId: string, agentId: string, labels: Record<string, string>, topics = ["t"]) =>
        t.client
          .create({
            userMemory: {
              userId,
              agentId,
              teamId: "team",
              feedback: "ok",
              memory: `${agentId} memory`,
              topics,
              labels: new Map(Object.entries(labels)),
            },
          })
          .then((r) => r.userMemory!);

      it("round-trips agent, team, feedback and hostile labels, and filters on them exactly", async () => {
        const userId = newUser();
        const a = await scoped(userId, "agent-a", { [HOSTILE[0]!]: HOSTILE[1]!, source: "chat" }, ["x", "y"]);
        const b = await scoped(userId, "agent-b", { [HOSTILE[2]!]: HOSTILE[0]!, source: "email" }, ["y"]);
        expect((await t.client.get(a)).userMemory).toEqual(a);
        expect(a).toMatchObject({ agentId: "agent-a", teamId: "team", feedback: "ok" });
        expect(Object.fromEntries(a.labels)).toEqual({ [HOSTILE[0]!]: HOSTILE[1], source: "chat" });
        const ids = async (filter: object) => (await t.client.list({ userId, filter })).userMemories.map((m) => m.memoryId);
        expect(await ids({ agentId: "agent-b" })).toEqual([b.memoryId]);
        expect(await ids({ teamId: "team" })).toEqual([b.memoryId, a.memoryId]);
        expect(await ids({ allTopics: ["x", "y"] })).toEqual([a.memoryId]);
        expect(await ids({ anyTopics: ["x", "nope"] })).toEqual([a.memoryId]);
        expect(await ids({ labels: new Map([[HOSTILE[2]!, HOSTILE[0]!]]) })).toEqual([b.memoryId]);
        expect(await ids({ labels: new Map([[HOSTILE[0]!, ""]]) })).toEqual([]);
        expect(await ids({ agentId: HOSTILE[0] })).toEqual([]);
        const found = await t.client.search({
          userId,
          query: "memory",
          filter: { labels: new Map([["source", "chat"]]) },
          includeTotalSize: true,
        });
        expect(found.userMemories.map((m) => m.memoryId)).toEqual([a.memoryId]);
        expect(found.totalSize).toBe(1);
      });

      it("orders by update_time both ways in keyset pages, with total_size", async () => {
        const userId = newUser();
        const created = [];
        for (let i = 0; i < 5; i++) created.push(await add(userId, `m${i}`));
        await t.client.replace({ userMemory: { ...created[0]!, memory: "touched", etag: "" } });
        const byUpdate = [...created.slice(1).map((m) => m.memoryId), created[0]!.memoryId];
        for (const [orderBy, expected] of [
          ["update_time", byUpdate],
          ["update_time desc", [...byUpdate].reverse()],
        ] as const) {
          const seen: string[] = [];
          let pageToken = "";
          do {
            const page = await t.client.list({ userId, pageSize: 2, pageToken, orderBy, includeTotalSize: true });
            expect(page.totalSize).toBe(5);
            seen.push(...page.userMemories.map((m) => m.memoryId));
            pageToken = page.nextPageToken;
          } while (pageToken);
          expect(seen, orderBy).toEqual(expected);
        }
      });

      it("updates only the masked fields, honours the etag and refuses output-only paths", async () => {
        const userId = newUser();
        const { userMemory: created } = await t.client.create({
          userMemory: { userId, memory: "likes tea", topics: ["food"], input: "I like tea" },
        });
        const key = { userId, memoryId: created!.memoryId };
        const { userMemory: updated } = await t.client.update({ userMemory: { ...key, topics: ["drinks"] }, updateMask: ["topics"] });
        expect(updated).toMatchObject({ memory: "likes tea", topics: ["drinks"], input: "I like tea" });
        expect(updated!.etag).not.toBe(created!.etag);
        const stale = await failure(
          t.client.update({ userMemory: { ...key, feedback: "x", etag: created!.etag }, updateMask: ["feedback"] }),
        );
        expect(stale.code).toBe(status.ABORTED);
        const outputOnly = await failure(t.client.update({ userMemory: { ...key }, updateMask: ["create_time"] }));
        expect(outputOnly.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(outputOnly)).toEqual(["update_mask.paths[0]"]);
        const missing = await failure(t.client.update({ userMemory: { userId, memoryId: "nope", topics: [] }, updateMask: ["topics"] }));
        expect(missing.code).toBe(status.NOT_FOUND);
        expect((await t.client.get(key)).userMemory).toEqual(updated);
      });

      it("deletes a batch all or nothing, or skipping the missing with allow_missing", async () => {
        const userId = newUser();
        const [a, b] = [await add(userId), await add(userId)];
        const refused = await failure(t.client.batchDelete({ userId, memoryIds: [a.memoryId, "missing"] }));
        expect(refused.code).toBe(status.NOT_FOUND);
        expect((await t.client.list({ userId })).userMemories).toHaveLength(2);
        const done = await t.client.batchDelete({ userId, memoryIds: [a.memoryId, b.memoryId, "missing"], allowMissing: true });
        expect(done.deletedCount).toBe(2);
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
      });

      it("lists topics with counts, per agent, and one user's statistics", async () => {
        const userId = newUser();
        await scoped(userId, "agent-a", {}, ["food", "ui"]);
        await scoped(userId, "agent-a", {}, ["food"]);
        const last = await scoped(userId, "agent-b", {}, ["work"]);
        const all = await t.client.listTopics({ userId });
        expect(all.topics).toEqual([
          { topic: "food", memoryCount: 2 },
          { topic: "ui", memoryCount: 1 },
          { topic: "work", memoryCount: 1 },
        ]);
        expect((await t.client.listTopics({ userId, agentId: "agent-b" })).topics).toEqual([{ topic: "work", memoryCount: 1 }]);
        const stats = await t.client.listUserStats({ userId });
        expect(stats.userStats).toEqual([{ userId, memoryCount: 3, lastUpdateTime: last.updateTime }]);
      });

      it("upserts a batch keeping the given times", async () => {
        const userId = newUser();
        const createTime = { seconds: 1_700_000_000, nanos: 123_000 };
        const updateTime = { seconds: 1_700_000_100, nanos: 0 };
        const { userMemories } = await t.client.batchUpsert({
          upserts: [{ userMemory: { userId, memoryId: "restored", memory: "from a backup", topics: ["b"] }, createTime, updateTime }],
        });
        expect(userMemories[0]).toMatchObject({ memoryId: "restored", createTime, updateTime });
        expect((await t.client.get({ userId, memoryId: "restored" })).userMemory).toEqual(userMemories[0]);
      });

      it("hides an expired memory from every read unless show_expired asks for it", async () => {
        const userId = newUser();
        const { userMemory: expiring } = await t.client.create({
          userMemory: { userId, memory: "short-lived", topics: ["tmp"], expiration: { $case: "ttl", ttl: { seconds: 1, nanos: 0 } } },
        });
        const kept = await add(userId, "kept", ["tmp"]);
        expect(expiring!.expiration?.$case).toBe("expireTime");
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        expect((await failure(t.client.get(expiring!))).code).toBe(status.NOT_FOUND);
        expect((await t.client.list({ userId })).userMemories).toEqual([kept]);
        expect((await t.client.search({ userId, query: "short" })).userMemories).toEqual([]);
        expect((await t.client.listTopics({ userId })).topics).toEqual([{ topic: "tmp", memoryCount: 1 }]);
        expect((await t.client.listUserStats({ userId })).userStats[0]!.memoryCount).toBe(1);
        const withExpired = await t.client.list({ userId, filter: { showExpired: true } });
        expect(withExpired.userMemories.map((m) => m.memoryId).sort()).toEqual([expiring!.memoryId, kept.memoryId].sort());
      });
    });
  });
}
