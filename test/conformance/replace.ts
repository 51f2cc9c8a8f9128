import { describe, expect, it } from "vitest";
import { EtagMismatchError, NotFoundError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** replace: full replacement, conditional writes and upserts. */
export function describeReplace(t: Conformance): void {
  describe("replace", () => {
    it("replaces every content field, keeps id and create time, moves update time and etag", async () => {
      const original = await t.addOne(t.newUser(), {
        input: "old input",
        topics: ["a"],
        agentId: "agent",
        teamId: "team",
        feedback: "fine",
        labels: { source: "chat" },
        expireTime: Date.now() * 1000 + 3_600_000_000,
      });
      const replaced = await t.store.replace(t.replacement(original, { memory: "new text", topics: ["b", "c"], labels: { k: "v" } }));
      expect(replaced).toMatchObject({
        memoryId: original.memoryId,
        memory: "new text",
        topics: ["b", "c"],
        labels: { k: "v" },
        input: undefined,
        agentId: undefined,
        teamId: undefined,
        feedback: undefined,
        expireTime: undefined,
      });
      expect(replaced.createTime).toBe(original.createTime);
      expect(replaced.updateTime).toBeGreaterThan(original.updateTime);
      expect(replaced.etag).not.toBe(original.etag);
      expect(await t.store.get(original.userId, original.memoryId)).toEqual(replaced);
    });

    it("fails with NotFoundError for a missing memory, also another user's", async () => {
      const other = await t.addOne(t.newUser());
      const replacement = t.replacement({ userId: t.newUser(), memoryId: other.memoryId }, { memory: "x" });
      await expect(t.store.replace(replacement)).rejects.toBeInstanceOf(NotFoundError);
      expect(await t.store.get(other.userId, other.memoryId)).toEqual(other);
    });

    it("creates the memory with allowMissing (upsert)", async () => {
      const userId = t.newUser();
      const key = { userId, memoryId: "upserted" };
      const created = await t.store.replace(t.replacement(key, { memory: "v1", topics: ["t"], agentId: "a", allowMissing: true }));
      expect(created.createTime).toBe(created.updateTime);
      expect(await t.store.get(userId, "upserted")).toEqual(created);
      const updated = await t.store.replace(t.replacement(key, { memory: "v2", allowMissing: true }));
      expect(updated.createTime).toBe(created.createTime);
      expect(await t.store.get(userId, "upserted")).toMatchObject({ memory: "v2", agentId: undefined });
    });

    it("writes only when the etag still matches", async () => {
      const original = await t.addOne(t.newUser());
      const winner = await t.store.replace(t.replacement(original, { memory: "winner", etag: original.etag }));
      const err = await t.store.replace(t.replacement(original, { memory: "loser", etag: original.etag })).catch((e) => e);
      expect(err).toBeInstanceOf(EtagMismatchError);
      expect(await t.store.get(original.userId, original.memoryId)).toEqual(winner);
    });

    it("fails with EtagMismatchError for an etag on a missing memory even with allowMissing", async () => {
      const userId = t.newUser();
      const replacement = t.replacement({ userId, memoryId: "ghost" }, { memory: "x", etag: "stale", allowMissing: true });
      await expect(t.store.replace(replacement)).rejects.toBeInstanceOf(EtagMismatchError);
      await expect(t.store.get(userId, "ghost")).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
