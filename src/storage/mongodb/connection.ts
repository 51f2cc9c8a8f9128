/**
 * The MongoDB store's client: connecting, what the deployment can do,
 * pool occupancy, and replacing a client whose topology got stuck.
 *
 * @module
 */
import { type Collection, MongoClient } from "mongodb";
import type { PoolStats } from "../store.js";
import type { MemoryDocument } from "./documents.js";
import { translate } from "./errors.js";
import { type EtagClaim, EtagClaims } from "./etag-claims.js";
import { connectionStringOptions, type MongoDbOptions } from "./url.js";

/** One MongoClient and what memoryd uses of it. */
export interface Connection {
  readonly client: MongoClient;
  readonly memories: Collection<MemoryDocument>;
  /** Set on servers whose conditional updates are not atomic (FerretDB): see etag-claims.ts. */
  readonly claims: EtagClaims | undefined;
  readonly pool: PoolStats;
  /** Whether the deployment runs multi-document transactions (a replica set or mongos). */
  readonly transactions: boolean;
  /** Operations running on this client; a replaced client is closed once they are done. */
  active: number;
  replaced: boolean;
}

const RECONNECT_INTERVAL_MS = 5000;

async function connect(options: MongoDbOptions): Promise<Connection> {
  const client = new MongoClient(options.connectionString, {
    // While no server is reachable the driver holds every operation for
    // this long before failing it (its own default is 30 s): fail fast,
    // so callers get UNAVAILABLE and retry, and health notices. A
    // serverSelectionTimeoutMS in the URL still takes precedence.
    serverSelectionTimeoutMS: 1500,
    connectTimeoutMS: 5000,
    ...connectionStringOptions(options.connectionString),
  });
  const pool = countPoolEvents(client);
  try {
    await client.connect();
    const db = client.db(options.database);
    const info = await client.db("admin").command({ buildInfo: 1 });
    const ferretdb = info.ferretdbVersion !== undefined;
    const claims = ferretdb ? new EtagClaims(db.collection<EtagClaim>(`${options.collection}_etag_claims`)) : undefined;
    const hello = await client.db("admin").command({ hello: 1 });
    const transactions = !ferretdb && (hello.setName !== undefined || hello.msg === "isdbgrid");
    return { client, memories: db.collection<MemoryDocument>(options.collection), claims, pool, transactions, active: 0, replaced: false };
  } catch (err) {
    await client.close().catch(() => {});
    throw translate(err);
  }
}

/** Pool occupancy, counted from the driver's connection-pool (CMAP) events: it has no public gauge. */
function countPoolEvents(client: MongoClient): PoolStats {
  const pool = { open: 0, idle: 0, waiting: 0 };
  client.on("connectionCreated", () => {
    pool.open++;
    pool.idle++;
  });
  client.on("connectionClosed", () => {
    pool.open--;
    pool.idle = Math.max(0, pool.idle - 1);
  });
  client.on("connectionCheckOutStarted", () => pool.waiting++);
  client.on("connectionCheckOutFailed", () => pool.waiting--);
  client.on("connectionCheckedOut", () => {
    pool.waiting--;
    pool.idle--;
  });
  client.on("connectionCheckedIn", () => pool.idle++);
  return pool;
}

/** The current connection, and its replacement when it gets stuck. */
export class Connections {
  readonly #options: MongoDbOptions;
  #current: Connection;
  #reconnecting: Promise<void> | undefined;
  #lastReconnect = 0;

  private constructor(options: MongoDbOptions, current: Connection) {
    this.#options = options;
    this.#current = current;
  }

  static async open(options: MongoDbOptions): Promise<Connections> {
    return new Connections(options, await connect(options));
  }

  get current(): Connection {
    return this.#current;
  }

  /** Runs `operation` on the current client, translating its errors; a replaced client closes after its last operation. */
  async run<T>(operation: (connection: Connection) => Promise<T>): Promise<T> {
    const connection = this.#current;
    connection.active++;
    try {
      return await operation(connection);
    } catch (err) {
      throw translate(err);
    } finally {
      if (--connection.active === 0 && connection.replaced) void connection.client.close().catch(() => {});
    }
  }

  /**
   * Replaces a client that still cannot select a server although a new one
   * can. Seen with FerretDB restarting: the driver's topology kept reporting
   * the old connection error for good, while a fresh client connected at
   * once. Rate-limited, and only ever one at a time.
   */
  reconnect(): Promise<void> {
    if (this.#reconnecting || Date.now() - this.#lastReconnect < RECONNECT_INTERVAL_MS) return this.#reconnecting ?? Promise.resolve();
    this.#lastReconnect = Date.now();
    this.#reconnecting = connect(this.#options)
      .then((fresh) => {
        const stale = this.#current;
        this.#current = fresh;
        stale.replaced = true;
        // Closing it now would interrupt calls still running on it.
        if (stale.active === 0) void stale.client.close().catch(() => {});
      })
      .catch(() => {}) // still unreachable: the next probe tries again
      .finally(() => {
        this.#reconnecting = undefined;
      });
    return this.#reconnecting;
  }

  async close(): Promise<void> {
    await this.#current.client.close();
  }
}
