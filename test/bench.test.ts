/**
 * The benchmark and soak scripts are not tests, but they must keep working:
 * each runs here once, tiny, on every backend it supports, compiled by the
 * global set-up (never here: a compile rewrites dist/src under the servers
 * other test files are starting).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp.js";
import { allBackends } from "./support/backends.js";

const root = join(import.meta.dirname, "..");
const dir = tempDir();
/**
 * The run's own length is fixed by its phases (ceiling and RPC rounds, the
 * noisy scenario's idle and loaded windows): 22-32 s on the busy 2-core
 * machine, more on FerretDB. The bench process is killed at this bound.
 */
const BENCH_TIMEOUT_MS = 180_000;

for (const { name, unavailable } of allBackends()) {
  describe.skipIf(unavailable)(`npm run bench on ${name}`, () => {
    it(
      "measures RPCs against the no-op ceiling and the noisy-neighbour scenario, and writes JSON results",
      () => {
        const out = join(dir, `${name}.json`);
        const args = ["--backend", name, "--duration", "1", "--warmup", "0", "--rounds", "1", "--users", "3", "--memories-per-user", "20"];
        args.push(
          "--target-memories",
          "600",
          "--rpcs",
          "get,list-deep,search-rare,add,noisy",
          "--workers",
          "1",
          "--concurrency",
          "4",
          "--out",
          out,
        );
        args.push("--noisy-memories", "100", "--noisy-memory-bytes", "1500");
        const run = spawnSync(process.execPath, [join(root, "dist", "bench", "run.js"), ...args], {
          encoding: "utf8",
          timeout: BENCH_TIMEOUT_MS,
        });
        expect(run.status, run.stderr + run.stdout).toBe(0);
        expect(run.stdout).toMatch(/^get\s+\d+/m);
        const results = JSON.parse(readFileSync(out, "utf8"));
        for (const rpc of ["get", "list-deep", "search-rare", "add"]) {
          expect(results.results[rpc].rpc.callsPerSecond, rpc).toBeGreaterThan(0);
          expect(results.results[rpc].rpc.errors, rpc).toBe(0);
          expect(results.results[rpc].ceiling.callsPerSecond, rpc).toBeGreaterThan(0);
          expect(results.results[rpc].ratio, rpc).toBeGreaterThan(0);
        }
        // Figures, not gates: the scenario runs and reports, whatever the ratios.
        expect(run.stdout).toMatch(/^others within 2× of idle .*: (yes|NO|no figures)/m);
        const { noisy } = results;
        for (const phase of ["idle", "loaded"]) {
          for (const label of ["get", "list", "add", "health"])
            expect(noisy.others[label][phase].calls, `${label} ${phase}`).toBeTypeOf("number");
          // FerretDB may answer only a call or two of each kind in a 1 s window: the mix as a whole, then.
          expect(noisy.others.get[phase].calls + noisy.others.list[phase].calls + noisy.others.add[phase].calls, phase).toBeGreaterThan(0);
          expect(noisy.others.health[phase].calls, `health ${phase}`).toBeGreaterThan(0);
          expect(noisy.others.health[phase].p99, `health ${phase}`).toBeGreaterThan(0);
        }
        // Searches ran and were answered (alone, at least: under load, FerretDB may finish none in a 1 s window).
        expect(noisy.alone.calls).toBeGreaterThan(0);
        expect(noisy.noisySearches.statuses).toBeTypeOf("object");
        expect(noisy.setup.queryBytes.max).toBeLessThanOrEqual(256);
        expect(noisy.unexpectedErrors, JSON.stringify(noisy.noisySearches.statuses)).toBe(0);
        expect([true, false, null]).toContain(noisy.withinTwiceIdle);
      },
      BENCH_TIMEOUT_MS + 10_000,
    );
  });
}
