/**
 * The benchmark and soak scripts are not tests, but they must keep working:
 * each runs here once, tiny, on every backend it supports.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp.js";
import { type BackendName, backend } from "./support/backends.js";

const root = join(import.meta.dirname, "..");
const dir = tempDir();

beforeAll(() => {
  execFileSync("npx", ["tsc", "-p", "tsconfig.bench.json"], { cwd: root, stdio: "inherit" });
}, 120_000);

for (const name of ["sqlite", "postgres", "mongodb"] as BackendName[]) {
  describe.skipIf(backend(name).unavailable)(`npm run bench on ${name}`, () => {
    it("measures RPCs against the no-op ceiling and writes JSON results", () => {
      const out = join(dir, `${name}.json`);
      const args = ["--backend", name, "--duration", "1", "--warmup", "0", "--rounds", "1", "--users", "3", "--memories-per-user", "20"];
      args.push("--target-memories", "600", "--rpcs", "get,list-deep,search-rare,add", "--workers", "1", "--concurrency", "4", "--out", out);
      const run = spawnSync(process.execPath, [join(root, "dist", "bench", "run.js"), ...args], { encoding: "utf8", timeout: 180_000 });
      expect(run.status, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toMatch(/^get\s+\d+/m);
      const results = JSON.parse(readFileSync(out, "utf8"));
      for (const rpc of ["get", "list-deep", "search-rare", "add"]) {
        expect(results.results[rpc].rpc.callsPerSecond, rpc).toBeGreaterThan(0);
        expect(results.results[rpc].rpc.errors, rpc).toBe(0);
        expect(results.results[rpc].ratio, rpc).toBeGreaterThan(0);
      }
    });
  });
}
