import { describe, expect, it } from "vitest";
import type { Conformance } from "./context.js";

/** Times: every write to a user comes after the user's earlier writes. */
export function describeWriteOrder(t: Conformance): void {
  describe("write order", () => {
    it("gives each write to a user a time after every earlier write's, whatever the memory ids", async () => {
      const userId = t.newUser();
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        // Ids that sort against the order of writing: equal times would list in the wrong order.
        const created = await t.addOne(userId, { memoryId: `m-${String(99 - i).padStart(2, "0")}` });
        times.push(created.updateTime);
        if (i % 3 === 2) {
          const replaced = await t.store.replace(t.replacement(created));
          times.push(replaced.updateTime);
        }
      }
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
      const listed = await t.store.list(t.query(userId, { direction: "oldest", pageSize: 100 }));
      expect(listed.memories.map((m) => m.memoryId)).toEqual(Array.from({ length: 20 }, (_, i) => `m-${String(99 - i).padStart(2, "0")}`));
    });
  });
}
