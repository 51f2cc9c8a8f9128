/** Runs `memoryd import` as a user does (the compiled CLI, in its own process) and Python fixture writers, for the import tests. */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parsePostgresUrl } from "../../src/storage/postgres/url.js";
import { MAIN } from "../../testkit/server-process.js";
import { backend } from "../support/backends.js";

/** `memoryd import <args> --storage <storage>`: exit status, the JSON report line and stderr. */
export function memorydImport(args: string[], storage: string) {
  const run = spawnSync(process.execPath, [MAIN, "import", ...args, "--storage", storage], { encoding: "utf8", timeout: 120_000 });
  const report = run.stdout.trim() ? JSON.parse(run.stdout.trim().split("\n").at(-1)!) : undefined;
  return { status: run.status, report, stderr: run.stderr };
}

/** Runs fixture `script` (in this folder) with `python` and returns the JSON of its last stdout line. */
export function runFixture<T>(python: string, script: string, args: string[]): T {
  if (!existsSync(python))
    throw new Error(`${python} is missing: the global set-up (test/global-setup.ts) creates it with scripts/python-venv.sh`);
  const run = spawnSync(python, [join(import.meta.dirname, script), ...args], { encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) throw new Error(`${script} failed: ${run.error?.message ?? ""}${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

/**
 * This test file's PostgreSQL database as the import reads it (`url`) and
 * as Agno's SQLAlchemy fixtures write it (`sqlalchemyUrl`, psycopg 3).
 */
export function postgresSource(): { unavailable: string | undefined; url: string; sqlalchemyUrl: string } {
  const postgres = backend("postgres");
  const url = postgres.unavailable ? "" : parsePostgresUrl(postgres.storageUrl()).connectionString;
  return { unavailable: postgres.unavailable, url, sqlalchemyUrl: url.replace(/^postgres(ql)?:\/\//, "postgresql+psycopg://") };
}
