/** The storage-dependent MemoryService calls (storage-calls.ts), on every backend. */
import { describe } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { allBackends } from "../support/backends.js";
import { describeStorageCalls } from "./storage-calls.js";

for (const backend of allBackends()) {
  describe.skipIf(backend.unavailable)(`${backend.name} (${backend.unavailable ?? "available"})`, () => {
    describeStorageCalls(backend.name, () => openStore(backend.storageUrl()));
  });
}
