/**
 * `npm run soak`: a bounded run of the real server (dist/src/main.js) under
 * a mix of every RPC at high concurrency, defined by a number of calls.
 * Passes when no call fails unexpectedly, the heap the server retains after
 * full garbage collections does not grow with the calls after warm-up, and
 * open file descriptors and database connections stay bounded; resident
 * memory is printed as information. bench/soak-run.ts has the run and the
 * rules and says why they are these. Prints the figures; exits 1 when a
 * limit is broken.
 *
 *   node dist/bench/soak.js [--backend sqlite|postgres|mongodb] [--calls 100000] [--warmup-calls 25000]
 *     [--checkpoints 8] [--concurrency 48] [--server-import <module>]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { TEST_BACKENDS } from "../testkit/backends.js";
import { cleanUpOnInterrupt, RESULTS_DIR } from "./process.js";
import { formatSoak, runSoak } from "./soak-run.js";
import { type BackendName, benchStorage } from "./storage.js";

const options = new Command("soak")
  .addOption(new Option("--backend <name>", "storage backend").choices(TEST_BACKENDS.map((b) => b.name)).default("sqlite"))
  .option("--storage <url>", "storage URL instead of a fresh database")
  .option("--calls <n>", "calls in all, warm-up included", Number, 100_000)
  .option("--warmup-calls <n>", "calls before the first checkpoint (default: a quarter of --calls)", Number)
  .option("--checkpoints <n>", "heap checkpoints after warm-up, evenly spaced", Number, 8)
  .option("--concurrency <n>", "calls in flight", Number, 48)
  .option(
    "--pool-max <n>",
    "database pool size the server is started with (default: memoryd's 10 on PostgreSQL, the driver's 100 on MongoDB)",
    Number,
  )
  .option("--server-import <module>", "another module for the server to preload (the leak test's leaking build)")
  .parse()
  .opts<{
    backend: BackendName;
    storage?: string;
    calls: number;
    warmupCalls?: number;
    checkpoints: number;
    concurrency: number;
    poolMax?: number;
    serverImport?: string;
  }>();

const cleanups: (() => unknown)[] = [];
cleanUpOnInterrupt(cleanups);

let passed = false;
try {
  const storage = await benchStorage(options.backend, options.storage, cleanups);
  const result = await runSoak({
    backend: options.backend,
    storage,
    calls: options.calls,
    warmupCalls: options.warmupCalls ?? Math.round(options.calls / 4),
    checkpoints: options.checkpoints,
    concurrency: options.concurrency,
    poolMax: options.poolMax ?? (options.backend === "mongodb" ? 100 : 10),
    serverImports: options.serverImport ? [resolve(options.serverImport)] : [],
    cleanups,
    log: (line) => console.log(line),
  });
  for (const line of formatSoak(result)) console.log(line);
  const out = join(RESULTS_DIR, `soak-${options.backend}.json`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  passed = result.passed;
} finally {
  for (const cleanup of cleanups) await cleanup();
}
process.exit(passed ? 0 : 1);
