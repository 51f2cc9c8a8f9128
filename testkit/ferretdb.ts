/**
 * FerretDB 1.x (MongoDB wire protocol over SQLite) on a free loopback port,
 * for the MongoDB backend tests.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { repositoryRoot } from "./paths.js";
import { exitOf, freePort, spawn, waitFor } from "./processes.js";

const ROOT = repositoryRoot();

export class FerretDbServer {
  #server: ChildProcess | undefined;
  #log = "";

  private constructor(
    readonly binary: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(binary: string): Promise<FerretDbServer> {
    const server = new FerretDbServer(binary, mkdtempSync(join(tmpdir(), "memoryd-ferretdb-")), await freePort());
    try {
      await server.start();
    } catch (err) {
      // A server that did not start leaves nothing behind: no process, no directory.
      await server.destroy();
      throw err;
    }
    return server;
  }

  url(database: string): string {
    return `mongodb://127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const args = ["--listen-addr", `127.0.0.1:${this.port}`, "--sqlite-dir", this.dir, "--log-level", "error"];
    this.#server = spawn(this.binary, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.#server.stderr!.on("data", (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000)));
    const server = this.#server;
    await waitFor(
      `FerretDB on port ${this.port}`,
      async () => {
        const client = new MongoClient(this.url("admin"), { serverSelectionTimeoutMS: 500 });
        try {
          await client.db("admin").command({ ping: 1 });
          return true;
        } finally {
          await client.close();
        }
      },
      () => (server.exitCode === null ? undefined : `ferretdb exited: ${this.#log}`),
    );
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.kill("SIGTERM");
    await exitOf(server);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The FerretDB version tools/ferretdb pins (an embedded FerretDB reports "unknown"). */
function ferretdbModuleVersion(): string {
  return (
    /github\.com\/FerretDB\/FerretDB (v[\w.-]+)/.exec(readFileSync(join(ROOT, "tools", "ferretdb", "go.mod"), "utf8"))?.[1] ?? "unknown"
  );
}

/**
 * What a MongoDB-compatible endpoint is, for the test log, and whether it
 * runs multi-document transactions (as memoryd decides it: a replica set or
 * mongos, and not FerretDB).
 */
export async function describeMongoDb(url: string): Promise<{ text: string; transactions: boolean }> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    const hello = await client.db("admin").command({ hello: 1 });
    const ferretdb = info.ferretdbVersion !== undefined;
    const transactions = !ferretdb && (hello.setName !== undefined || hello.msg === "isdbgrid");
    const text = `MongoDB ${info.version} wire protocol${ferretdb ? `, FerretDB ${ferretdbModuleVersion()}` : ""}${transactions ? ", transactions" : ", no transactions"}`;
    return { text, transactions };
  } finally {
    await client.close();
  }
}
