import { describe, expect, it } from "vitest";
import type { Conformance } from "./context.js";

/** clear: one user or all. */
export function describeClear(t: Conformance): void {
  describe("clear", () => {
    it("deletes every memory of one user and nobody else's", async () => {
      const [alice, bob] = [t.newUser(), t.newUser()];
      await t.addMany(alice, 4);
      const bobs = await t.addMany(bob, 2);
      expect(await t.store.clear({ userId: alice })).toBe(4);
      expect((await t.store.list(t.query(alice))).memories).toEqual([]);
      for (const record of bobs) expect(await t.store.get(bob, record.memoryId)).toEqual(record);
      expect(await t.store.clear({ userId: alice })).toBe(0);
    });

    it("counts each memory once among concurrent clears of the same user", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 30);
      const counts = await Promise.all(Array.from({ length: 4 }, () => t.store.clear({ userId })));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    });

    it("deletes every user's memories only when asked for all users", async () => {
      const users = [t.newUser(), t.newUser()];
      for (const userId of users) await t.addMany(userId, 2);
      expect(await t.store.clear({ allUsers: true })).toBeGreaterThanOrEqual(4);
      for (const userId of users) {
        expect((await t.store.list(t.query(userId, { pageSize: 10 }))).memories).toEqual([]);
      }
    });
  });
}
