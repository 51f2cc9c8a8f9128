/**
 * The storage contract of `src/storage/store.ts`, as tests, split by topic.
 * Every backend runs every category (conformance.test.ts); a bug found in
 * one backend becomes a case here.
 *
 * A backend that cannot give a guarantee declares it in its capabilities
 * (`StoreCapabilities`), and the category that tests the guarantee is then
 * excepted for it by name, as SpiceDB's datastore tests do, rather than
 * failing or being skipped: the exception is reported, and a case checks
 * that the store really declares what the exception says.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemoryStore, StoreCapabilities } from "../../src/storage/store.js";
import { describeAllUsers } from "./all-users.js";
import { describeAtomicBatch } from "./atomic-batch.js";
import { describeBatch } from "./batch.js";
import { describeBatchDelete } from "./batch-delete.js";
import { describeClear } from "./clear.js";
import { describeConsolidate } from "./consolidate.js";
import { Conformance } from "./context.js";
import { describeCreate } from "./create.js";
import { describeDeadlines } from "./deadlines.js";
import { describeDelete } from "./delete.js";
import { describeExpiry } from "./expiry.js";
import { describeFilters } from "./filters.js";
import { describeHostileInput } from "./hostile-input.js";
import { describeImport } from "./import.js";
import { describeList } from "./list.js";
import { describeRead } from "./read.js";
import { describeReplace } from "./replace.js";
import { describeSearch } from "./search.js";
import { describeTopics } from "./topics.js";
import { describeUpdate } from "./update.js";
import { describeUserStats } from "./user-stats.js";
import { describeWriteOrder } from "./write-order.js";

interface Category {
  readonly name: string;
  /** The capability a store must declare for the category to apply. */
  readonly requires?: keyof StoreCapabilities;
  readonly describe: (t: Conformance) => void;
}

export const CATEGORIES: readonly Category[] = [
  { name: "create", describe: describeCreate },
  { name: "batch", describe: describeBatch },
  { name: "atomic-batch", requires: "atomicBatch", describe: describeAtomicBatch },
  { name: "read", describe: describeRead },
  { name: "list", describe: describeList },
  { name: "all-users", describe: describeAllUsers },
  { name: "filters", describe: describeFilters },
  { name: "search", describe: describeSearch },
  { name: "replace", describe: describeReplace },
  { name: "update", describe: describeUpdate },
  { name: "delete", describe: describeDelete },
  { name: "batch-delete", describe: describeBatchDelete },
  { name: "consolidate", describe: describeConsolidate },
  { name: "clear", describe: describeClear },
  { name: "topics", describe: describeTopics },
  { name: "user-stats", describe: describeUserStats },
  { name: "expiry", describe: describeExpiry },
  { name: "import", describe: describeImport },
  { name: "write-order", describe: describeWriteOrder },
  { name: "hostile-input", describe: describeHostileInput },
  { name: "deadlines", describe: describeDeadlines },
];

/** Runs every category against the store `open` returns, except those named in `except`. */
export function describeConformance(backend: string, open: () => Promise<MemoryStore>, except: readonly string[] = []): void {
  const unknown = except.filter((name) => !CATEGORIES.some((category) => category.name === name));
  if (unknown.length > 0) throw new Error(`unknown conformance categories: ${unknown.join(", ")}`);
  describe(`MemoryStore conformance: ${backend}${except.length ? ` (except ${except.join(", ")})` : ""}`, () => {
    const t = new Conformance();
    beforeAll(async () => {
      t.store = await open();
    });
    afterAll(async () => {
      await t.store.close();
    });

    it("declares the capabilities its exceptions say it lacks", () => {
      for (const category of CATEGORIES) {
        if (category.requires) expect(t.store.capabilities[category.requires], category.name).toBe(!except.includes(category.name));
        else expect(except, `${category.name} has no capability to lack`).not.toContain(category.name);
      }
    });

    for (const category of CATEGORIES) {
      if (!except.includes(category.name)) category.describe(t);
    }
  });
}
