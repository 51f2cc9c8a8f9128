/**
 * The storage contract of `src/storage/store.ts`, as tests. Every backend
 * runs this suite unchanged; a bug found in one backend becomes a case here.
 *
 * One store is opened per backend and shared by the cases, which keep out
 * of each other's way by using fresh user ids.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  DeadlineExceededError,
  EtagMismatchError,
  NotFoundError,
  RequestIdReusedError,
} from "../../src/storage/errors.js";
import type { MemoryRecord, MemoryStore, NewMemory, OperationOptions, SearchQuery, SortDirection } from "../../src/storage/store.js";

/** Strings that break naive query building; they must round-trip verbatim. */
export const HOSTILE_STRINGS = [
  "'; DROP TABLE memories; --",
  '{"$gt": ""}',
  "$where",
  "100% _sure_ \\ back\\slash",
  "ünïcödé 🧠 ÉCOLE",
  "line\nbreak\ttab",
];

/** Sort key order as the store defines it: time, then memory id (ASCII ids compare the same in JS). */
export function byKey(time: (m: MemoryRecord) => number, direction: SortDirection) {
  const sign = direction === "newest" ? -1 : 1;
  return (a: MemoryRecord, b: MemoryRecord) =>
    sign * (time(a) - time(b) || (a.memoryId < b.memoryId ? -1 : a.memoryId > b.memoryId ? 1 : 0));
}

const ids = (records: readonly MemoryRecord[]) => records.map((r) => r.memoryId);

export function describeStoreConformance(backend: string, openStore: () => Promise<MemoryStore>): void {
  describe(`MemoryStore conformance: ${backend}`, () => {
    let store: MemoryStore;

    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store?.close();
    });

    const newUser = () => `user-${randomUUID()}`;
    const draft = (userId: string, fields: Partial<NewMemory> = {}): NewMemory => ({
      userId,
      memory: "likes green tea",
      topics: ["food"],
      ...fields,
    });
    async function addOne(userId: string, fields: Partial<NewMemory> = {}): Promise<MemoryRecord> {
      const [record] = await store.add([draft(userId, fields)]);
      return record!;
    }
    async function addMany(userId: string, count: number, fields: (i: number) => Partial<NewMemory> = () => ({})) {
      const records: MemoryRecord[] = [];
      for (let i = 0; i < count; i++) records.push(await addOne(userId, { memory: `memory ${i}`, ...fields(i) }));
      return records;
    }
    /** The first page of a search. */
    async function firstMatches(query: Omit<SearchQuery, "after">, options?: OperationOptions): Promise<MemoryRecord[]> {
      return (await store.search({ ...query, after: undefined }, options)).memories as MemoryRecord[];
    }
    async function listAll(userId: string, direction: SortDirection, pageSize: number, anyTopics: string[] = []) {
      const pages: MemoryRecord[][] = [];
      let after;
      do {
        const page = await store.list({ userId, direction, pageSize, anyTopics, after });
        expect(page.memories.length).toBeLessThanOrEqual(pageSize);
        pages.push([...page.memories]);
        after = page.next;
      } while (after && pages.length < 1000);
      return pages;
    }

    describe("add", () => {
      it("generates a UUID, sets both times to the same instant and an etag", async () => {
        const before = Date.now() * 1000;
        const record = await addOne(newUser(), { input: "I love green tea" });
        expect(record.memoryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(record.createTime).toBe(record.updateTime);
        expect(record.createTime).toBeGreaterThanOrEqual(before - 1000);
        expect(record.createTime).toBeLessThanOrEqual(Date.now() * 1000 + 1000);
        expect(record.etag).not.toBe("");
        expect(await store.get(record.userId, record.memoryId)).toEqual(record);
      });

      it("keeps a client-chosen id, topics in order, and input exactly (absent, empty or text)", async () => {
        const userId = newUser();
        const a = await addOne(userId, { memoryId: "pref.theme", topics: ["ui", "preferences", "ui"] });
        const b = await addOne(userId, { memoryId: "with-empty-input", input: "" });
        const c = await addOne(userId, { memoryId: "no-topics", topics: [] });
        expect(await store.get(userId, "pref.theme")).toMatchObject({ topics: ["ui", "preferences", "ui"], input: undefined });
        expect((await store.get(userId, b.memoryId)).input).toBe("");
        expect((await store.get(userId, c.memoryId)).topics).toEqual([]);
        expect(a.memoryId).toBe("pref.theme");
      });

      it("stores hostile and non-ASCII strings verbatim", async () => {
        const userId = `${newUser()}-'"%_$`;
        for (const text of HOSTILE_STRINGS) {
          const record = await addOne(userId, { memoryId: `id ${text}`.replace(/[\n\t]/g, " "), memory: text, topics: [text.replace(/[\n\t]/g, " ")], input: text });
          expect(await store.get(userId, record.memoryId)).toEqual(record);
        }
        const page = await store.list({ userId, direction: "oldest", pageSize: 100, anyTopics: [], after: undefined });
        expect(page.memories.map((m) => m.memory)).toEqual(HOSTILE_STRINGS);
      });

      it("refuses an id the user already has, and keeps the original", async () => {
        const userId = newUser();
        const original = await addOne(userId, { memoryId: "m1" });
        const err = await store.add([draft(userId, { memoryId: "m1", memory: "other" })]).catch((e) => e);
        expect(err).toBeInstanceOf(AlreadyExistsError);
        expect(err).toMatchObject({ userId, memoryId: "m1", index: 0 });
        expect(await store.get(userId, "m1")).toEqual(original);
      });

      it("gives each user its own id space", async () => {
        const [alice, bob] = [newUser(), newUser()];
        await addOne(alice, { memoryId: "shared-id", memory: "alice's" });
        await addOne(bob, { memoryId: "shared-id", memory: "bob's" });
        expect((await store.get(alice, "shared-id")).memory).toBe("alice's");
        expect((await store.get(bob, "shared-id")).memory).toBe("bob's");
      });

      it("returns the first result for a retried request id instead of adding again", async () => {
        const userId = newUser();
        const first = await addOne(userId, { requestId: "req-1" });
        const retry = await addOne(userId, { requestId: "req-1" });
        expect(retry).toEqual(first);
        const page = await store.list({ userId, direction: "newest", pageSize: 10, anyTopics: [], after: undefined });
        expect(ids(page.memories)).toEqual([first.memoryId]);
      });

      it("refuses a request id reused for different content", async () => {
        const userId = newUser();
        await addOne(userId, { requestId: "req-2", memory: "first" });
        const err = await store.add([draft(userId, { requestId: "req-2", memory: "second" })]).catch((e) => e);
        expect(err).toBeInstanceOf(RequestIdReusedError);
        expect(err).toMatchObject({ requestId: "req-2", index: 0 });
      });

      it("scopes request ids to their user", async () => {
        const [alice, bob] = [newUser(), newUser()];
        const a = await addOne(alice, { requestId: "same" });
        const b = await addOne(bob, { requestId: "same" });
        expect(b.memoryId).not.toBe(a.memoryId);
        expect(b.userId).toBe(bob);
      });

      it("creates a batch in input order", async () => {
        const userId = newUser();
        const created = await store.add([0, 1, 2].map((i) => draft(userId, { memory: `batch ${i}` })));
        expect(created.map((m) => m.memory)).toEqual(["batch 0", "batch 1", "batch 2"]);
        for (const record of created) expect(await store.get(userId, record.memoryId)).toEqual(record);
      });

      it("creates nothing of a batch when one entry fails", async () => {
        const userId = newUser();
        await addOne(userId, { memoryId: "taken" });
        const err = await store
          .add([draft(userId, { memoryId: "fresh-1" }), draft(userId, { memoryId: "taken" }), draft(userId, { memoryId: "fresh-2" })])
          .catch((e) => e);
        expect(err).toBeInstanceOf(AlreadyExistsError);
        expect(err.index).toBe(1);
        await expect(store.get(userId, "fresh-1")).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.get(userId, "fresh-2")).rejects.toBeInstanceOf(NotFoundError);
      });

      it("creates nothing of a batch when a later entry reuses a request id", async () => {
        const userId = newUser();
        await addOne(userId, { requestId: "used", memory: "original" });
        const err = await store
          .add([draft(userId, { memoryId: "first" }), draft(userId, { requestId: "used", memory: "different" })])
          .catch((e) => e);
        expect(err).toBeInstanceOf(RequestIdReusedError);
        expect(err.index).toBe(1);
        await expect(store.get(userId, "first")).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("get", () => {
      it("fails with NotFoundError for an unknown id", async () => {
        const err = await store.get(newUser(), "nope").catch((e) => e);
        expect(err).toBeInstanceOf(NotFoundError);
      });

      it("does not return another user's memory", async () => {
        const record = await addOne(newUser());
        await expect(store.get(newUser(), record.memoryId)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("list", () => {
      it("returns an empty last page for a user without memories", async () => {
        const page = await store.list({ userId: newUser(), direction: "newest", pageSize: 10, anyTopics: [], after: undefined });
        expect(page).toEqual({ memories: [], next: undefined });
      });

      for (const direction of ["newest", "oldest"] as const) {
        it(`pages through every memory exactly once, ${direction} first by create time`, async () => {
          const userId = newUser();
          const records = await addMany(userId, 23);
          await addMany(newUser(), 5); // another user's memories never show up
          const pages = await listAll(userId, direction, 5);
          expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
          expect(ids(pages.flat())).toEqual(ids([...records].sort(byKey((m) => m.createTime, direction))));
        });
      }

      it("ends without an empty extra page when the last page is exactly full", async () => {
        const userId = newUser();
        await addMany(userId, 4);
        const pages = await listAll(userId, "newest", 2);
        expect(pages.map((p) => p.length)).toEqual([2, 2]);
      });

      it("keeps later pages stable when memories are added or deleted while paging", async () => {
        const userId = newUser();
        const records = await addMany(userId, 6);
        const expected = ids([...records].sort(byKey((m) => m.createTime, "newest")));
        const first = await store.list({ userId, direction: "newest", pageSize: 3, anyTopics: [], after: undefined });
        await addOne(userId, { memory: "added while paging" });
        await store.delete({ userId, memoryId: expected[0]!, allowMissing: false });
        const second = await store.list({ userId, direction: "newest", pageSize: 3, anyTopics: [], after: first.next });
        expect(ids(second.memories)).toEqual(expected.slice(3));
        expect(second.next).toBeUndefined();
      });

      it("filters by any of the given topics", async () => {
        const userId = newUser();
        const records = await addMany(userId, 9, (i) => ({ topics: [["ui"], ["food"], ["ui", "work"]][i % 3]! }));
        const pages = await listAll(userId, "oldest", 2, ["work", "food"]);
        const expected = records.filter((r) => r.topics.includes("work") || r.topics.includes("food"));
        expect(ids(pages.flat())).toEqual(ids(expected.sort(byKey((m) => m.createTime, "oldest"))));
      });
    });

    describe("search", () => {
      it("orders by update time: newest first for last_n, oldest first for first_n", async () => {
        const userId = newUser();
        const records = await addMany(userId, 5);
        const bumped = await store.replace({ ...records[1]!, memory: "replaced", etag: undefined, allowMissing: false });
        const current = records.map((r) => (r.memoryId === bumped.memoryId ? bumped : r));
        const last = await firstMatches({ userId, direction: "newest", limit: 3, text: "", anyTopics: [] });
        expect(ids(last)).toEqual(ids([...current].sort(byKey((m) => m.updateTime, "newest")).slice(0, 3)));
        expect(last[0]!.memoryId).toBe(bumped.memoryId);
        const first = await firstMatches({ userId, direction: "oldest", limit: 10, text: "", anyTopics: [] });
        expect(ids(first)).toEqual(ids([...current].sort(byKey((m) => m.updateTime, "oldest"))));
      });

      it("matches text case-insensitively, including beyond ASCII", async () => {
        const userId = newUser();
        const [tea, school, _other] = await store.add([
          draft(userId, { memory: "Likes Green TEA in the morning" }),
          draft(userId, { memory: "Went to an ÉCOLE in Zürich" }),
          draft(userId, { memory: "Drives a bike" }),
        ]);
        expect(ids(await firstMatches({ userId, direction: "newest", limit: 10, text: "green tea", anyTopics: [] }))).toEqual([tea!.memoryId]);
        expect(ids(await firstMatches({ userId, direction: "newest", limit: 10, text: "école", anyTopics: [] }))).toEqual([school!.memoryId]);
        expect(ids(await firstMatches({ userId, direction: "newest", limit: 10, text: "ZÜRICH", anyTopics: [] }))).toEqual([school!.memoryId]);
        expect(await firstMatches({ userId, direction: "newest", limit: 10, text: "coffee", anyTopics: [] })).toEqual([]);
      });

      it("treats LIKE and regex metacharacters in the query literally", async () => {
        const userId = newUser();
        const [percent] = await store.add([
          draft(userId, { memory: "is 100% sure" }),
          draft(userId, { memory: "is 1000 sure" }),
          draft(userId, { memory: "snake_case fan" }),
          draft(userId, { memory: "snakeXcase fan" }),
          draft(userId, { memory: "a.b*c(d)[e]^$|?+\\" }),
        ]);
        const search = (text: string) => firstMatches({ userId, direction: "oldest", limit: 10, text, anyTopics: [] });
        expect(ids(await search("0%"))).toEqual([percent!.memoryId]);
        expect((await search("e_c")).map((m) => m.memory)).toEqual(["snake_case fan"]);
        expect((await search(".b*c(d)[e]^$|?+\\")).map((m) => m.memory)).toEqual(["a.b*c(d)[e]^$|?+\\"]);
        expect(await search("%")).toHaveLength(1);
      });

      it("finds rare matches deep in a long history, in order, and frequent ones among the newest", async () => {
        const userId = newUser();
        const memories = Array.from({ length: 700 }, (_, i) => draft(userId, { memory: `entry ${i} ${i === 3 || i === 650 ? "Quetzalcoatl" : "plain"}` }));
        const created = [...(await store.add(memories.slice(0, 500))), ...(await store.add(memories.slice(500)))];
        const rare = await firstMatches({ userId, direction: "newest", limit: 10, text: "quetzal", anyTopics: [] });
        expect(rare.map((m) => m.memory)).toEqual(["entry 650 Quetzalcoatl", "entry 3 Quetzalcoatl"]);
        const oldestFirst = await firstMatches({ userId, direction: "oldest", limit: 1, text: "QUETZAL", anyTopics: [] });
        expect(oldestFirst.map((m) => m.memory)).toEqual(["entry 3 Quetzalcoatl"]);
        const frequent = await firstMatches({ userId, direction: "newest", limit: 3, text: "plain", anyTopics: [] });
        expect(ids(frequent)).toEqual(ids([...created].sort(byKey((m) => m.updateTime, "newest")).filter((m) => m.memory.endsWith("plain")).slice(0, 3)));
      });

      it("combines text, topics and limit, and never returns other users' memories", async () => {
        const userId = newUser();
        await addMany(newUser(), 3, () => ({ memory: "tea lover", topics: ["food"] }));
        const mine = await addMany(userId, 6, (i) => ({ memory: i % 2 ? "tea lover" : "coffee lover", topics: i < 3 ? ["food"] : ["drinks"] }));
        const found = await firstMatches({ userId, direction: "newest", limit: 10, text: "TEA", anyTopics: ["drinks"] });
        const expected = mine.filter((m) => m.memory === "tea lover" && m.topics.includes("drinks"));
        expect(ids(found)).toEqual(ids(expected.sort(byKey((m) => m.updateTime, "newest"))));
        expect(await firstMatches({ userId, direction: "newest", limit: 2, text: "lover", anyTopics: [] })).toHaveLength(2);
      });
    });

    describe("replace", () => {
      it("replaces content, keeps id and create time, moves update time and etag", async () => {
        const original = await addOne(newUser(), { input: "old input", topics: ["a"] });
        const replaced = await store.replace({
          userId: original.userId,
          memoryId: original.memoryId,
          memory: "new text",
          topics: ["b", "c"],
          allowMissing: false,
        });
        expect(replaced).toMatchObject({ memoryId: original.memoryId, memory: "new text", topics: ["b", "c"], input: undefined });
        expect(replaced.createTime).toBe(original.createTime);
        expect(replaced.updateTime).toBeGreaterThan(original.updateTime);
        expect(replaced.etag).not.toBe(original.etag);
        expect(await store.get(original.userId, original.memoryId)).toEqual(replaced);
      });

      it("fails with NotFoundError for a missing memory, also another user's", async () => {
        const other = await addOne(newUser());
        const userId = newUser();
        const replacement = { userId, memoryId: other.memoryId, memory: "x", topics: [], allowMissing: false };
        await expect(store.replace(replacement)).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.get(other.userId, other.memoryId)).toEqual(other);
      });

      it("creates the memory with allowMissing (upsert)", async () => {
        const userId = newUser();
        const created = await store.replace({ userId, memoryId: "upserted", memory: "v1", topics: ["t"], allowMissing: true });
        expect(created.createTime).toBe(created.updateTime);
        expect(await store.get(userId, "upserted")).toEqual(created);
        const updated = await store.replace({ userId, memoryId: "upserted", memory: "v2", topics: [], allowMissing: true });
        expect(updated.createTime).toBe(created.createTime);
        expect((await store.get(userId, "upserted")).memory).toBe("v2");
      });

      it("writes only when the etag still matches", async () => {
        const original = await addOne(newUser());
        const base = { userId: original.userId, memoryId: original.memoryId, topics: [], allowMissing: false };
        const winner = await store.replace({ ...base, memory: "winner", etag: original.etag });
        const err = await store.replace({ ...base, memory: "loser", etag: original.etag }).catch((e) => e);
        expect(err).toBeInstanceOf(EtagMismatchError);
        expect(await store.get(original.userId, original.memoryId)).toEqual(winner);
      });

      it("fails with EtagMismatchError for an etag on a missing memory even with allowMissing", async () => {
        const userId = newUser();
        const replacement = { userId, memoryId: "ghost", memory: "x", topics: [], etag: "stale", allowMissing: true };
        await expect(store.replace(replacement)).rejects.toBeInstanceOf(EtagMismatchError);
        await expect(store.get(userId, "ghost")).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("delete", () => {
      it("deletes one memory of the user", async () => {
        const userId = newUser();
        const [keep, drop] = await addMany(userId, 2);
        await store.delete({ userId, memoryId: drop!.memoryId, allowMissing: false });
        await expect(store.get(userId, drop!.memoryId)).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.get(userId, keep!.memoryId)).toEqual(keep);
      });

      it("fails with NotFoundError for a missing memory unless allowMissing", async () => {
        const userId = newUser();
        await expect(store.delete({ userId, memoryId: "nope", allowMissing: false })).rejects.toBeInstanceOf(NotFoundError);
        await store.delete({ userId, memoryId: "nope", allowMissing: true });
      });

      it("never deletes another user's memory", async () => {
        const other = await addOne(newUser());
        await expect(store.delete({ userId: newUser(), memoryId: other.memoryId, allowMissing: false })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        expect(await store.get(other.userId, other.memoryId)).toEqual(other);
      });

      it("deletes only when the etag still matches", async () => {
        const record = await addOne(newUser());
        const { userId, memoryId } = record;
        await expect(store.delete({ userId, memoryId, etag: "stale", allowMissing: false })).rejects.toBeInstanceOf(EtagMismatchError);
        expect(await store.get(userId, memoryId)).toEqual(record);
        await store.delete({ userId, memoryId, etag: record.etag, allowMissing: false });
        await expect(store.get(userId, memoryId)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("clear", () => {
      it("deletes every memory of one user and nobody else's", async () => {
        const [alice, bob] = [newUser(), newUser()];
        await addMany(alice, 4);
        const bobs = await addMany(bob, 2);
        expect(await store.clear({ userId: alice })).toBe(4);
        expect((await store.list({ userId: alice, direction: "newest", pageSize: 10, anyTopics: [], after: undefined })).memories).toEqual([]);
        for (const record of bobs) expect(await store.get(bob, record.memoryId)).toEqual(record);
        expect(await store.clear({ userId: alice })).toBe(0);
      });

      it("deletes every user's memories only when asked for all users", async () => {
        const users = [newUser(), newUser()];
        for (const userId of users) await addMany(userId, 2);
        expect(await store.clear({ allUsers: true })).toBeGreaterThanOrEqual(4);
        for (const userId of users) {
          expect((await store.list({ userId, direction: "newest", pageSize: 10, anyTopics: [], after: undefined })).memories).toEqual([]);
        }
      });
    });

    it("imports records with their own ids and times, skipping those that exist, so a rerun changes nothing", async () => {
      const userId = newUser();
      const existing = await addOne(userId, { memoryId: "already-here", memory: "keep me" });
      const imported: MemoryRecord[] = [
        { userId, memoryId: "agno-1", memory: "from Agno", topics: ["a"], input: "said so", createTime: 1_700_000_000_000_000, updateTime: 1_700_000_100_000_000, etag: "" },
        { userId, memoryId: "agno-2", memory: "older", topics: [], input: undefined, createTime: 1_600_000_000_000_000, updateTime: 1_600_000_000_000_000, etag: "" },
        { ...existing, memory: "would overwrite", etag: "" },
      ];
      expect(await store.importMemories(imported)).toBe(2);
      expect(await store.importMemories(imported)).toBe(0);
      const first = await store.get(userId, "agno-1");
      expect(first).toMatchObject({ memory: "from Agno", topics: ["a"], input: "said so", createTime: 1_700_000_000_000_000, updateTime: 1_700_000_100_000_000 });
      expect(first.etag).not.toBe("");
      expect(await store.get(userId, "already-here")).toEqual(existing);
      const oldestFirst = await store.list({ userId, direction: "oldest", pageSize: 10, anyTopics: [], after: undefined });
      expect(ids(oldestFirst.memories)).toEqual(["agno-2", "agno-1", "already-here"]);
    });

    it("starts no operation whose deadline has passed", async () => {
      const userId = newUser();
      const existing = await addOne(userId);
      const past = { deadline: Date.now() - 1 };
      const key = { userId, memoryId: existing.memoryId };
      const operations = [
        () => store.add([draft(userId, { memoryId: "late" })], past),
        () => store.get(userId, existing.memoryId, past),
        () => store.list({ userId, direction: "newest", pageSize: 10, anyTopics: [], after: undefined }, past),
        () => firstMatches({ userId, direction: "newest", limit: 10, text: "", anyTopics: [] }, past),
        () => store.replace({ ...key, memory: "late", topics: [], allowMissing: false }, past),
        () => store.delete({ ...key, allowMissing: false }, past),
        () => store.clear({ userId }, past),
        () => store.ping(past),
      ];
      for (const operation of operations) await expect(operation()).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(await store.get(userId, existing.memoryId)).toEqual(existing);
      await expect(store.get(userId, "late")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("completes every operation within a generous deadline", async () => {
      const userId = newUser();
      const soon = { deadline: Date.now() + 10_000 };
      const [created] = await store.add([draft(userId), draft(userId)], soon);
      const key = { userId, memoryId: created!.memoryId };
      expect(await store.get(userId, created!.memoryId, soon)).toEqual(created);
      expect((await store.list({ userId, direction: "newest", pageSize: 10, anyTopics: [], after: undefined }, soon)).memories).toHaveLength(2);
      expect(await firstMatches({ userId, direction: "newest", limit: 10, text: "tea", anyTopics: [] }, soon)).toHaveLength(2);
      const replaced = await store.replace({ ...key, memory: "coffee", topics: [], etag: created!.etag, allowMissing: false }, soon);
      await store.delete({ ...key, etag: replaced.etag, allowMissing: false }, soon);
      expect(await store.clear({ userId }, soon)).toBe(1);
      await store.ping(soon);
    });

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
