import { describe, expect, it } from "vitest";
import type { MemoryRecord } from "../../src/storage/store.js";
import { type Conformance, ids } from "./context.js";

/** importMemories: given ids and times; skipping (idempotent) or overwriting what exists. */
export function describeImport(t: Conformance): void {
  describe("import", () => {
    const records = (userId: string): MemoryRecord[] => [
      {
        userId,
        memoryId: "agno-1",
        memory: "from Agno",
        topics: ["a"],
        input: "said so",
        agentId: "agent",
        teamId: "team",
        feedback: "good",
        labels: { source: "agno" },
        createTime: 1_700_000_000_000_000,
        updateTime: 1_700_000_100_000_000,
        etag: "",
      },
      {
        userId,
        memoryId: "agno-2",
        memory: "older",
        topics: [],
        labels: {},
        createTime: 1_600_000_000_000_000,
        updateTime: 1_600_000_000_000_000,
        etag: "",
      },
    ];

    it("imports records with their own ids and times, skipping those that exist, so a rerun changes nothing", async () => {
      const userId = t.newUser();
      const existing = await t.addOne(userId, { memoryId: "already-here", memory: "keep me" });
      const imported = [...records(userId), { ...existing, memory: "would overwrite", etag: "" }];
      const first = await t.store.importMemories(imported, "skip");
      expect(first.written).toBe(2);
      expect(first.records[2]).toEqual(existing);
      expect((await t.store.importMemories(imported, "skip")).written).toBe(0);
      const stored = await t.store.get(userId, "agno-1");
      expect(stored).toEqual({ ...imported[0], etag: stored.etag, expireTime: undefined });
      expect(stored.etag).not.toBe("");
      expect(first.records[0]).toEqual(stored);
      expect(await t.store.get(userId, "already-here")).toEqual(existing);
      const oldestFirst = await t.store.list(t.query(userId, { direction: "oldest" }));
      expect(ids(oldestFirst.memories)).toEqual(["agno-2", "agno-1", "already-here"]);
    });

    it("overwrites what exists with the given content and times when asked (an upsert that keeps times)", async () => {
      const userId = t.newUser();
      const existing = await t.addOne(userId, { memoryId: "agno-1", memory: "to be overwritten", requestId: "req" });
      const { records: stored, written } = await t.store.importMemories(records(userId), "overwrite");
      expect(written).toBe(2);
      expect(stored[0]!.etag).not.toBe(existing.etag);
      expect(await t.store.get(userId, "agno-1")).toEqual(stored[0]);
      expect(stored[0]).toMatchObject({ memory: "from Agno", createTime: 1_700_000_000_000_000, updateTime: 1_700_000_100_000_000 });
      // The overwritten memory no longer answers for the request id that created it.
      const again = await t.addOne(userId, { memory: "to be overwritten", memoryId: "agno-1b", requestId: "req" });
      expect(again.memoryId).toBe("agno-1b");
      const byUpdate = await t.store.list(t.query(userId, { orderBy: "updateTime", direction: "oldest" }));
      expect(ids(byUpdate.memories)).toEqual(["agno-2", "agno-1", "agno-1b"]);
      // A write after imported times still sorts after every one of them.
      expect(again.updateTime).toBeGreaterThan(1_700_000_100_000_000);
    });
  });
}
