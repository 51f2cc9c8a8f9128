/**
 * The soak's leak gate (bench/soak-run.ts: what `.ci/run` runs through
 * `node dist/bench/soak.js` on SQLite and PostgreSQL) has to be able to
 * fail: the same code, CI-sized, passes the healthy server and fails one
 * made to keep every request message (test/support/leak-requests.mjs,
 * preloaded from outside like the heap probe), on its heap check alone.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSoak, LIMITS, runSoak, type SoakResult } from "../../bench/soak-run.js";
import { tempDir } from "../helpers/temp.js";

const LEAK = join(import.meta.dirname, "..", "support", "leak-requests.mjs");
const dir = tempDir();

/** 3,000 calls of warm-up, then 10,000 measured at 5 checkpoints: 17-27 s per run on the busy 2-core machine. */
async function soak(name: string, serverImports: string[]): Promise<SoakResult> {
  const cleanups: (() => unknown)[] = [];
  try {
    const result = await runSoak({
      backend: "sqlite",
      storage: `sqlite://${join(dir, `${name}.db`)}`,
      calls: 13_000,
      warmupCalls: 3_000,
      checkpoints: 5,
      concurrency: 48,
      poolMax: 10,
      serverImports,
      cleanups,
    });
    console.log(`${name}:\n${formatSoak(result).join("\n")}`);
    return result;
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

const failed = (result: SoakResult) => result.checks.filter((c) => !c.ok).map((c) => c.id);

describe("soak leak gate (SQLite, CI-sized)", () => {
  it("passes the healthy server", async () => {
    const result = await soak("healthy", []);
    expect(failed(result), formatSoak(result).join("\n")).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.calls).toBe(13_000);
  }, 180_000);

  it("fails a server that keeps every request, on retained memory alone", async () => {
    const result = await soak("leaking", [LEAK]);
    expect(failed(result), formatSoak(result).join("\n")).toEqual(["heap"]);
    expect(result.passed).toBe(false);
    expect(result.heap.bytesPerCall).toBeGreaterThan(LIMITS.heapBytesPerCall);
    expect(result.heap.growthBytes).toBeGreaterThan(LIMITS.heapNoiseFloorBytes);
  }, 180_000);
});
