import { describe, expect, it } from "vitest";
import { AlreadyExistsError, NotFoundError, RequestIdReusedError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** add with several entries: all or nothing. */
export function describeBatch(t: Conformance): void {
  describe("batch", () => {
    it("creates a batch in input order", async () => {
      const userId = t.newUser();
      const created = await t.store.add([0, 1, 2].map((i) => t.draft(userId, { memory: `batch ${i}` })));
      expect(created.map((m) => m.memory)).toEqual(["batch 0", "batch 1", "batch 2"]);
      for (const record of created) expect(await t.store.get(userId, record.memoryId)).toEqual(record);
    });

    it("creates nothing of a batch when one entry fails", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { memoryId: "taken" });
      const err = await t.store
        .add([t.draft(userId, { memoryId: "fresh-1" }), t.draft(userId, { memoryId: "taken" }), t.draft(userId, { memoryId: "fresh-2" })])
        .catch((e) => e);
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect(err.index).toBe(1);
      await expect(t.store.get(userId, "fresh-1")).rejects.toBeInstanceOf(NotFoundError);
      await expect(t.store.get(userId, "fresh-2")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("creates nothing of a batch when a later entry reuses a request id", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { requestId: "used", memory: "original" });
      const err = await t.store
        .add([t.draft(userId, { memoryId: "first" }), t.draft(userId, { requestId: "used", memory: "different" })])
        .catch((e) => e);
      expect(err).toBeInstanceOf(RequestIdReusedError);
      expect(err.index).toBe(1);
      await expect(t.store.get(userId, "first")).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
