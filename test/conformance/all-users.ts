import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { MemoryRecord } from "../../src/storage/store.js";
import { type Conformance, ids } from "./context.js";

/**
 * Listings across users (AgentOS's memory pages) and the memory-id filter
 * (Agno's reads and deletes by id alone). The store is shared with other
 * cases, so each case narrows to an agent id of its own.
 */
export function describeAllUsers(t: Conformance): void {
  describe("all users", () => {
    const key = (m: MemoryRecord) => `${m.userId}/${m.memoryId}`;

    it("lists every user's memories in time order, ties broken by memory id then user id, pages neither skipping nor repeating", async () => {
      const agentId = `agent-${randomUUID()}`;
      const users = [t.newUser(), t.newUser(), t.newUser()].sort();
      // Imported with one time and one id for every user: only the user id can order them.
      const time = 1_700_000_000_000_000;
      const same = users.map(
        (userId): MemoryRecord => ({
          userId,
          memoryId: "shared",
          memory: `same time for ${userId}`,
          topics: [],
          labels: {},
          agentId,
          createTime: time,
          updateTime: time,
          etag: "",
        }),
      );
      await t.store.importMemories(same, "skip");
      for (const userId of users) await t.addMany(userId, 2, (i) => ({ memoryId: `m${i}`, agentId }));
      const query = t.query(users[0]!, { userId: undefined, direction: "oldest", pageSize: 1, filter: { agentId } });
      const pages = await t.listAll(query);
      const listed = pages.flat();
      expect(listed).toHaveLength(9);
      expect(new Set(listed.map(key)).size).toBe(9);
      expect(listed.slice(0, 3).map((m) => m.userId)).toEqual(users);
      for (let i = 1; i < listed.length; i++) expect(listed[i]!.createTime).toBeGreaterThanOrEqual(listed[i - 1]!.createTime);
      const newest = (await t.listAll({ ...query, direction: "newest" })).flat();
      expect(newest.map(key)).toEqual(listed.map(key).reverse());
    });

    it("counts, skips and searches across users", async () => {
      const agentId = `agent-${randomUUID()}`;
      const [a, b] = [t.newUser(), t.newUser()];
      await t.addMany(a, 3, (i) => ({ agentId, memory: i === 0 ? "likes Quokkas" : `plain ${i}` }));
      await t.addMany(b, 2, (i) => ({ agentId, memory: i === 0 ? "a quokka fan" : `plain ${i}` }));
      const all = t.query(a, { userId: undefined, filter: { agentId }, withTotal: true, pageSize: 2, skip: 1 });
      const page = await t.store.list(all);
      expect(page.total).toBe(5);
      expect(page.memories).toHaveLength(2);
      const found = await t.store.list(t.search(a, "QUOKKA", { userId: undefined, filter: { agentId }, withTotal: true }));
      expect(found.memories.map((m) => m.userId).sort()).toEqual([a, b].sort());
      expect(found.total).toBe(2);
    });

    it("filters by memory id, within one user or across users, never returning an expired memory", async () => {
      const agentId = `agent-${randomUUID()}`;
      const [a, b] = [t.newUser(), t.newUser()];
      await t.addMany(a, 3, (i) => ({ memoryId: `m${i}`, agentId }));
      await t.addMany(b, 2, (i) => ({ memoryId: `m${i}`, agentId }));
      await t.addOne(b, { memoryId: "gone", agentId, expireTime: 1 });
      const mine = await t.store.list(t.query(a, { direction: "oldest", filter: { memoryIds: ["m2", "m0", "absent"] } }));
      expect(ids(mine.memories)).toEqual(["m0", "m2"]);
      const everyone = await t.store.list(
        t.query(a, { userId: undefined, filter: { agentId, memoryIds: ["m1", "gone"] }, withTotal: true }),
      );
      expect(everyone.memories.map(key).sort()).toEqual([`${a}/m1`, `${b}/m1`].sort());
      expect(everyone.total).toBe(2);
    });
  });
}
