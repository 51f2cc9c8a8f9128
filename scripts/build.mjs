#!/usr/bin/env node
// Compiles src/ and gen/ts/ into dist/ only when they changed since the last
// build: `tsc -b tsconfig.build.json`, which keeps its record in
// dist/tsconfig.build.tsbuildinfo, so a build with nothing changed takes a
// fraction of a second instead of a full compile. `npm start` (prestart)
// and `npm test` (test/global-setup.ts) run it.
//
// tsc -b trusts its record and does not notice outputs deleted by hand, so
// when dist/src/main.js is missing the record is dropped and everything is
// compiled again. (`rm -rf dist` removes the record with the outputs.)
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const buildInfo = join(root, "dist", "tsconfig.build.tsbuildinfo");
if (!existsSync(join(root, "dist", "src", "main.js"))) rmSync(buildInfo, { force: true });

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = spawnSync(process.execPath, [tsc, "-b", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (run.error) throw run.error;
process.exitCode = run.status ?? 1;
