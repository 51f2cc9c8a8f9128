import { describe, expect, it } from "vitest";
import { AlreadyExistsError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/**
 * Batches no reader sees part of (capability `atomicBatch`). A backend that
 * undoes a failed batch entry by entry (MongoDB without transactions) is
 * excepted from this category; see `StoreCapabilities`.
 */
export function describeAtomicBatch(t: Conformance): void {
  describe("atomic batch", () => {
    it("declares the capability", () => {
      expect(t.store.capabilities.atomicBatch).toBe(true);
    });

    it("never shows a reader part of a batch that fails on its last entry", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { memoryId: "taken" });
      const entries = Array.from({ length: 300 }, (_, i) => t.draft(userId, { memoryId: `part-${i}` }));
      let settled = false;
      const outcome = t.store.add([...entries, t.draft(userId, { memoryId: "taken" })]).then(
        () => undefined,
        (err: unknown) => err,
      );
      void outcome.then(() => (settled = true));
      const seen = new Set<string>();
      while (!settled) {
        const page = await t.store.list(t.query(userId, { pageSize: 1000 }));
        for (const memory of page.memories) seen.add(memory.memoryId);
        await new Promise((resolve) => setImmediate(resolve)); // a store that answers at once must still let the batch run
      }
      expect(await outcome).toBeInstanceOf(AlreadyExistsError);
      expect([...seen]).toEqual(["taken"]);
    });
  });
}
