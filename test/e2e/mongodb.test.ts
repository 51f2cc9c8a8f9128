import { describe } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { backend } from "../support/backends.js";
import { describeMemoryServiceE2E } from "./memory-service-suite.js";

const mongodb = backend("mongodb");

describe.skipIf(mongodb.unavailable)(`mongodb backend (${mongodb.unavailable ?? "available"})`, () => {
  describeMemoryServiceE2E("mongodb", () => openStore(mongodb.storageUrl()));
});
