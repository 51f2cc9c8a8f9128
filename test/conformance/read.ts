import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/storage/errors.js";
import type { Conformance } from "./context.js";

/** get. */
export function describeRead(t: Conformance): void {
  describe("read", () => {
    it("fails with NotFoundError for an unknown id", async () => {
      const err = await t.store.get(t.newUser(), "nope").catch((e) => e);
      expect(err).toBeInstanceOf(NotFoundError);
    });

    it("does not return another user's memory", async () => {
      const record = await t.addOne(t.newUser());
      await expect(t.store.get(t.newUser(), record.memoryId)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
