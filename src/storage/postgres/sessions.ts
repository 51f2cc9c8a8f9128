/**
 * How the PostgreSQL store talks to the database: one pool, statements run
 * on it or on one checked-out connection (a session), named prepared
 * statements, and deadlines enforced by the database.
 *
 * @module
 */
import pg from "pg";
import { remainingMs } from "../deadline.js";
import { DeadlineExceededError } from "../errors.js";
import type { OperationOptions, PoolStats } from "../store.js";
import { ignoreErrorEvent, translate } from "./errors.js";
import type { PostgresOptions } from "./url.js";

/** Runs one statement on the pool, or on the connection of a session. */
export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

const statementNames = new Map<string, string>();

/**
 * Runs the fixed statements as named prepared statements: PostgreSQL parses
 * and plans each once per connection instead of once per call, CPU that a
 * small database server shares with everything else. Text search stays
 * unnamed: a generic plan for `LIKE $n` cannot know whether the pattern is
 * rare (use the trigram index) or common (walk the user's time index).
 */
function prepared(text: string, values: unknown[] | undefined): pg.QueryConfig {
  if (text.includes("memory_folded LIKE")) return { text, values };
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `memoryd_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

export class PostgresSessions {
  readonly pool: pg.Pool;
  readonly #connectionString: string;

  constructor(options: PostgresOptions) {
    this.#connectionString = options.connectionString;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolMax,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle connection that breaks emits "error" on the pool; unhandled it
    // would crash the process. The next query on a fresh connection reports
    // the outage through translate() instead.
    this.pool.on("error", ignoreErrorEvent);
  }

  /** One statement or a few, outside a transaction. */
  run<T>(options: OperationOptions | undefined, operation: (query: Query) => Promise<T>): Promise<T> {
    return this.#session(options, false, operation);
  }

  /** Several statements in one transaction: all commit, or none. */
  transaction<T>(options: OperationOptions | undefined, operation: (query: Query) => Promise<T>): Promise<T> {
    return this.#session(options, true, operation);
  }

  stats(): PoolStats {
    return { open: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /**
   * Runs `operation` on one pooled connection. With a deadline, a timer
   * cancels the running statement server-side (pg_cancel_backend) when the
   * deadline passes, so a statement the caller gave up on does not commit
   * later; that connection is then closed rather than reused, so a late
   * cancel can never hit someone else's statement.
   */
  async #session<T>(options: OperationOptions | undefined, transaction: boolean, operation: (query: Query) => Promise<T>): Promise<T> {
    if (options?.deadline === undefined && !transaction) {
      try {
        return await operation((text, values) => this.pool.query(prepared(text, values)));
      } catch (err) {
        throw translate(err);
      }
    }
    let client: pg.PoolClient;
    try {
      remainingMs(options);
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    // A checked-out client has no pool listener: a connection lost mid-query
    // would emit an unhandled "error" and kill the process. The query itself
    // fails too, and that error is what the caller gets.
    client.on("error", ignoreErrorEvent);
    let cancelled = false;
    const timer =
      options?.deadline === undefined
        ? undefined
        : setTimeout(() => {
            cancelled = true;
            this.#cancel(client);
          }, options.deadline - Date.now());
    const query: Query = (text, values) => {
      remainingMs(options);
      return client.query(prepared(text, values));
    };
    const release = (destroy?: boolean | Error) => {
      client.off("error", ignoreErrorEvent);
      client.release(destroy);
    };
    try {
      if (transaction) await client.query("BEGIN");
      const result = await operation(query);
      if (transaction) await client.query("COMMIT");
      clearTimeout(timer);
      release(cancelled);
      return result;
    } catch (err) {
      clearTimeout(timer);
      if (transaction && !cancelled) {
        // A connection whose rollback fails is broken and must not go back to the pool.
        await client.query("ROLLBACK").then(
          () => release(),
          (rollbackError: Error) => release(rollbackError),
        );
      } else {
        release(cancelled);
      }
      if (cancelled && err instanceof pg.DatabaseError && err.code === "57014") {
        throw new DeadlineExceededError("the call's deadline passed; PostgreSQL cancelled its statement", { cause: err });
      }
      throw translate(err);
    }
  }

  /** Cancels whatever `client`'s backend runs, from a fresh connection: the pool may be exhausted by blocked ones. */
  #cancel(client: pg.PoolClient): void {
    const pid = (client as unknown as { processID: number }).processID;
    const canceller = new pg.Client({ connectionString: this.#connectionString, connectionTimeoutMillis: 5000 });
    canceller.on("error", ignoreErrorEvent);
    canceller
      .connect()
      .then(() => canceller.query("SELECT pg_cancel_backend($1)", [pid]))
      .catch(() => {}) // the connection is closed after the operation anyway
      .finally(() => canceller.end().catch(() => {}));
  }
}
