import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/storage/errors.js";
import { type Conformance, ids } from "./context.js";

/** deleteMany: several memories of one user, all or none. */
export function describeBatchDelete(t: Conformance): void {
  describe("batch delete", () => {
    it("deletes the given memories of the user and nothing else, also not another user's with the same ids", async () => {
      const [userId, other] = [t.newUser(), t.newUser()];
      const records = await t.addMany(userId, 5, (i) => ({ memoryId: `m${i}` }));
      const others = await t.addMany(other, 2, (i) => ({ memoryId: `m${i}` }));
      expect(await t.store.deleteMany({ userId, memoryIds: ["m1", "m3"], allowMissing: false })).toBe(2);
      expect(ids((await t.store.list(t.query(userId, { direction: "oldest" }))).memories)).toEqual(["m0", "m2", "m4"]);
      for (const record of others) expect(await t.store.get(other, record.memoryId)).toEqual(record);
      expect(records).toHaveLength(5);
    });

    it("deletes none when one is missing, naming it, unless allowMissing", async () => {
      const userId = t.newUser();
      await t.addMany(userId, 3, (i) => ({ memoryId: `m${i}` }));
      const err = await t.store.deleteMany({ userId, memoryIds: ["m0", "gone", "m2", "also-gone"], allowMissing: false }).catch((e) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ userId, memoryId: "gone" });
      expect(ids((await t.store.list(t.query(userId, { direction: "oldest" }))).memories)).toEqual(["m0", "m1", "m2"]);
      expect(await t.store.deleteMany({ userId, memoryIds: ["m0", "gone", "m2"], allowMissing: true })).toBe(2);
      expect(ids((await t.store.list(t.query(userId))).memories)).toEqual(["m1"]);
    });
  });
}
