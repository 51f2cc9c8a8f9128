import { join } from "node:path";
import { openStore } from "../../src/storage/open.js";
import { tempDir } from "../helpers/temp.js";
import { describeMemoryServiceE2E } from "./memory-service-suite.js";

const dir = tempDir();
describeMemoryServiceE2E("sqlite", () => openStore(`sqlite://${join(dir, "e2e.db")}`));
