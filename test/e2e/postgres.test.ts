import { describe } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { backend } from "../support/backends.js";
import { describeMemoryServiceE2E } from "./memory-service-suite.js";

const postgres = backend("postgres");

describe.skipIf(postgres.unavailable)(`postgres backend (${postgres.unavailable ?? "available"})`, () => {
  describeMemoryServiceE2E("postgres", () => openStore(postgres.storageUrl()));
});
