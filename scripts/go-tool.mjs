#!/usr/bin/env node
// Prints the path of a Go tool the tests and benchmarks run, building it
// first if needed: `node scripts/go-tool.mjs <name>...`. Builds go to
// ~/.cache/memoryd/bin, keyed by version (or, for FerretDB, by the sources
// in tools/ferretdb), so only the first run on a machine pays for them.
// $<NAME>_BIN (e.g. GRPCURL_BIN) overrides a tool.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

/** `go install <module>@<version>`, exactly as the Dockerfile runs it for grpc_health_probe. */
export const TOOLS = {
  grpcurl: { module: "github.com/fullstorydev/grpcurl/cmd/grpcurl", version: "v1.9.4", binary: "grpcurl" },
  "grpc-health-probe": { module: "github.com/grpc-ecosystem/grpc-health-probe", version: "v0.4.61", binary: "grpc-health-probe" },
  ghz: { module: "github.com/bojand/ghz/cmd/ghz", version: "v0.93.0", binary: "ghz" },
  // Built from tools/ferretdb: see tools/ferretdb/main.go for why not `go install`.
  ferretdb: { source: join(root, "tools", "ferretdb") },
};

function sourceHash(dir) {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "main.go"]) hash.update(readFileSync(join(dir, file)));
  return hash.digest("hex").slice(0, 16);
}

export function toolPath(name) {
  const tool = TOOLS[name];
  if (!tool) throw new Error(`unknown tool ${name}; known: ${Object.keys(TOOLS).join(", ")}`);
  const override = process.env[`${name.toUpperCase().replaceAll("-", "_")}_BIN`];
  if (override) return override;
  const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "memoryd", "bin");
  const target = join(cacheDir, `${name}-${tool.version ?? sourceHash(tool.source)}`);
  if (existsSync(target)) return target;
  mkdirSync(cacheDir, { recursive: true });
  process.stderr.write(`scripts/go-tool.mjs: building ${name} with Go into ${cacheDir} (once per machine)\n`);
  // Build into a private directory and rename, so a parallel or interrupted build never leaves half a binary.
  const work = mkdtempSync(join(cacheDir, `.${name}-`));
  try {
    if (tool.source) {
      execFileSync("go", ["build", "-o", join(work, name), "."], { cwd: tool.source, stdio: ["ignore", "ignore", "inherit"] });
      renameSync(join(work, name), target);
    } else {
      execFileSync("go", ["install", `${tool.module}@${tool.version}`], {
        env: { ...process.env, GOBIN: work },
        stdio: ["ignore", "ignore", "inherit"],
      });
      renameSync(join(work, tool.binary), target);
    }
  } catch (err) {
    if (err.code === "ENOENT") throw new Error(`cannot build ${name}: the Go toolchain (go) is not on PATH; install Go 1.26 or newer`);
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

if (process.argv[1] === import.meta.filename) {
  try {
    for (const name of process.argv.slice(2)) process.stdout.write(`${toolPath(name)}\n`);
  } catch (err) {
    process.stderr.write(`scripts/go-tool.mjs: ${err.message}\n`);
    process.exitCode = 1;
  }
}
