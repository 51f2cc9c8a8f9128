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
        () => t.store.list({ userId, direction: "newest", pageSize: 10, anyTopics: [], after: undefined }, past),
        () => t.firstMatches({ userId, direction: "newest", limit: 10, text: "", anyTopics: [] }, past),
        () => t.store.replace({ ...key, memory: "late", topics: [], allowMissing: false }, past),
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
      expect(
        (await t.store.list({ userId, direction: "newest", pageSize: 10, anyTopics: [], after: undefined }, soon)).memories,
      ).toHaveLength(2);
      expect(await t.firstMatches({ userId, direction: "newest", limit: 10, text: "tea", anyTopics: [] }, soon)).toHaveLength(2);
      const replaced = await t.store.replace({ ...key, memory: "coffee", topics: [], etag: created!.etag, allowMissing: false }, soon);
      await t.store.delete({ ...key, etag: replaced.etag, allowMissing: false }, soon);
      expect(await t.store.clear({ userId }, soon)).toBe(1);
      await t.store.ping(soon);
    });

    it("answers ping", async () => {
      await expect(t.store.ping()).resolves.toBeUndefined();
    });
  });
}
