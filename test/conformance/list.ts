import { describe, expect, it } from "vitest";
import { byKey, type Conformance, ids } from "./context.js";

/** list: keyset pages by create time. */
export function describeList(t: Conformance): void {
  describe("list", () => {
    it("returns an empty last page for a user without memories", async () => {
      const page = await t.store.list({ userId: t.newUser(), direction: "newest", pageSize: 10, anyTopics: [], after: undefined });
      expect(page).toEqual({ memories: [], next: undefined });
    });

    for (const direction of ["newest", "oldest"] as const) {
      it(`pages through every memory exactly once, ${direction} first by create time`, async () => {
        const userId = t.newUser();
        const records = await t.addMany(userId, 23);
        await t.addMany(t.newUser(), 5); // another user's memories never show up
        const pages = await t.listAll(userId, direction, 5);
        expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
        expect(ids(pages.flat())).toEqual(ids([...records].sort(byKey((m) => m.createTime, direction))));
      });
    }

    it("ends without an empty extra page when the last page is exactly full", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 4);
      const pages = await t.listAll(userId, "newest", 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
    });

    it("keeps later pages stable when memories are added or deleted while paging", async () => {
      const userId = t.newUser();
      const records = await t.addMany(userId, 6);
      const expected = ids([...records].sort(byKey((m) => m.createTime, "newest")));
      const first = await t.store.list({ userId, direction: "newest", pageSize: 3, anyTopics: [], after: undefined });
      await t.addOne(userId, { memory: "added while paging" });
      await t.store.delete({ userId, memoryId: expected[0]!, allowMissing: false });
      const second = await t.store.list({ userId, direction: "newest", pageSize: 3, anyTopics: [], after: first.next });
      expect(ids(second.memories)).toEqual(expected.slice(3));
      expect(second.next).toBeUndefined();
    });

    it("filters by any of the given topics", async () => {
      const userId = t.newUser();
      const records = await t.addMany(userId, 9, (i) => ({ topics: [["ui"], ["food"], ["ui", "work"]][i % 3]! }));
      const pages = await t.listAll(userId, "oldest", 2, ["work", "food"]);
      const expected = records.filter((r) => r.topics.includes("work") || r.topics.includes("food"));
      expect(ids(pages.flat())).toEqual(ids(expected.sort(byKey((m) => m.createTime, "oldest"))));
    });
  });
}
