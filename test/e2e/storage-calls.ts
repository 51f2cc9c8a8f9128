/**
 * What each backend must answer the same over gRPC: every RPC's outcomes
 * that depend on what the store does (creating, reading, paging, searching,
 * conditional writes, the errors they map to), through the generated
 * TypeScript client against a real server on a loopback port. The request
 * rules that do not depend on the backend (validation, decoding, health,
 * reflection) run once, in service-contract.test.ts.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchCreateUserMemoriesRequest } from "../../gen/ts/memoryd/v1/memory_service.js";
import type { UserMemory } from "../../gen/ts/memoryd/v1/user_memory.js";
import { TokenAuthenticator, type TokenFile } from "../../src/auth.js";
import { type RunningServer, startServer } from "../../src/server.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { bearer, failure, MemoryClient, statusDetails, violatedFields } from "../../testkit/client.js";
import { useTestServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";

/** Strings that mean something to SQL, to MongoDB's query language or to a regex, and must stay data. */
const HOSTILE = ["'; DROP TABLE memories; --", '{"$gt": ""}', "$where"] as const;
const labelMap = (labels: Record<string, string>) => new Map(Object.entries(labels));
const ids = (memories: readonly UserMemory[]) => memories.map((m) => m.memoryId);
const nowSeconds = () => Math.floor(Date.now() / 1000);

export function describeStorageCalls(backend: string, openStore: () => Promise<MemoryStore>): void {
  describe(`MemoryService over gRPC: ${backend}`, () => {
    // The smallest message size limit the server accepts, so that pages cut by bytes take a few MB, not tens.
    const maxMessageBytes = 256 * 1024;
    const t = useTestServer(openStore, { connection: { maxMessageBytes } });
    const newUser = () => `e2e-${randomUUID()}`;
    const add = (userId: string, memory = "prefers dark mode", topics = ["ui"]) =>
      t.client.create({ userMemory: { userId, memory, topics } }).then((r) => r.userMemory!);
    /** Creates a memory with any of the memoryd.v1 fields. */
    const addWith = (userMemory: Partial<Omit<UserMemory, "labels">> & { userId: string; labels?: Record<string, string> }) =>
      t.client.create({ userMemory: { memory: "m", ...userMemory, labels: labelMap(userMemory.labels ?? {}) } }).then((r) => r.userMemory!);
    /** Reads a listing to its end with `pageSize` per page. */
    const listPages = async (request: Parameters<MemoryClient["list"]>[0], pageSize: number) => {
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await t.client.list({ ...request, pageSize, pageToken });
        seen.push(...ids(page.userMemories));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      return seen;
    };

    // A second server over the same store with bearer tokens: a tenant's (users "tenant-*") and an operator's.
    const tokens = { operator: "operator-token-0123456789", tenant: "tenant-token-0123456789" };
    const tokenFile: TokenFile = {
      tokens: [
        { name: "operator", token: tokens.operator, all_users: true, operator: true },
        { name: "tenant", token: tokens.tenant, user_prefixes: ["tenant-"] },
      ],
    };
    const dir = tempDir();
    const secured = {} as { server: RunningServer; client: MemoryClient };
    beforeAll(async () => {
      const file = join(dir, "tokens.json");
      writeFileSync(file, JSON.stringify(tokenFile));
      const authenticator = TokenAuthenticator.load(file);
      secured.server = await startServer({ listen: "127.0.0.1:0", store: t.store, log: pino({ level: "silent" }), authenticator });
      secured.client = new MemoryClient(`127.0.0.1:${secured.server.port}`);
    });
    afterAll(async () => {
      secured.client?.close();
      await secured.server?.drain({ delayMs: 0, graceMs: 1000 });
    });
    const as = (token: keyof typeof tokens) => ({ metadata: bearer(tokens[token]) });

    describe("CreateUserMemory", () => {
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

      it("round-trips agent_id, team_id, feedback, labels and expire_time, and tells empty from unset", async () => {
        const userId = newUser();
        const expireTime = { seconds: nowSeconds() + 3600, nanos: 123_456_000 };
        const labels = Object.fromEntries([
          ["source", "chat"],
          ["empty", ""],
          [HOSTILE[0], HOSTILE[1]],
          [HOSTILE[2], HOSTILE[0]],
          ["__proto__", "kept"], // an own key, not the prototype
        ]);
        const full = await addWith({
          userId,
          agentId: "agent",
          teamId: "team",
          feedback: "useful",
          input: "",
          labels,
          expiration: { $case: "expireTime", expireTime },
        });
        expect(full).toMatchObject({ agentId: "agent", teamId: "team", feedback: "useful", input: "", expiration: { expireTime } });
        expect(Object.fromEntries(full.labels)).toEqual(labels);
        expect((await t.client.get(full)).userMemory).toEqual(full);
        const bare = await addWith({ userId, feedback: "" });
        expect(bare).toMatchObject({ agentId: "", teamId: "", feedback: "", input: undefined, expiration: undefined });
        expect(bare.labels.size).toBe(0);
        expect((await t.client.get(bare)).userMemory).toEqual(bare);
      });

      it("turns a ttl into an expire_time by the server's clock, and refuses an expire_time in the past", async () => {
        const userId = newUser();
        const before = nowSeconds();
        const created = await addWith({ userId, expiration: { $case: "ttl", ttl: { seconds: 3600, nanos: 0 } } });
        expect(created.expiration?.$case).toBe("expireTime");
        const expireSeconds = created.expiration?.$case === "expireTime" ? created.expiration.expireTime.seconds : 0;
        expect(expireSeconds).toBeGreaterThanOrEqual(before + 3600);
        expect(expireSeconds).toBeLessThanOrEqual(nowSeconds() + 3601);
        const past = { $case: "expireTime", expireTime: { seconds: before - 10, nanos: 0 } } as const;
        const err = await failure(t.client.create({ userMemory: { userId, memory: "m", expiration: past } }));
        expect(violatedFields(err)).toEqual(["user_memory.expire_time"]);
      });
    });

    describe("BatchCreateUserMemories", () => {
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
          ["create_time asc", created],
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

      it("orders by update_time both ways in keyset pages, with total_size only when asked", async () => {
        const userId = newUser();
        const created = [];
        for (let i = 0; i < 5; i++) created.push(await add(userId, `m${i}`));
        await t.client.replace({ userMemory: { ...created[0]!, memory: "touched", etag: "" } });
        const byUpdate = [...ids(created.slice(1)), created[0]!.memoryId];
        for (const [orderBy, expected] of [
          ["update_time", byUpdate],
          ["update_time asc", byUpdate],
          ["update_time desc", [...byUpdate].reverse()],
        ] as const) {
          const seen: string[] = [];
          let pageToken = "";
          do {
            const page = await t.client.list({ userId, pageSize: 2, pageToken, orderBy, includeTotalSize: true });
            expect(page.totalSize).toBe(5);
            seen.push(...ids(page.userMemories));
            pageToken = page.nextPageToken;
          } while (pageToken);
          expect(seen, orderBy).toEqual(expected);
        }
        expect((await t.client.list({ userId })).totalSize).toBeUndefined();
        expect((await t.client.list({ userId, filter: { anyTopics: ["none"] }, includeTotalSize: true })).totalSize).toBe(0);
      });

      it("keeps later pages in place while memories are added and deleted, and skips on request", async () => {
        const userId = newUser();
        const created = [];
        for (let i = 0; i < 5; i++) created.push(await add(userId, `m${i}`));
        const first = await t.client.list({ userId, pageSize: 2 });
        expect(first.userMemories.map((m) => m.memory)).toEqual(["m4", "m3"]);
        await t.client.delete(created[3]!);
        await t.client.delete(created[1]!);
        await add(userId, "m5");
        const rest = await t.client.list({ userId, pageSize: 10, pageToken: first.nextPageToken });
        expect(rest.userMemories.map((m) => m.memory)).toEqual(["m2", "m0"]);
        const skipped = await t.client.list({ userId, orderBy: "create_time", skip: 1, pageSize: 2 });
        expect(skipped.userMemories.map((m) => m.memory)).toEqual(["m2", "m4"]);
        const after = await t.client.list({ userId, orderBy: "create_time", pageSize: 2, pageToken: skipped.nextPageToken });
        expect(after.userMemories.map((m) => m.memory)).toEqual(["m5"]);
      });

      it("filters by agent_id, team_id, any_topics, all_topics and every given label exactly", async () => {
        const userId = newUser();
        const a = await addWith({
          userId,
          agentId: "agent-a",
          teamId: "team-1",
          topics: ["x", "y"],
          labels: { source: "chat", lang: "en" },
        });
        const b = await addWith({ userId, agentId: "agent-b", teamId: "team-1", topics: ["y"], labels: { source: "chat", lang: "de" } });
        const c = await addWith({ userId, agentId: "agent-a", topics: ["z"], labels: { source: "", lang: "en" } });
        const d = await addWith({ userId, topics: [] });
        const listed = async (filter: Parameters<MemoryClient["list"]>[0]["filter"]) => {
          const page = await t.client.list({ userId, filter, orderBy: "create_time", includeTotalSize: true });
          expect(page.totalSize).toBe(page.userMemories.length);
          return ids(page.userMemories);
        };
        expect(await listed({})).toEqual(ids([a, b, c, d]));
        expect(await listed({ agentId: "agent-a" })).toEqual(ids([a, c]));
        expect(await listed({ teamId: "team-1" })).toEqual(ids([a, b]));
        expect(await listed({ agentId: "agent-a", teamId: "team-1" })).toEqual(ids([a]));
        expect(await listed({ anyTopics: ["x", "z"] })).toEqual(ids([a, c]));
        expect(await listed({ allTopics: ["x", "y"] })).toEqual(ids([a]));
        expect(await listed({ allTopics: ["y"], anyTopics: ["x", "z"] })).toEqual(ids([a]));
        expect(await listed({ labels: labelMap({ source: "chat" }) })).toEqual(ids([a, b]));
        expect(await listed({ labels: labelMap({ source: "chat", lang: "en" }) })).toEqual(ids([a]));
        expect(await listed({ labels: labelMap({ source: "chat", missing: "x" }) })).toEqual([]);
        expect(await listed({ labels: labelMap({ source: "" }) })).toEqual(ids([c])); // an empty value is a value, not "any"
        expect(await listed({ labels: labelMap({ lang: "e" }) })).toEqual([]); // no prefix match
        expect(await listed({ agentId: "agent" })).toEqual([]);
      });

      it("keeps hostile strings in labels, agents and topics as data that only matches itself", async () => {
        const userId = newUser();
        const hostile = await addWith({
          userId,
          agentId: HOSTILE[0],
          teamId: HOSTILE[1],
          topics: [...HOSTILE],
          labels: { [HOSTILE[0]]: HOSTILE[1], [HOSTILE[1]]: HOSTILE[2], [HOSTILE[2]]: HOSTILE[0] },
        });
        const plain = await addWith({ userId, agentId: "a", teamId: "t", topics: ["p"], labels: { k: "v", where: "x" } });
        expect((await t.client.get(hostile)).userMemory).toEqual(hostile);
        expect(Object.fromEntries(hostile.labels)).toEqual({
          [HOSTILE[0]]: HOSTILE[1],
          [HOSTILE[1]]: HOSTILE[2],
          [HOSTILE[2]]: HOSTILE[0],
        });
        const listed = async (filter: Parameters<MemoryClient["list"]>[0]["filter"]) =>
          ids((await t.client.list({ userId, filter })).userMemories);
        for (const value of HOSTILE) {
          expect(await listed({ anyTopics: [value] })).toEqual([hostile.memoryId]);
          expect(await listed({ allTopics: [value, "p"] })).toEqual([]);
          expect(await listed({ labels: labelMap({ [value]: hostile.labels.get(value)! }) })).toEqual([hostile.memoryId]);
          expect(await listed({ labels: labelMap({ [value]: `${hostile.labels.get(value)!} ` }) })).toEqual([]);
          expect(await listed({ labels: labelMap({ k: value }) })).toEqual([]);
        }
        expect(await listed({ agentId: HOSTILE[0] })).toEqual([hostile.memoryId]);
        expect(await listed({ teamId: HOSTILE[1] })).toEqual([hostile.memoryId]);
        expect(await listed({ agentId: "' OR '1'='1" })).toEqual([]);
        expect(await listed({ teamId: '{"$ne": null}' })).toEqual([]);
        expect(await listed({ labels: labelMap({ $where: "1 == 1" }) })).toEqual([]);
        expect(await listed({ labels: labelMap({ k: "v" }) })).toEqual([plain.memoryId]);
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

      it("filters like ListUserMemories, orders by create_time on request and counts total_size", async () => {
        const userId = newUser();
        const a = await addWith({ userId, memory: "tea a", agentId: "agent-a", teamId: "team", topics: ["x", "y"], labels: { k: "1" } });
        const b = await addWith({ userId, memory: "tea b", agentId: "agent-b", teamId: "team", topics: ["y"], labels: { k: "2" } });
        await addWith({ userId, memory: "coffee", agentId: "agent-a", topics: ["x", "y"], labels: { k: "1" } });
        await t.client.update({ userMemory: { ...a, feedback: "touched" }, updateMask: ["feedback"] });
        const found = async (request: Omit<Parameters<MemoryClient["search"]>[0], "userId" | "query">) => {
          const page = await t.client.search({ userId, query: "TEA", includeTotalSize: true, ...request });
          expect(page.totalSize).toBe(page.userMemories.length);
          return ids(page.userMemories);
        };
        expect(await found({})).toEqual(ids([a, b])); // update_time desc
        expect(await found({ orderBy: "create_time desc" })).toEqual(ids([b, a]));
        expect(await found({ orderBy: "create_time" })).toEqual(ids([a, b]));
        expect(await found({ filter: { agentId: "agent-a" } })).toEqual(ids([a]));
        expect(await found({ filter: { teamId: "team" } })).toEqual(ids([a, b]));
        expect(await found({ filter: { anyTopics: ["x", "none"] } })).toEqual(ids([a]));
        expect(await found({ filter: { allTopics: ["x", "y"] } })).toEqual(ids([a]));
        expect(await found({ filter: { labels: labelMap({ k: "2" }) } })).toEqual(ids([b]));
        expect(await found({ filter: { teamId: "team", labels: labelMap({ k: "3" }) } })).toEqual([]);
        const skipped = await t.client.search({ userId, query: "tea", skip: 1, includeTotalSize: true });
        expect([ids(skipped.userMemories), skipped.totalSize]).toEqual([ids([b]), 2]); // total_size counts the skipped too
        expect((await t.client.search({ userId, query: "tea" })).totalSize).toBeUndefined();
      });

      it("matches the query literally: SQL wildcards, regex and injection strings are text", async () => {
        const userId = newUser();
        const texts = ["100% sure", "a_b", "x.*y", "plain words", `says ${HOSTILE[0]}`, `json ${HOSTILE[1]}`, "uses $where here", "(a|b)"];
        const created = [];
        for (const memory of texts) created.push(await add(userId, memory));
        const byText = new Map(created.map((m) => [m.memory, m.memoryId]));
        for (const [query, expected] of [
          ["%", ["100% sure"]],
          ["_", ["a_b"]],
          [".*", ["x.*y"]],
          ["*", ["x.*y"]],
          ["(a|b)", ["(a|b)"]],
          ["a|b", ["(a|b)"]],
          ["'; drop table", [`says ${HOSTILE[0]}`]],
          [HOSTILE[1], [`json ${HOSTILE[1]}`]],
          ['"$gt"', [`json ${HOSTILE[1]}`]],
          [HOSTILE[2], ["uses $where here"]],
          ["^plain", []],
          ["\\", []],
        ] as const) {
          const page = await t.client.search({ userId, query, orderBy: "create_time", pageSize: 100 });
          expect(ids(page.userMemories), query).toEqual(expected.map((memory) => byText.get(memory)));
        }
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

      it("clears the memoryd.v1 fields it is not given and sets those it is", async () => {
        const userId = newUser();
        const created = await addWith({
          userId,
          input: "i",
          agentId: "agent",
          teamId: "team",
          feedback: "f",
          labels: { k: "v" },
          expiration: { $case: "ttl", ttl: { seconds: 3600, nanos: 0 } },
        });
        const key = { userId, memoryId: created.memoryId };
        const { userMemory: cleared } = await t.client.replace({ userMemory: { ...key, memory: "bare" } });
        expect(cleared).toMatchObject({
          memory: "bare",
          input: undefined,
          agentId: "",
          teamId: "",
          feedback: undefined,
          expiration: undefined,
        });
        expect(cleared!.labels.size).toBe(0);
        const expireTime = { seconds: nowSeconds() + 7200, nanos: 0 };
        const { userMemory: set } = await t.client.replace({
          userMemory: {
            ...key,
            memory: "full",
            agentId: "b",
            labels: labelMap({ [HOSTILE[2]]: HOSTILE[1] }),
            expiration: { $case: "expireTime", expireTime },
          },
        });
        expect(set).toMatchObject({ agentId: "b", teamId: "", expiration: { expireTime } });
        expect(Object.fromEntries(set!.labels)).toEqual({ [HOSTILE[2]]: HOSTILE[1] });
        expect((await t.client.get(key)).userMemory).toEqual(set);
        expect(ids((await t.client.list({ userId, filter: { agentId: "agent" } })).userMemories)).toEqual([]);
      });
    });

    describe("UpdateUserMemory", () => {
      const seed = (userId: string) =>
        addWith({
          userId,
          memory: "likes tea",
          topics: ["food"],
          input: "I like tea",
          agentId: "agent",
          feedback: "f",
          labels: { k: "v" },
        });

      it("changes only the fields the mask names, keeping input and the rest", async () => {
        const created = await seed(newUser());
        const key = { userId: created.userId, memoryId: created.memoryId };
        const { userMemory: updated } = await t.client.update({
          userMemory: { ...key, topics: ["drinks"], memory: "ignored" },
          updateMask: ["topics"],
        });
        expect(updated).toEqual({ ...created, topics: ["drinks"], updateTime: updated!.updateTime, etag: updated!.etag });
        expect(updated!.etag).not.toBe(created.etag);
        expect(updated!.createTime).toEqual(created.createTime);
        expect((await t.client.get(key)).userMemory).toEqual(updated);
        const { userMemory: relabelled } = await t.client.update({
          userMemory: { ...key, labels: labelMap({ other: "x" }), agentId: "" },
          updateMask: ["labels", "agent_id", "feedback"],
        });
        expect(relabelled).toMatchObject({
          memory: "likes tea",
          topics: ["drinks"],
          input: "I like tea",
          agentId: "",
          feedback: undefined,
        });
        expect(Object.fromEntries(relabelled!.labels)).toEqual({ other: "x" }); // replaced as a whole, not merged
      });

      it("without a mask changes the fields the request sets", async () => {
        const created = await seed(newUser());
        const { userMemory } = await t.client.update({
          userMemory: { userId: created.userId, memoryId: created.memoryId, teamId: "team" },
        });
        expect(userMemory).toMatchObject({ memory: "likes tea", topics: ["food"], input: "I like tea", agentId: "agent", teamId: "team" });
        expect(Object.fromEntries(userMemory!.labels)).toEqual({ k: "v" });
      });

      it("sets and clears the expiration through expire_time", async () => {
        const created = await seed(newUser());
        const key = { userId: created.userId, memoryId: created.memoryId };
        const ttl = { $case: "ttl", ttl: { seconds: 3600, nanos: 0 } } as const;
        const { userMemory: expiring } = await t.client.update({ userMemory: { ...key, expiration: ttl }, updateMask: ["expire_time"] });
        expect(expiring!.expiration?.$case).toBe("expireTime");
        const { userMemory: kept } = await t.client.update({ userMemory: { ...key, memory: "likes green tea" }, updateMask: ["memory"] });
        expect(kept!.expiration).toEqual(expiring!.expiration);
        const { userMemory: forever } = await t.client.update({ userMemory: key, updateMask: ["expire_time"] });
        expect(forever!.expiration).toBeUndefined();
        expect((await t.client.get(key)).userMemory).toEqual(forever);
      });

      it("answers ABORTED with ETAG_MISMATCH for a stale etag, and NOT_FOUND for a missing memory", async () => {
        const created = await seed(newUser());
        const key = { userId: created.userId, memoryId: created.memoryId };
        const { userMemory: fresh } = await t.client.update({
          userMemory: { ...key, feedback: "first", etag: created.etag },
          updateMask: ["feedback"],
        });
        const stale = await failure(
          t.client.update({ userMemory: { ...key, feedback: "second", etag: created.etag }, updateMask: ["feedback"] }),
        );
        expect(stale.code).toBe(status.ABORTED);
        expect(statusDetails(stale).errorInfo?.reason).toBe("ETAG_MISMATCH");
        expect((await t.client.get(key)).userMemory).toEqual(fresh);
        const missing = await failure(t.client.update({ userMemory: { ...key, memoryId: "nope" }, updateMask: ["topics"] }));
        expect(missing.code).toBe(status.NOT_FOUND);
        expect(statusDetails(missing).resourceInfo?.resourceName).toBe("nope");
        const otherUser = await failure(t.client.update({ userMemory: { ...key, userId: newUser() }, updateMask: ["topics"] }));
        expect(otherUser.code).toBe(status.NOT_FOUND);
      });

      it("answers INVALID_ARGUMENT naming unknown, output-only and immutable mask paths, and changes nothing", async () => {
        const created = await seed(newUser());
        const key = { userId: created.userId, memoryId: created.memoryId };
        const paths = ["topics", "create_time", "nonsense", "user_id", "labels.k", "ttl"];
        const err = await failure(t.client.update({ userMemory: { ...key, topics: ["x"] }, updateMask: paths }));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        const violations = statusDetails(err).badRequest!.fieldViolations;
        expect(violations.map((v) => v.field)).toEqual([1, 2, 3, 4, 5].map((i) => `update_mask.paths[${i}]`));
        for (const [i, v] of violations.entries()) expect(v.description).toContain(paths[i + 1] === "ttl" ? "expire_time" : paths[i + 1]);
        const cleared = await failure(t.client.update({ userMemory: key, updateMask: ["memory"] }));
        expect(violatedFields(cleared)).toEqual(["user_memory.memory"]);
        expect((await t.client.get(key)).userMemory).toEqual(created);
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

    describe("BatchDeleteUserMemories", () => {
      it("deletes nothing when one id is missing, naming it, and skips the missing with allow_missing", async () => {
        const userId = newUser();
        const [a, b, c] = [await add(userId), await add(userId), await add(userId)];
        const others = await add(newUser());
        for (const missing of ["missing", others.memoryId]) {
          const refused = await failure(t.client.batchDelete({ userId, memoryIds: [a.memoryId, missing, b.memoryId] }));
          expect(refused.code).toBe(status.NOT_FOUND);
          expect(statusDetails(refused).resourceInfo?.resourceName).toBe(missing);
        }
        expect((await t.client.list({ userId })).userMemories).toHaveLength(3);
        const done = await t.client.batchDelete({
          userId,
          memoryIds: [a.memoryId, "missing", b.memoryId, others.memoryId],
          allowMissing: true,
        });
        expect(done.deletedCount).toBe(2);
        expect(ids((await t.client.list({ userId })).userMemories)).toEqual([c.memoryId]);
        expect((await t.client.get(others)).userMemory).toEqual(others);
        expect((await t.client.batchDelete({ userId, memoryIds: [c.memoryId] })).deletedCount).toBe(1);
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
      });
    });

    describe("ListMemoryTopics", () => {
      it("counts each topic of a user, by name, scoped to an agent or a team, in pages", async () => {
        const userId = newUser();
        await addWith({ userId, agentId: "agent-a", teamId: "team-1", topics: ["food", "ui"] });
        await addWith({ userId, agentId: "agent-a", topics: ["food"] });
        await addWith({ userId, agentId: "agent-b", teamId: "team-1", topics: ["work", HOSTILE[0]] });
        await addWith({ userId: newUser(), topics: ["food", "elsewhere"] });
        expect((await t.client.listTopics({ userId })).topics).toEqual([
          { topic: HOSTILE[0], memoryCount: 1 },
          { topic: "food", memoryCount: 2 },
          { topic: "ui", memoryCount: 1 },
          { topic: "work", memoryCount: 1 },
        ]);
        expect((await t.client.listTopics({ userId, agentId: "agent-a" })).topics).toEqual([
          { topic: "food", memoryCount: 2 },
          { topic: "ui", memoryCount: 1 },
        ]);
        expect((await t.client.listTopics({ userId, teamId: "team-1" })).topics.map((t) => t.topic)).toEqual([
          HOSTILE[0],
          "food",
          "ui",
          "work",
        ]);
        expect((await t.client.listTopics({ userId, agentId: "agent-a", teamId: "team-1" })).topics).toEqual([
          { topic: "food", memoryCount: 1 },
          { topic: "ui", memoryCount: 1 },
        ]);
        expect((await t.client.listTopics({ userId, agentId: HOSTILE[1] })).topics).toEqual([]);
        const paged: string[] = [];
        let pageToken = "";
        do {
          const page = await t.client.listTopics({ userId, pageSize: 3, pageToken });
          paged.push(...page.topics.map((t) => t.topic));
          pageToken = page.nextPageToken;
        } while (pageToken);
        expect(paged).toEqual([HOSTILE[0], "food", "ui", "work"]);
      });

      it("counts every user's memories with an empty user_id, which a tenant's token may not ask for", async () => {
        const topic = `shared-${randomUUID()}`;
        await add(newUser(), "one", [topic]);
        await add(newUser(), "two", [topic, "other"]);
        const counts = new Map<string, number>();
        let pageToken = "";
        do {
          const page = await t.client.listTopics({ pageSize: 2, pageToken });
          for (const { topic: name, memoryCount } of page.topics) counts.set(name, memoryCount);
          pageToken = page.nextPageToken;
        } while (pageToken);
        expect(counts.get(topic)).toBe(2);
        const denied = await failure(secured.client.listTopics({}, as("tenant")));
        expect(denied.code).toBe(status.PERMISSION_DENIED);
        const tenant = `tenant-${randomUUID()}`;
        await add(tenant, "mine", [topic]);
        expect((await secured.client.listTopics({ userId: tenant }, as("tenant"))).topics).toEqual([{ topic, memoryCount: 1 }]);
        expect((await failure(secured.client.listTopics({ userId: newUser() }, as("tenant")))).code).toBe(status.PERMISSION_DENIED);
      });
    });

    describe("ListUserStats", () => {
      it("answers one user's own statistics", async () => {
        const userId = newUser();
        await add(userId);
        await add(userId);
        const last = await add(userId);
        const stats = await t.client.listUserStats({ userId, includeTotalSize: true });
        expect(stats).toEqual({
          userStats: [{ userId, memoryCount: 3, lastUpdateTime: last.updateTime }],
          nextPageToken: "",
          totalSize: 1,
        });
        expect((await t.client.listUserStats({ userId: newUser() })).userStats).toEqual([]);
      });

      it("lists every user most recently updated first, in pages, with skip and total_size", async () => {
        const [alice, bob, carol] = [newUser(), newUser(), newUser()];
        const first = await add(alice);
        await add(bob);
        await add(carol);
        const touched = (await t.client.replace({ userMemory: { ...first, memory: "touched" } })).userMemory!;
        const top = await t.client.listUserStats({ pageSize: 2, includeTotalSize: true });
        expect(top.userStats).toEqual([
          { userId: alice, memoryCount: 1, lastUpdateTime: touched.updateTime },
          expect.objectContaining({ userId: carol, memoryCount: 1 }),
        ]);
        expect(top.totalSize).toBeGreaterThanOrEqual(3);
        const next = await t.client.listUserStats({ pageSize: 1, pageToken: top.nextPageToken });
        expect(next.userStats.map((s) => s.userId)).toEqual([bob]);
        expect((await t.client.listUserStats({ pageSize: 1, skip: 2 })).userStats.map((s) => s.userId)).toEqual([bob]);
      });

      it("needs a token that covers all users for every user's statistics", async () => {
        const tenant = `tenant-${randomUUID()}`;
        await add(tenant);
        expect((await secured.client.listUserStats({ userId: tenant }, as("tenant"))).userStats.map((s) => s.userId)).toEqual([tenant]);
        const denied = await failure(secured.client.listUserStats({}, as("tenant")));
        expect(denied.code).toBe(status.PERMISSION_DENIED);
        expect(statusDetails(denied).errorInfo?.reason).toBe("USER_OUT_OF_SCOPE");
        expect((await failure(secured.client.listUserStats({ userId: newUser() }, as("tenant")))).code).toBe(status.PERMISSION_DENIED);
        expect((await secured.client.listUserStats({ pageSize: 1 }, as("operator"))).userStats.map((s) => s.userId)).toEqual([tenant]);
      });
    });

    describe("BatchUpsertUserMemories", () => {
      const createTime = { seconds: 1_700_000_000, nanos: 123_000 };
      const updateTime = { seconds: 1_700_000_100, nanos: 0 };

      it("writes memories with the given times, overwriting a stored one, in one call", async () => {
        const userId = newUser();
        const existing = await addWith({ userId, memoryId: "kept-id", memory: "current", agentId: "old", labels: { k: "old" } });
        const { userMemories } = await t.client.batchUpsert({
          upserts: [
            { userMemory: { userId, memoryId: "restored", memory: "from a backup", topics: ["b"] }, createTime, updateTime },
            {
              userMemory: {
                userId,
                memoryId: "kept-id",
                memory: "restored too",
                teamId: "team",
                labels: labelMap({ [HOSTILE[1]]: HOSTILE[2] }),
              },
              createTime,
            },
          ],
        });
        expect(userMemories[0]).toMatchObject({ memoryId: "restored", memory: "from a backup", createTime, updateTime });
        expect(userMemories[1]).toMatchObject({ memoryId: "kept-id", agentId: "", teamId: "team", createTime, updateTime: createTime });
        expect(Object.fromEntries(userMemories[1]!.labels)).toEqual({ [HOSTILE[1]]: HOSTILE[2] });
        expect(userMemories[1]!.etag).not.toBe(existing.etag);
        for (const memory of userMemories) expect((await t.client.get(memory)).userMemory).toEqual(memory);
        expect(await listPages({ userId, orderBy: "update_time desc" }, 1)).toEqual(["restored", "kept-id"]);
        // A write after the import sorts after it; equal create times tie on memory_id.
        const later = await add(userId);
        expect(ids((await t.client.list({ userId })).userMemories)).toEqual([later.memoryId, "restored", "kept-id"]);
      });

      it("is refused without the operator scope when tokens are configured, and writes nothing", async () => {
        const userId = `tenant-${randomUUID()}`;
        const request = { upserts: [{ userMemory: { userId, memoryId: "imported", memory: "m" }, createTime }] };
        const denied = await failure(secured.client.batchUpsert(request, as("tenant")));
        expect(denied.code).toBe(status.PERMISSION_DENIED);
        expect(statusDetails(denied).errorInfo?.reason).toBe("OPERATOR_SCOPE_REQUIRED");
        expect((await t.client.list({ userId })).userMemories).toEqual([]);
        expect((await failure(secured.client.batchUpsert(request))).code).toBe(status.UNAUTHENTICATED);
        const { userMemories } = await secured.client.batchUpsert(request, as("operator"));
        expect(userMemories[0]).toMatchObject({ userId, memoryId: "imported", createTime });
      });
    });

    describe("expiration", () => {
      it("hides an expired memory from every read unless show_expired asks for it", async () => {
        const userId = newUser();
        const second = { $case: "ttl", ttl: { seconds: 1, nanos: 0 } } as const;
        const expiring = await addWith({ userId, memory: "short-lived", topics: ["tmp", "gone"], labels: { k: "v" }, expiration: second });
        const kept = await addWith({ userId, memory: "kept short", topics: ["tmp"], labels: { k: "v" } });
        expect(expiring.expiration?.$case).toBe("expireTime");
        expect((await t.client.get(expiring)).userMemory).toEqual(expiring);
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        expect((await failure(t.client.get(expiring))).code).toBe(status.NOT_FOUND);
        expect(await t.client.list({ userId, includeTotalSize: true })).toEqual({ userMemories: [kept], nextPageToken: "", totalSize: 1 });
        const filter = { anyTopics: ["tmp"], labels: labelMap({ k: "v" }) };
        expect((await t.client.list({ userId, filter, includeTotalSize: true })).totalSize).toBe(1);
        expect(await t.client.search({ userId, query: "short", includeTotalSize: true })).toEqual({
          userMemories: [kept],
          nextPageToken: "",
          totalSize: 1,
        });
        expect((await t.client.listTopics({ userId })).topics).toEqual([{ topic: "tmp", memoryCount: 1 }]);
        expect((await t.client.listUserStats({ userId })).userStats).toEqual([{ userId, memoryCount: 1, lastUpdateTime: kept.updateTime }]);
        const both = [kept.memoryId, expiring.memoryId];
        const shown = await t.client.list({ userId, filter: { ...filter, showExpired: true }, includeTotalSize: true });
        expect([ids(shown.userMemories), shown.totalSize]).toEqual([both, 2]);
        const searched = await t.client.search({ userId, query: "short", filter: { showExpired: true } });
        expect(ids(searched.userMemories).sort()).toEqual([...both].sort());
        expect(
          (await failure(t.client.update({ userMemory: { userId, memoryId: expiring.memoryId }, updateMask: ["feedback"] }))).code,
        ).toBe(status.NOT_FOUND);
        expect((await t.client.clear({ userId })).deletedCount).toBe(1);
      });
    });
  });
}
