/**
 * `npm run bench:agno`: starts memoryd on a fresh SQLite file and runs
 * bench/agno_vs_memoryd.py (Agno in process vs memoryd over gRPC) with the
 * project's .venv, which has agno==1.8.4 and the memoryd client.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "../testkit/server-process.js";
import { ROOT } from "./process.js";

const dir = mkdtempSync(join(tmpdir(), "memoryd-bench-agno-"));
const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${join(dir, "memoryd.db")}`] });
try {
  const python = join(ROOT, ".venv", "bin", "python");
  spawnSync(python, ["-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--force-reinstall", "./clients/python"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const run = spawnSync(python, [join(ROOT, "bench", "agno_vs_memoryd.py"), "--address", server.address, ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: "inherit",
  });
  process.exitCode = run.status ?? 1;
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
