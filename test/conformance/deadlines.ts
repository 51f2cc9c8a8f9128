import { describe, expect, it } from "vitest";
import { DeadlineExceededError, NotFoundError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** deadlines and ping. */
export function describeDeadlines(t: Conformance): void {
  describe("deadlines", () => {
    it("starts no operation whose deadline has passed", async () => {
      const userId = t.newUser();
      const existing = await t.addOne(userId);
      const past = { deadline: Date.now() - 1 };
      const key = { userId, memoryId: existing.memoryId };
      const operations = [
        () => t.store.add([t.draft(userId, { memoryId: "late" })], past),
        () => t.store.get(userId, existing.memoryId, past),
        () => t.store.list(t.query(userId, { pageSize: 10 }), past),
        () => t.firstMatches(t.search(userId, "", { pageSize: 10 }), past),
        () => t.store.replace(t.replacement(key, { memory: "late" }), past),
        () => t.store.update({ ...key, changes: { memory: "late" } }, past),
        () => t.store.deleteMany({ userId, memoryIds: [existing.memoryId], allowMissing: false }, past),
        () => t.store.importMemories([{ ...existing, memoryId: "late", etag: "" }], "overwrite", past),
        () => t.store.listTopics({ userId, pageSize: 10, after: undefined }, past),
        () => t.store.listUserStats({ userId, pageSize: 10, skip: 0, after: undefined, withTotal: true }, past),
        () => t.store.purgeExpired(10, past),
        () => t.store.delete({ ...key, allowMissing: false }, past),
        () => t.store.clear({ userId }, past),
        () => t.store.ping(past),
      ];
      for (const operation of operations) await expect(operation()).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(await t.store.get(userId, existing.memoryId)).toEqual(existing);
      await expect(t.store.get(userId, "late")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("completes every operation within a generous deadline", async () => {
      const userId = t.newUser();
      const soon = { deadline: Date.now() + 10_000 };
      const [created] = await t.store.add([t.draft(userId), t.draft(userId)], soon);
      const key = { userId, memoryId: created!.memoryId };
      expect(await t.store.get(userId, created!.memoryId, soon)).toEqual(created);
      expect((await t.store.list(t.query(userId, { pageSize: 10 }), soon)).memories).toHaveLength(2);
      expect(await t.firstMatches(t.search(userId, "tea", { pageSize: 10 }), soon)).toHaveLength(2);
      const replaced = await t.store.replace(t.replacement(key, { memory: "coffee", etag: created!.etag }), soon);
      const updated = await t.store.update({ ...key, changes: { topics: ["x"] }, etag: replaced.etag }, soon);
      expect((await t.store.listTopics({ userId, pageSize: 10, after: undefined }, soon)).topics).toContainEqual({
        topic: "x",
        memoryCount: 1,
      });
      expect((await t.store.listUserStats({ userId, pageSize: 10, skip: 0, after: undefined, withTotal: true }, soon)).total).toBe(1);
      await t.store.delete({ ...key, etag: updated.etag, allowMissing: false }, soon);
      expect(await t.store.clear({ userId }, soon)).toBe(1);
      await t.store.ping(soon);
    });

    it("answers ping", async () => {
      await expect(t.store.ping()).resolves.toBeUndefined();
    });
  });
}
