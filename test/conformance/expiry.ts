import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/storage/errors.js";
import { type Conformance, ids } from "./context.js";

/** Expiry: an expired memory is missing to every method, as if deleted, until it is removed. */
export function describeExpiry(t: Conformance): void {
  describe("expiry", () => {
    const now = () => Date.now() * 1000;
    const past = () => now() - 1_000_000;
    const future = () => now() + 3_600_000_000;

    it("hides an expired memory from get, list, search, totals, topics and statistics, unless a listing asks for it", async () => {
      const userId = t.newUser();
      const live = await t.addOne(userId, { memoryId: "live", topics: ["kept"], expireTime: future() });
      const gone = await t.addOne(userId, { memoryId: "gone", topics: ["lost"], expireTime: past() });
      expect(live.expireTime).toBeGreaterThan(now());
      await expect(t.store.get(userId, "gone")).rejects.toBeInstanceOf(NotFoundError);
      expect(await t.store.get(userId, "live")).toEqual(live);
      const listed = await t.store.list(t.query(userId, { withTotal: true }));
      expect([ids(listed.memories), listed.total]).toEqual([["live"], 1]);
      const searched = await t.store.list(t.search(userId, "green", { withTotal: true, filter: { anyTopics: ["lost", "kept"] } }));
      expect([ids(searched.memories), searched.total]).toEqual([["live"], 1]);
      const shown = await t.store.list(t.query(userId, { withTotal: true, filter: { showExpired: true } }));
      expect([ids(shown.memories), shown.total]).toEqual([["gone", "live"], 2]);
      expect((await t.store.listTopics({ userId, pageSize: 10, after: undefined })).topics).toEqual([{ topic: "kept", memoryCount: 1 }]);
      const stats = await t.store.listUserStats({ userId, pageSize: 10, skip: 0, after: undefined, withTotal: true });
      expect(stats).toEqual({ users: [{ userId, memoryCount: 1, lastUpdateTime: live.updateTime }], next: undefined, total: 1 });
      expect(gone.updateTime).toBeGreaterThan(live.updateTime); // the latest update ignores the expired memory
    });

    it("leaves users whose memories all expired out of the statistics", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { expireTime: past() });
      expect(await t.store.listUserStats({ userId, pageSize: 10, skip: 0, after: undefined, withTotal: true })).toEqual({
        users: [],
        next: undefined,
        total: 0,
      });
    });

    it("treats an expired memory as missing to update, replace, delete and batch delete", async () => {
      const userId = t.newUser();
      const gone = await t.addOne(userId, { memoryId: "gone", expireTime: past() });
      await expect(t.store.update({ userId, memoryId: "gone", changes: { topics: [] } })).rejects.toBeInstanceOf(NotFoundError);
      await expect(t.store.replace(t.replacement(gone))).rejects.toBeInstanceOf(NotFoundError);
      await expect(t.store.delete({ userId, memoryId: "gone", allowMissing: false })).rejects.toBeInstanceOf(NotFoundError);
      await t.store.delete({ userId, memoryId: "gone", allowMissing: true });
      await t.addOne(userId, { memoryId: "gone-too", expireTime: past() });
      await expect(t.store.deleteMany({ userId, memoryIds: ["gone-too"], allowMissing: false })).rejects.toBeInstanceOf(NotFoundError);
      expect(await t.store.deleteMany({ userId, memoryIds: ["gone-too"], allowMissing: true })).toBe(0);
    });

    it("lets a new memory take an expired one's id or request id, as if it had been deleted", async () => {
      const userId = t.newUser();
      const gone = await t.addOne(userId, { memoryId: "reused", memory: "old", expireTime: past(), requestId: "req" });
      const fresh = await t.addOne(userId, { memoryId: "reused", memory: "new" });
      expect(fresh.createTime).toBeGreaterThan(gone.createTime);
      expect(await t.store.get(userId, "reused")).toEqual(fresh);
      await t.addOne(userId, { memoryId: "other", memory: "old", expireTime: past(), requestId: "req-2" });
      const retried = await t.addOne(userId, { memoryId: "other-2", memory: "old", requestId: "req-2" });
      expect(retried.memoryId).toBe("other-2");
      const upserted = await t.store.replace(t.replacement({ userId, memoryId: "replaced" }, { allowMissing: true }));
      await t.store.update({ userId, memoryId: "replaced", changes: { expireTime: past() } });
      const reborn = await t.store.replace(t.replacement({ userId, memoryId: "replaced" }, { memory: "reborn", allowMissing: true }));
      expect(reborn.createTime).toBeGreaterThan(upserted.createTime);
      expect(reborn.createTime).toBe(reborn.updateTime);
    });

    it("clears expired memories without counting them", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { expireTime: past() });
      await t.addOne(userId, { expireTime: future() });
      await t.addOne(userId);
      expect(await t.store.clear({ userId })).toBe(2);
      expect((await t.store.list(t.query(userId, { filter: { showExpired: true } }))).memories).toEqual([]);
    });

    it("removes expired memories in bounded passes, and only those", async () => {
      const userId = t.newUser();
      for (let i = 0; i < 5; i++) await t.addOne(userId, { memoryId: `gone-${i}`, expireTime: past() - i });
      await t.addOne(userId, { memoryId: "live", expireTime: future() });
      await t.addOne(userId, { memoryId: "forever" });
      let removed = 0;
      for (let pass = 0; pass < 100; pass++) {
        const n = await t.store.purgeExpired(2);
        expect(n).toBeLessThanOrEqual(2);
        removed += n;
        if (n === 0) break;
      }
      expect(removed).toBeGreaterThanOrEqual(5); // other cases' expired memories go too
      const left = await t.store.list(t.query(userId, { direction: "oldest", filter: { showExpired: true } }));
      expect(ids(left.memories)).toEqual(["live", "forever"]);
    });
  });
}
