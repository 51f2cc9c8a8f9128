import { describe, expect, it } from "vitest";
import type { MemoryRecord } from "../../src/storage/store.js";
import { type Conformance, ids } from "./context.js";

/** importMemories: given ids and times, idempotent. */
export function describeImport(t: Conformance): void {
  describe("import", () => {
    it("imports records with their own ids and times, skipping those that exist, so a rerun changes nothing", async () => {
      const userId = t.newUser();
      const existing = await t.addOne(userId, { memoryId: "already-here", memory: "keep me" });
      const imported: MemoryRecord[] = [
        {
          userId,
          memoryId: "agno-1",
          memory: "from Agno",
          topics: ["a"],
          input: "said so",
          createTime: 1_700_000_000_000_000,
          updateTime: 1_700_000_100_000_000,
          etag: "",
        },
        {
          userId,
          memoryId: "agno-2",
          memory: "older",
          topics: [],
          input: undefined,
          createTime: 1_600_000_000_000_000,
          updateTime: 1_600_000_000_000_000,
          etag: "",
        },
        { ...existing, memory: "would overwrite", etag: "" },
      ];
      expect(await t.store.importMemories(imported)).toBe(2);
      expect(await t.store.importMemories(imported)).toBe(0);
      const first = await t.store.get(userId, "agno-1");
      expect(first).toMatchObject({
        memory: "from Agno",
        topics: ["a"],
        input: "said so",
        createTime: 1_700_000_000_000_000,
        updateTime: 1_700_000_100_000_000,
      });
      expect(first.etag).not.toBe("");
      expect(await t.store.get(userId, "already-here")).toEqual(existing);
      const oldestFirst = await t.store.list({ userId, direction: "oldest", pageSize: 10, anyTopics: [], after: undefined });
      expect(ids(oldestFirst.memories)).toEqual(["agno-2", "agno-1", "already-here"]);
    });
  });
}
