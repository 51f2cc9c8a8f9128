import { describe, expect, it } from "vitest";
import { AlreadyExistsError, NotFoundError } from "../../src/storage/errors.js";
import { type Conformance, ids } from "./context.js";

/** consolidate: some of a user's memories replaced by new ones (memory optimisation), all or nothing. */
export function describeConsolidate(t: Conformance): void {
  describe("consolidate", () => {
    it("deletes the given memories and creates the new ones, touching nothing else, not another user's same ids", async () => {
      const [userId, other] = [t.newUser(), t.newUser()];
      await t.addMany(userId, 4, (i) => ({ memoryId: `m${i}` }));
      const others = await t.addMany(other, 2, (i) => ({ memoryId: `m${i}` }));
      const summary = t.draft(userId, { memoryId: "summary", memory: "memory 0 and memory 1, in short", topics: ["a", "b"] });
      const { records, deleted } = await t.store.consolidate({ userId, memoryIds: ["m0", "m1"], memories: [summary], allowMissing: false });
      expect(deleted).toBe(2);
      expect(records).toMatchObject([{ userId, memoryId: "summary", memory: summary.memory, topics: ["a", "b"] }]);
      expect(await t.store.get(userId, "summary")).toEqual(records[0]);
      expect(ids((await t.store.list(t.query(userId, { direction: "oldest" }))).memories)).toEqual(["m2", "m3", "summary"]);
      for (const record of others) expect(await t.store.get(other, record.memoryId)).toEqual(record);
    });

    it("generates ids for new memories without one, and may create none", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 2, (i) => ({ memoryId: `m${i}` }));
      const { records } = await t.store.consolidate({ userId, memoryIds: ["m0"], memories: [t.draft(userId)], allowMissing: false });
      expect(records[0]!.memoryId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await t.store.consolidate({ userId, memoryIds: ["m1"], memories: [], allowMissing: false })).toEqual({
        records: [],
        deleted: 1,
      });
      expect(ids((await t.store.list(t.query(userId))).memories)).toEqual([records[0]!.memoryId]);
    });

    it("changes nothing when a memory to delete is missing, unless allowMissing", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 2, (i) => ({ memoryId: `m${i}` }));
      const memories = [t.draft(userId, { memoryId: "new" })];
      const err = await t.store.consolidate({ userId, memoryIds: ["m0", "gone"], memories, allowMissing: false }).catch((e) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ userId, memoryId: "gone" });
      expect(ids((await t.store.list(t.query(userId, { direction: "oldest" }))).memories)).toEqual(["m0", "m1"]);
      const done = await t.store.consolidate({ userId, memoryIds: ["m0", "gone"], memories, allowMissing: true });
      expect(done.deleted).toBe(1);
      expect(ids((await t.store.list(t.query(userId, { direction: "oldest" }))).memories)).toEqual(["m1", "new"]);
    });

    it("deletes nothing when a new memory cannot be created", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 3, (i) => ({ memoryId: `m${i}` }));
      const memories = [t.draft(userId, { memoryId: "fresh" }), t.draft(userId, { memoryId: "m2" })];
      const err = await t.store.consolidate({ userId, memoryIds: ["m0", "m1"], memories, allowMissing: false }).catch((e) => e);
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect(err).toMatchObject({ memoryId: "m2", index: 1 });
      expect(ids((await t.store.list(t.query(userId, { direction: "oldest" }))).memories)).toEqual(["m0", "m1", "m2"]);
    });
  });
}
