import { describe, expect, it } from "vitest";
import { EtagMismatchError, NotFoundError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** delete: conditional deletes. */
export function describeDelete(t: Conformance): void {
  describe("delete", () => {
    it("deletes one memory of the user", async () => {
      const userId = t.newUser();
      const [keep, drop] = await t.addMany(userId, 2);
      await t.store.delete({ userId, memoryId: drop!.memoryId, allowMissing: false });
      await expect(t.store.get(userId, drop!.memoryId)).rejects.toBeInstanceOf(NotFoundError);
      expect(await t.store.get(userId, keep!.memoryId)).toEqual(keep);
    });

    it("fails with NotFoundError for a missing memory unless allowMissing", async () => {
      const userId = t.newUser();
      await expect(t.store.delete({ userId, memoryId: "nope", allowMissing: false })).rejects.toBeInstanceOf(NotFoundError);
      await t.store.delete({ userId, memoryId: "nope", allowMissing: true });
    });

    it("never deletes another user's memory", async () => {
      const other = await t.addOne(t.newUser());
      await expect(t.store.delete({ userId: t.newUser(), memoryId: other.memoryId, allowMissing: false })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect(await t.store.get(other.userId, other.memoryId)).toEqual(other);
    });

    it("deletes only when the etag still matches", async () => {
      const record = await t.addOne(t.newUser());
      const { userId, memoryId } = record;
      await expect(t.store.delete({ userId, memoryId, etag: "stale", allowMissing: false })).rejects.toBeInstanceOf(EtagMismatchError);
      expect(await t.store.get(userId, memoryId)).toEqual(record);
      await t.store.delete({ userId, memoryId, etag: record.etag, allowMissing: false });
      await expect(t.store.get(userId, memoryId)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
