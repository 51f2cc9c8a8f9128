import { describe, expect, it } from "vitest";
import type { UserStats, UserStatsCursor } from "../../src/storage/store.js";
import type { Conformance } from "./context.js";

/** listUserStats: how many memories each user has and when they last changed, most recently updated user first. */
export function describeUserStats(t: Conformance): void {
  describe("user stats", () => {
    it("counts one user's memories and takes their latest update, through every kind of write", async () => {
      const userId = t.newUser();
      const stats = async () => await t.store.listUserStats({ userId, pageSize: 10, skip: 0, after: undefined, withTotal: true });
      expect(await stats()).toEqual({ users: [], next: undefined, total: 0 });
      const [a, b] = await t.addMany(userId, 2);
      expect((await stats()).users).toEqual([{ userId, memoryCount: 2, lastUpdateTime: b!.updateTime }]);
      const replaced = await t.store.replace(t.replacement(a!));
      expect((await stats()).users).toEqual([{ userId, memoryCount: 2, lastUpdateTime: replaced.updateTime }]);
      // Deleting the newest: the latest update falls back to the next one.
      await t.store.delete({ userId, memoryId: a!.memoryId, allowMissing: false });
      expect((await stats()).users).toEqual([{ userId, memoryCount: 1, lastUpdateTime: b!.updateTime }]);
      await t.store.importMemories([{ ...b!, memoryId: "imported", createTime: 1_000_000, updateTime: 2_000_000, etag: "" }], "skip");
      expect((await stats()).users).toEqual([{ userId, memoryCount: 2, lastUpdateTime: b!.updateTime }]);
      await t.store.clear({ userId });
      expect(await stats()).toEqual({ users: [], next: undefined, total: 0 });
    });

    it("lists users by latest update, newest first, in pages and with skips, and counts them", async () => {
      const users = [t.newUser(), t.newUser(), t.newUser()];
      // Far in the future relative to other tests' users, so that these come first.
      const base = Date.now() * 1000 - 1_000_000;
      for (const [i, userId] of users.entries()) {
        const times = { createTime: base + i, updateTime: base + i };
        await t.store.importMemories(
          Array.from({ length: i + 1 }, (_, k) => ({ ...t.draft(userId), memoryId: `m${k}`, ...times, etag: "" })),
          "skip",
        );
        await t.addOne(userId); // now: the three users' latest updates are in the order of these adds
      }
      const seen: UserStats[] = [];
      let after: UserStatsCursor | undefined;
      do {
        const page = await t.store.listUserStats({ userId: undefined, pageSize: 2, skip: 0, after, withTotal: false });
        seen.push(...page.users);
        after = page.next;
      } while (after && seen.length < 10_000);
      const mine = seen.filter((s) => users.includes(s.userId));
      expect(mine.map((s) => [s.userId, s.memoryCount])).toEqual([
        [users[2], 4],
        [users[1], 3],
        [users[0], 2],
      ]);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.lastUpdateTime).toBeLessThanOrEqual(seen[i - 1]!.lastUpdateTime);
      const all = await t.store.listUserStats({ userId: undefined, pageSize: 1, skip: 1, after: undefined, withTotal: true });
      expect(all.users).toEqual([seen[1]]);
      expect(all.total).toBe(seen.length);
    });
  });
}
