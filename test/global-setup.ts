/**
 * Sets up what the tests need once per run, so that `npm test` on a fresh
 * clone runs every test or fails saying what is missing:
 *
 * - dist/, compiled when the sources changed (scripts/build.mjs --bench),
 *   for the process tests, which run the server exactly as `npm start`
 *   does, and the benchmark test; no test compiles, since a compile while
 *   tests run rewrites files under servers being started;
 * - .venv with the pinned Python packages (scripts/python-venv.sh) for the
 *   Python client and Agno import tests: fails without Python 3 or PyPI;
 * - the Go test tools, built once per machine (scripts/go-tool.mjs), and a
 *   Go toolchain for the Go client tests: fails without Go;
 * - each backend of testkit/backends.ts, or those MEMORYD_TEST_BACKENDS
 *   names (a throwaway PostgreSQL cluster and a
 *   FerretDB server, or POSTGRES_URL / MONGODB_URL instead), reached by test
 *   files through vitest's inject(); a backend that could not be started is
 *   passed on with the reason, and its tests are reported as skipped by name.
 *
 * Each of the first three is quick when there is nothing to do.
 *
 * Everything the run puts in the temporary directory goes under one
 * directory of its own (TMPDIR for the test processes and their children);
 * at the end the teardown fails the run if anything is left in it, names
 * what, and removes it.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type BackendName, type Provisioned, selectedBackends } from "../testkit/backends.js";
import { repositoryRoot } from "../testkit/paths.js";

const ROOT = repositoryRoot();
const GO_TOOLS = ["ferretdb", "grpcurl", "grpc-health-probe", "ghz"];

declare module "vitest" {
  export interface ProvidedContext {
    backends: Record<BackendName, Provisioned>;
  }
}

/**
 * Runs one set-up step, its stderr passed through (the scripts say when
 * they do real work); rejects with `needs` and the end of that stderr when
 * it fails.
 */
function setupStep(command: string, args: string[], needs: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const fail = (reason: string) => reject(new Error(`npm test needs ${needs}.\n${[command, ...args].join(" ")}: ${reason}`));
    child.on("error", (err) => fail(err.message));
    child.on("close", (code, signal) => (code === 0 ? resolve() : fail(`exited with ${code ?? signal}\n${stderr.trim()}`)));
  });
}

async function prepare(): Promise<void> {
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  const goMissing =
    go.status === 0
      ? undefined
      : (go.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
        ? "no `go` on PATH"
        : `go version: ${go.error?.message ?? go.stderr.trim()}`;
  const steps = [
    setupStep(process.execPath, ["scripts/build.mjs", "--bench"], "to compile src/, bench/ and testkit/ into dist/ (scripts/build.mjs)"),
    setupStep(
      "bash",
      ["scripts/python-venv.sh"],
      "Python 3.9+ with venv and pip, and PyPI, for the Python client and Agno import tests (scripts/python-venv.sh creates .venv)",
    ),
    goMissing
      ? Promise.reject(
          new Error(
            `npm test needs Go 1.26 or newer on PATH, for the Go client tests and to build the test tools (${GO_TOOLS.join(", ")}).\n${goMissing}`,
          ),
        )
      : setupStep(
          process.execPath,
          ["scripts/go-tool.mjs", ...GO_TOOLS],
          `Go and the Go module proxy, to build the test tools (${GO_TOOLS.join(", ")}) once per machine`,
        ),
  ];
  const failures = (await Promise.allSettled(steps)).flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (failures.length) throw new Error(`test set-up failed:\n\n${failures.join("\n\n")}\n`);
}

/**
 * Gives the run a temporary directory of its own and makes it TMPDIR for
 * what runs from here on: the test processes vitest forks afterwards, and
 * their children (servers, pytest, go test, openssl). Returns the check
 * for the teardown.
 */
function privateTmpdir(): () => void {
  const outer = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), "memoryd-test-run-"));
  chmodSync(dir, 0o711); // the PostgreSQL cluster runs as the postgres user when the tests run as root
  process.env.TMPDIR = dir;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    const left = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    if (left.length) {
      process.exitCode = 1; // vitest reports an error in the teardown but would still exit 0
      throw new Error(
        `the tests left ${left.length} entr${left.length === 1 ? "y" : "ies"} in the temporary directory (removed now; each test must remove what it creates): ${left.join(", ")}`,
      );
    }
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await prepare();
  const checkTmpdir = privateTmpdir();
  const cleanups: (() => Promise<void>)[] = [];
  const selected = selectedBackends();
  const provisioned = await Promise.all(selected.map((backend) => backend.provision({}, cleanups)));
  const backends = Object.fromEntries(selected.map((backend, i) => [backend.name, provisioned[i]!])) as Record<BackendName, Provisioned>;
  for (const [name, { description }] of Object.entries(backends)) console.log(`${name}: ${description}`);
  project.provide("backends", backends);
  return async () => {
    try {
      await Promise.all(cleanups.map((cleanup) => cleanup()));
    } finally {
      checkTmpdir();
    }
  };
}
