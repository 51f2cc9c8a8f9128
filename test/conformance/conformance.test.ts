/**
 * Every backend the tests know (testkit/backends.ts) runs the whole
 * conformance suite, and every backend memoryd can open is one of them.
 */
import { describe, expect, it } from "vitest";
import { openStore, STORAGE_BACKENDS } from "../../src/storage/open.js";
import { TEST_BACKENDS } from "../../testkit/backends.js";
import { allBackends } from "../support/backends.js";
import { describeConformance } from "./index.js";

it("runs every registered storage backend", () => {
  expect(TEST_BACKENDS.map((b) => b.name).sort()).toEqual(STORAGE_BACKENDS.map((b) => b.name).sort());
});

for (const backend of allBackends()) {
  describe.skipIf(backend.unavailable)(`${backend.name} (${backend.unavailable ?? "available"})`, () => {
    describeConformance(backend.name, () => openStore(backend.storageUrl()), backend.exceptions);
  });
}
