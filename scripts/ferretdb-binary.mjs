#!/usr/bin/env node
// Prints the path of the FerretDB binary the MongoDB tests run, building it
// from tools/ferretdb with the Go toolchain first if needed. Builds are
// cached under ~/.cache/memoryd keyed by the sources, so only the first run
// on a machine pays for the build (a few minutes with a cold Go cache).
// $FERRETDB_BIN overrides it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const source = join(import.meta.dirname, "..", "tools", "ferretdb");

function ferretdbBinary() {
  if (process.env.FERRETDB_BIN) return process.env.FERRETDB_BIN;
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "main.go"]) hash.update(readFileSync(join(source, file)));
  const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "memoryd");
  const binary = join(cacheDir, `ferretdb-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir, { recursive: true });
  // Build beside the target and rename, so a parallel or interrupted build never leaves half a binary.
  const partial = `${binary}.${process.pid}.partial`;
  execFileSync("go", ["build", "-o", partial, "."], { cwd: source, stdio: ["ignore", "ignore", "inherit"] });
  renameSync(partial, binary);
  return binary;
}

process.stdout.write(`${ferretdbBinary()}\n`);
