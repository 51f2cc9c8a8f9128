#!/usr/bin/env node
// Compiles into dist/ only what changed since the last build, with
// `tsc -b`, which keeps its record in a .tsbuildinfo beside the output, so
// a build with nothing changed takes a fraction of a second.
//
//   node scripts/build.mjs           the server: src/ and gen/ts/ (npm start)
//   node scripts/build.mjs --bench   the server, then bench/ and testkit/
//                                    (npm test's global set-up, npm run bench)
//
// Only the global set-up compiles for the tests, before any test starts:
// a compile while tests run rewrites dist/src under servers being started
// from it (a test once saw admission.js half-written).
//
// tsc -b trusts its record and does not notice outputs deleted by hand, so
// when a project's entry point is missing its record is dropped and it is
// compiled again. (`rm -rf dist` removes the records with the outputs.)
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const projects = [{ config: "tsconfig.build.json", entry: "dist/src/main.js" }];
if (process.argv.includes("--bench")) projects.push({ config: "tsconfig.bench.json", entry: "dist/bench/run.js" });

for (const { config, entry } of projects) {
  if (!existsSync(join(root, entry))) rmSync(join(root, "dist", config.replace(/\.json$/, ".tsbuildinfo")), { force: true });
}
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = spawnSync(process.execPath, [tsc, "-b", ...projects.map((p) => join(root, p.config))], { cwd: root, stdio: "inherit" });
if (run.error) throw run.error;
process.exitCode = run.status ?? 1;
