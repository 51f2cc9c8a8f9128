import { openStore } from "../../src/storage/open.js";
import { backend } from "../support/backends.js";
import { describeMemoryServiceE2E } from "./memory-service-suite.js";

const sqlite = backend("sqlite");

describeMemoryServiceE2E("sqlite", () => openStore(sqlite.storageUrl()));
