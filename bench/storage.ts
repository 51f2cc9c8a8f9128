/**
 * A database for a benchmark or soak run: a fresh SQLite file, a throwaway
 * PostgreSQL cluster (fsync on), FerretDB, or POSTGRES_URL / MONGODB_URL /
 * an explicit storage URL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FerretDbServer } from "../test/support/ferretdb.js";
import { findPostgresBin, PostgresCluster } from "../test/support/postgres.js";
import { goTool } from "../test/support/tools.js";

export type BackendName = "sqlite" | "postgres" | "mongodb";

/** Returns a storage URL; `cleanups` receives what removes the database again. */
export async function benchStorage(backend: BackendName, explicit: string | undefined, cleanups: (() => unknown)[]): Promise<string> {
  if (explicit) return explicit;
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "memoryd-bench-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return `sqlite://${join(dir, "bench.db")}`;
  }
  if (backend === "postgres") {
    const external = process.env.POSTGRES_URL;
    if (external) return `${external}${external.includes("?") ? "&" : "?"}schema=bench_${Date.now()}`;
    const bin = await findPostgresBin();
    if (!bin) throw new Error("no PostgreSQL binaries: set PG_BIN or POSTGRES_URL");
    const cluster = await PostgresCluster.create(bin, { fsync: true });
    cleanups.push(() => cluster.destroy());
    console.log(`postgres: ${cluster.version} (throwaway cluster, fsync on)`);
    return cluster.url();
  }
  if (process.env.MONGODB_URL) return process.env.MONGODB_URL;
  const ferret = await FerretDbServer.create(goTool("ferretdb"));
  cleanups.push(() => ferret.destroy());
  console.log("mongodb: FerretDB (SQLite handler), not a real MongoDB: its figures say little about MongoDB itself");
  return ferret.url("memoryd_bench");
}
