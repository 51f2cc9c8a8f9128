import { describe, expect, it } from "vitest";
import { byKey, type Conformance, ids } from "./context.js";

/** list: keyset pages in each order, skips and totals. */
export function describeList(t: Conformance): void {
  describe("list", () => {
    it("returns an empty last page for a user without memories, with a total of 0", async () => {
      const page = await t.store.list(t.query(t.newUser(), { withTotal: true }));
      expect(page).toEqual({ memories: [], next: undefined, total: 0 });
    });

    for (const orderBy of ["createTime", "updateTime"] as const) {
      for (const direction of ["newest", "oldest"] as const) {
        it(`pages through every memory exactly once, ${direction} first by ${orderBy}`, async () => {
          const userId = t.newUser();
          const created = await t.addMany(userId, 23);
          // Replacing some moves their update time, not their create time: the two orders differ.
          const records = [...created];
          for (const i of [2, 11, 5]) records[i] = await t.store.replace(t.replacement(created[i]!, { memory: `replaced ${i}` }));
          await t.addMany(t.newUser(), 5); // another user's memories never show up
          const pages = await t.listAll(t.query(userId, { orderBy, direction, pageSize: 5 }));
          expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
          const time = orderBy === "createTime" ? (m: { createTime: number }) => m.createTime : (m: { updateTime: number }) => m.updateTime;
          expect(ids(pages.flat())).toEqual(ids([...records].sort(byKey(time, direction))));
        });
      }
    }

    it("ends without an empty extra page when the last page is exactly full", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 4);
      const pages = await t.listAll(t.query(userId, { pageSize: 2 }));
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
    });

    it("keeps later pages stable when memories are added or deleted while paging", async () => {
      const userId = t.newUser();
      const records = await t.addMany(userId, 6);
      const expected = ids([...records].sort(byKey((m) => m.createTime, "newest")));
      const first = await t.store.list(t.query(userId, { pageSize: 3 }));
      await t.addOne(userId, { memory: "added while paging" });
      await t.store.delete({ userId, memoryId: expected[0]!, allowMissing: false });
      const second = await t.store.list(t.query(userId, { pageSize: 3, after: first.next }));
      expect(ids(second.memories)).toEqual(expected.slice(3));
      expect(second.next).toBeUndefined();
    });

    it("skips matches before the page, from the start or after a page's cursor (page numbers)", async () => {
      const userId = t.newUser();
      const records = await t.addMany(userId, 12, (i) => ({ topics: [i % 2 ? "odd" : "even"] }));
      const oldest = ids(records);
      const page3 = await t.store.list(t.query(userId, { direction: "oldest", pageSize: 3, skip: 6 }));
      expect(ids(page3.memories)).toEqual(oldest.slice(6, 9));
      const after = await t.store.list(t.query(userId, { direction: "oldest", pageSize: 2, skip: 1, after: page3.next }));
      expect(ids(after.memories)).toEqual(oldest.slice(10, 12));
      expect(after.next).toBeUndefined();
      const odd = await t.store.list(t.query(userId, { direction: "oldest", pageSize: 2, skip: 2, filter: { anyTopics: ["odd"] } }));
      expect(ids(odd.memories)).toEqual([oldest[5], oldest[7]]);
      expect((await t.store.list(t.query(userId, { skip: 12 }))).memories).toEqual([]);
    });

    it("counts every match in total, whatever the page, skip or cursor", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 7, (i) => ({ topics: i < 3 ? ["x"] : ["y"], agentId: i === 0 ? "a" : undefined }));
      await t.addMany(t.newUser(), 2);
      const first = await t.store.list(t.query(userId, { pageSize: 2, withTotal: true }));
      expect(first.total).toBe(7);
      expect((await t.store.list(t.query(userId, { pageSize: 2, skip: 3, after: first.next, withTotal: true }))).total).toBe(7);
      expect((await t.store.list(t.query(userId, { withTotal: true, filter: { anyTopics: ["x"] } }))).total).toBe(3);
      expect((await t.store.list(t.query(userId, { withTotal: true, filter: { agentId: "a" } }))).total).toBe(1);
      expect((await t.store.list(t.search(userId, "memory 1", { withTotal: true }))).total).toBe(1);
      expect((await t.store.list(t.query(userId))).total).toBeUndefined();
    });
  });
}
