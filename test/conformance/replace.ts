import { describe, expect, it } from "vitest";
import { EtagMismatchError, NotFoundError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** replace: conditional writes and upserts. */
export function describeReplace(t: Conformance): void {
  describe("replace", () => {
    it("replaces content, keeps id and create time, moves update time and etag", async () => {
      const original = await t.addOne(t.newUser(), { input: "old input", topics: ["a"] });
      const replaced = await t.store.replace({
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
      expect(await t.store.get(original.userId, original.memoryId)).toEqual(replaced);
    });

    it("fails with NotFoundError for a missing memory, also another user's", async () => {
      const other = await t.addOne(t.newUser());
      const userId = t.newUser();
      const replacement = { userId, memoryId: other.memoryId, memory: "x", topics: [], allowMissing: false };
      await expect(t.store.replace(replacement)).rejects.toBeInstanceOf(NotFoundError);
      expect(await t.store.get(other.userId, other.memoryId)).toEqual(other);
    });

    it("creates the memory with allowMissing (upsert)", async () => {
      const userId = t.newUser();
      const created = await t.store.replace({ userId, memoryId: "upserted", memory: "v1", topics: ["t"], allowMissing: true });
      expect(created.createTime).toBe(created.updateTime);
      expect(await t.store.get(userId, "upserted")).toEqual(created);
      const updated = await t.store.replace({ userId, memoryId: "upserted", memory: "v2", topics: [], allowMissing: true });
      expect(updated.createTime).toBe(created.createTime);
      expect((await t.store.get(userId, "upserted")).memory).toBe("v2");
    });

    it("writes only when the etag still matches", async () => {
      const original = await t.addOne(t.newUser());
      const base = { userId: original.userId, memoryId: original.memoryId, topics: [], allowMissing: false };
      const winner = await t.store.replace({ ...base, memory: "winner", etag: original.etag });
      const err = await t.store.replace({ ...base, memory: "loser", etag: original.etag }).catch((e) => e);
      expect(err).toBeInstanceOf(EtagMismatchError);
      expect(await t.store.get(original.userId, original.memoryId)).toEqual(winner);
    });

    it("fails with EtagMismatchError for an etag on a missing memory even with allowMissing", async () => {
      const userId = t.newUser();
      const replacement = { userId, memoryId: "ghost", memory: "x", topics: [], etag: "stale", allowMissing: true };
      await expect(t.store.replace(replacement)).rejects.toBeInstanceOf(EtagMismatchError);
      await expect(t.store.get(userId, "ghost")).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
