import { describe, expect, it } from "vitest";
import { EtagMismatchError, NotFoundError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** update: the named fields change, every other field keeps its value. */
export function describeUpdate(t: Conformance): void {
  describe("update", () => {
    const full = {
      memory: "likes green tea",
      topics: ["food"],
      input: "I like green tea",
      agentId: "agent",
      teamId: "team",
      feedback: "right",
      labels: { source: "chat" },
    };

    it("changes only topics and leaves input and everything else as it was", async () => {
      const original = await t.addOne(t.newUser(), full);
      const updated = await t.store.update({ userId: original.userId, memoryId: original.memoryId, changes: { topics: ["drinks"] } });
      expect(updated).toEqual({ ...original, topics: ["drinks"], updateTime: updated.updateTime, etag: updated.etag });
      expect(updated.updateTime).toBeGreaterThan(original.updateTime);
      expect(updated.etag).not.toBe(original.etag);
      expect(await t.store.get(original.userId, original.memoryId)).toEqual(updated);
    });

    it("clears a field the change names without a value, and sets several at once", async () => {
      const original = await t.addOne(t.newUser(), full);
      const key = { userId: original.userId, memoryId: original.memoryId };
      const cleared = await t.store.update({ ...key, changes: { input: undefined, agentId: undefined, labels: {} } });
      expect(cleared).toMatchObject({
        memory: full.memory,
        input: undefined,
        agentId: undefined,
        labels: {},
        teamId: "team",
        feedback: "right",
      });
      const expireTime = Date.now() * 1000 + 3_600_000_000;
      const set = await t.store.update({ ...key, changes: { memory: "likes oolong", feedback: "better", expireTime } });
      expect(set).toMatchObject({ memory: "likes oolong", feedback: "better", expireTime, topics: ["food"], teamId: "team" });
      expect(await t.store.get(key.userId, key.memoryId)).toEqual(set);
      // Search sees the new text.
      expect((await t.firstMatches(t.search(key.userId, "oolong"))).map((m) => m.memoryId)).toEqual([key.memoryId]);
      expect(await t.firstMatches(t.search(key.userId, "green tea"))).toEqual([]);
    });

    it("writes only while the etag matches, and fails with NotFoundError for a missing memory, also another user's", async () => {
      const original = await t.addOne(t.newUser(), full);
      const key = { userId: original.userId, memoryId: original.memoryId };
      const winner = await t.store.update({ ...key, changes: { feedback: "first" }, etag: original.etag });
      await expect(t.store.update({ ...key, changes: { feedback: "second" }, etag: original.etag })).rejects.toBeInstanceOf(
        EtagMismatchError,
      );
      expect(await t.store.get(key.userId, key.memoryId)).toEqual(winner);
      await expect(t.store.update({ userId: t.newUser(), memoryId: key.memoryId, changes: { feedback: "x" } })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(t.store.update({ ...key, memoryId: "missing", changes: { feedback: "x" }, etag: "e" })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it("loses no update among concurrent ones to different fields of the same memory", async () => {
      const original = await t.addOne(t.newUser(), full);
      const key = { userId: original.userId, memoryId: original.memoryId };
      await Promise.all([
        t.store.update({ ...key, changes: { topics: ["t1"] } }),
        t.store.update({ ...key, changes: { feedback: "f1" } }),
        t.store.update({ ...key, changes: { labels: { l: "1" } } }),
        t.store.update({ ...key, changes: { input: "i1" } }),
      ]);
      expect(await t.store.get(key.userId, key.memoryId)).toMatchObject({
        topics: ["t1"],
        feedback: "f1",
        labels: { l: "1" },
        input: "i1",
      });
    });
  });
}
