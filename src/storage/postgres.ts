/**
 * The PostgreSQL backend (pg), for several memoryd replicas sharing one
 * database.
 *
 * Every write is a single statement or one transaction, so its atomicity is
 * PostgreSQL's: upserts are `INSERT ... ON CONFLICT`, conditional writes put
 * the etag in the `WHERE` clause, and a retried create with the same
 * request id waits on the unique index rather than racing a read. Schema
 * migrations take an advisory lock, so replicas starting together apply
 * each migration exactly once.
 *
 * Requires PostgreSQL 14 or newer (`extract` returning numeric keeps
 * microseconds exact) and the `pg_trgm` extension (in contrib, trusted:
 * a database owner can create it).
 *
 * @module
 */
import pg from "pg";
import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  EtagMismatchError,
  isSocketError,
  NotFoundError,
  RequestIdReusedError,
  StorageBusyError,
  StorageError,
  UnavailableError,
} from "./errors.js";
import {
  byUpdateTime,
  foldForSearch,
  newEtag,
  newMemoryId,
  nowMicros,
  remainingMs,
  requestFingerprint,
  SEARCH_WINDOW,
  startCursor,
  toPage,
  trigramSearchable,
} from "./records.js";
import type {
  ClearScope,
  ListQuery,
  MemoryDeletion,
  MemoryRecord,
  MemoryReplacement,
  MemoryStore,
  NewMemory,
  OperationOptions,
  Page,
  PoolStats,
  SearchQuery,
  SortDirection,
} from "./store.js";

export interface PostgresOptions {
  /** libpq-style URL as pg understands it, without memoryd's own parameters. */
  readonly connectionString: string;
  /** Schema holding memoryd's tables; created when missing. */
  readonly schema: string;
  /** Most connections the pool opens. */
  readonly poolMax: number;
  /** How long a call waits for a connection before failing with UNAVAILABLE. */
  readonly connectTimeoutMs: number;
}

/**
 * Versioned migrations, applied in order under an advisory lock; the
 * schema's `schema_migrations` table records which ran. Append only. `%s`
 * stands for the quoted schema name, `%trgm` for the schema pg_trgm lives in.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE %s.memories (
    user_id             text COLLATE "C" NOT NULL,
    memory_id           text COLLATE "C" NOT NULL,
    memory              text NOT NULL,
    memory_folded       text NOT NULL, -- foldForSearch(memory)
    topics              text[] NOT NULL,
    input               text,
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    etag                text NOT NULL,
    request_id          text COLLATE "C",
    request_fingerprint text,
    PRIMARY KEY (user_id, memory_id)
  );
  -- Every read is scoped to one user, so the ordered indexes start with user_id.
  CREATE INDEX memories_by_create_time ON %s.memories (user_id, create_time, memory_id);
  CREATE INDEX memories_by_update_time ON %s.memories (user_id, update_time, memory_id);
  CREATE UNIQUE INDEX memories_by_request_id ON %s.memories (user_id, request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX memories_by_topic ON %s.memories USING gin (topics);
  CREATE INDEX memories_by_trigram ON %s.memories USING gin (memory_folded %trgm.gin_trgm_ops);
  `,
];

/** Keys the advisory lock that serialises migrations of one schema across replicas. */
const MIGRATION_LOCK_NAMESPACE = "memoryd.migrations";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const micros = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::int8`;
const fromMicros = (param: string) => `(timestamptz 'epoch' + ${param}::int8 * interval '1 microsecond')`;

const COLUMNS = `user_id, memory_id, memory, topics, input, ${micros("create_time")} AS create_time, ${micros("update_time")} AS update_time, etag`;

interface Row {
  user_id: string;
  memory_id: string;
  memory: string;
  topics: string[];
  input: string | null;
  create_time: string;
  update_time: string;
  etag: string;
}

function toRecord(row: Row): MemoryRecord {
  return {
    userId: row.user_id,
    memoryId: row.memory_id,
    memory: row.memory,
    topics: row.topics,
    input: row.input ?? undefined,
    createTime: Number(row.create_time),
    updateTime: Number(row.update_time),
    etag: row.etag,
  };
}

/** `LIKE` pattern matching `text` literally anywhere (backslash is PostgreSQL's default LIKE escape). */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Translates pg and socket errors (SQLSTATE in `code`) into storage errors. */
function translate(err: unknown): Error {
  if (err instanceof StorageError || !(err instanceof Error)) return err as Error;
  const code = (err as { code?: string }).code ?? "";
  if (code === "40001" || code === "40P01") {
    return new ConflictError("transaction conflicted with a concurrent one", { cause: err });
  }
  // lock_timeout: another transaction held the row for longer than the database allows a wait.
  if (code === "55P03") return new StorageBusyError("a lock the write needed was held too long by another transaction", { cause: err });
  // statement_timeout (or an administrator's cancel): the database gave up on the statement.
  if (code === "57014") return new DeadlineExceededError("PostgreSQL cancelled the statement (statement_timeout)", { cause: err });
  if (
    code.startsWith("08") ||
    code.startsWith("53") ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    isSocketError(err) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i.test(err.message)
  ) {
    return new UnavailableError(`PostgreSQL unavailable: ${err.message}`, { cause: err });
  }
  return new StorageError(`postgres: ${err.message}${code ? ` (${code})` : ""}`, { cause: err });
}

const isUniqueViolation = (err: unknown, constraint: string) =>
  err instanceof pg.DatabaseError && err.code === "23505" && err.constraint === constraint;

/**
 * The SQL memoryd runs against `schema`, exported so the tests can ask
 * PostgreSQL for the plans of exactly these statements.
 */
export function statements(schema: string) {
  const table = `"${schema}".memories`;
  const select = (where: string, order = "", limit = "") => `SELECT ${COLUMNS} FROM ${table} WHERE ${where} ${order} ${limit}`;
  // Qualified: a bare `create_time` in ORDER BY means the output column of
  // that name, the computed microseconds, which no index can deliver in order.
  const orderBy = (column: string, direction: SortDirection) => {
    const dir = direction === "newest" ? "DESC" : "ASC";
    return `ORDER BY memories.${column} ${dir}, memories.memory_id ${dir}`;
  };
  const topicFilter = (param: string) => `(${param}::text[] IS NULL OR topics && ${param}::text[])`;
  const after = (column: string, direction: SortDirection, time: string, memoryId: string) =>
    `(memories.${column}, memories.memory_id) ${direction === "newest" ? "<" : ">"} (${fromMicros(time)}, ${memoryId})`;
  const list = (direction: SortDirection) =>
    select(`user_id = $1 AND ${after("create_time", direction, "$2", "$3")} AND ${topicFilter("$4")}`, orderBy("create_time", direction), "LIMIT $5");
  // Text search, like SQLite's, first checks the user's newest (or oldest)
  // $7 memories, then asks the trigram index; the planner cannot tell a
  // frequent word (walk the time index) from a rare one (trigram index).
  // Without text the query must not mention the trigram column, or the
  // planner may pick the trigram index for a filter that matches all.
  // $4 and $5 are the page's cursor, $6 the LIKE pattern.
  const search = (direction: SortDirection) => {
    const order = orderBy("update_time", direction);
    const where = `user_id = $1 AND ${topicFilter("$2")} AND ${after("update_time", direction, "$4", "$5")}`;
    return {
      all: select(where, order, "LIMIT $3"),
      text: select(`${where} AND memory_folded LIKE $6`, order, "LIMIT $3"),
      window: `SELECT ${COLUMNS} FROM (SELECT * FROM ${table} AS memories WHERE ${where} ${order} LIMIT $7) AS memories
        WHERE memory_folded LIKE $6 ${order} LIMIT $3`,
      // MATERIALIZED: planned without the LIMIT, so the planner takes the trigram index.
      index: `WITH matches AS MATERIALIZED (SELECT * FROM ${table} AS memories WHERE ${where} AND memory_folded LIKE $6)
        SELECT ${COLUMNS} FROM matches AS memories ${order} LIMIT $3`,
    };
  };
  // A write's time: $7, but after every update time the user's memories
  // carry (see timeAfter in records.ts), read in the same statement.
  const writeTime = `GREATEST(${fromMicros("$7")}, (SELECT max(update_time) FROM ${table} WHERE user_id = $1) + interval '1 microsecond')`;
  const times = `${micros("create_time")} AS create_time, ${micros("update_time")} AS update_time`;
  return {
    get: select("user_id = $1 AND memory_id = $2"),
    exists: `SELECT 1 FROM ${table} WHERE user_id = $1 AND memory_id = $2`,
    byRequestId: `SELECT ${COLUMNS}, request_fingerprint FROM ${table} WHERE user_id = $1 AND request_id = $2`,
    insert: `INSERT INTO ${table} (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag, request_id, request_fingerprint)
      SELECT $1, $2, $3, $4, $5, $6, t, t, $8, $9, $10 FROM (SELECT ${writeTime} AS t) AS now
      ON CONFLICT (user_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
      RETURNING ${times}`,
    importOne: `INSERT INTO ${table} (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag)
      VALUES ($1, $2, $3, $4, $5, $6, ${fromMicros("$9")}, ${fromMicros("$7")}, $8)
      ON CONFLICT (user_id, memory_id) DO NOTHING`,
    update: `UPDATE ${table} SET memory = $3, memory_folded = $4, topics = $5, input = $6, update_time = ${writeTime}, etag = $8
      WHERE user_id = $1 AND memory_id = $2 AND ($9::text IS NULL OR etag = $9)
      RETURNING ${times}`,
    upsert: `INSERT INTO ${table} (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag)
      SELECT $1, $2, $3, $4, $5, $6, t, t, $8 FROM (SELECT ${writeTime} AS t) AS now
      ON CONFLICT (user_id, memory_id) DO UPDATE SET
        memory = EXCLUDED.memory, memory_folded = EXCLUDED.memory_folded, topics = EXCLUDED.topics,
        input = EXCLUDED.input, update_time = EXCLUDED.update_time, etag = EXCLUDED.etag
      RETURNING ${times}`,
    delete: `DELETE FROM ${table} WHERE user_id = $1 AND memory_id = $2 AND ($3::text IS NULL OR etag = $3)`,
    clearUser: `DELETE FROM ${table} WHERE user_id = $1`,
    clearAll: `DELETE FROM ${table}`,
    list: { newest: list("newest"), oldest: list("oldest") },
    search: { newest: search("newest"), oldest: search("oldest") },
  };
}

/** The times a write's RETURNING clause reads back. */
interface WrittenTimes {
  create_time: string;
  update_time: string;
}

/** Runs one statement on the pool, or on the connection of a session. */
type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

export class PostgresStore implements MemoryStore {
  readonly backend = "postgres";
  readonly #pool: pg.Pool;
  readonly #connectionString: string;
  readonly #sql: ReturnType<typeof statements>;

  private constructor(pool: pg.Pool, options: PostgresOptions) {
    this.#pool = pool;
    this.#connectionString = options.connectionString;
    this.#sql = statements(options.schema);
  }

  /** Connects, migrates the schema (once across concurrent replicas) and returns the store. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new StorageError(`schema "${options.schema}" must be a lowercase SQL identifier`);
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolMax,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle connection that breaks emits "error" on the pool; unhandled it
    // would crash the process. The next query on a fresh connection reports
    // the outage through translate() instead.
    pool.on("error", ignore);
    try {
      await migrate(pool, options.schema);
      return new PostgresStore(pool, options);
    } catch (err) {
      await pool.end().catch(() => {});
      throw translate(err);
    }
  }

  async add(memories: readonly NewMemory[], options?: OperationOptions): Promise<MemoryRecord[]> {
    if (memories.length === 1) return [await this.#run(options, (query) => this.#addOne(query, memories[0]!, 0))];
    return this.#transaction(options, (query) => sequentially(memories, (memory, index) => this.#addOne(query, memory, index)));
  }

  async #addOne(query: Query, memory: NewMemory, index: number): Promise<MemoryRecord> {
    const now = nowMicros();
    const record: MemoryRecord = {
      userId: memory.userId,
      memoryId: memory.memoryId ?? newMemoryId(),
      memory: memory.memory,
      topics: memory.topics,
      input: memory.input,
      createTime: now,
      updateTime: now,
      etag: newEtag(),
    };
    const fingerprint = memory.requestId === undefined ? null : requestFingerprint(memory);
    let inserted;
    try {
      inserted = await query<WrittenTimes>(this.#sql.insert, [...contentParams(record), memory.requestId ?? null, fingerprint]);
    } catch (err) {
      if (isUniqueViolation(err, "memories_pkey")) throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
      throw err;
    }
    if (inserted.rows[0]) return withTimes(record, inserted.rows[0]);
    // The request id exists: this is a retry, or a reuse for something else.
    const earlier = await query<Row & { request_fingerprint: string }>(this.#sql.byRequestId, [memory.userId, memory.requestId]);
    const row = earlier.rows[0];
    if (!row) throw new ConflictError(`request_id "${memory.requestId}" was deleted concurrently`);
    if (row.request_fingerprint !== fingerprint) throw new RequestIdReusedError(memory.requestId!, index);
    return toRecord(row);
  }

  async importMemories(records: readonly MemoryRecord[], options?: OperationOptions): Promise<number> {
    return this.#transaction(options, async (query) => {
      let written = 0;
      for (const record of records) {
        const result = await query(this.#sql.importOne, [...contentParams({ ...record, etag: newEtag() }), record.createTime]);
        written += result.rowCount ?? 0;
      }
      return written;
    });
  }

  async get(userId: string, memoryId: string, options?: OperationOptions): Promise<MemoryRecord> {
    const { rows } = await this.#run(options, (query) => query<Row>(this.#sql.get, [userId, memoryId]));
    if (!rows[0]) throw new NotFoundError(userId, memoryId);
    return toRecord(rows[0]);
  }

  async list(listing: ListQuery, options?: OperationOptions): Promise<Page> {
    const after = listing.after ?? startCursor(listing.direction);
    const { rows } = await this.#run(options, (query) =>
      query<Row>(this.#sql.list[listing.direction], [
        listing.userId,
        after.time,
        after.memoryId,
        listing.anyTopics.length ? listing.anyTopics : null,
        listing.pageSize + 1,
      ]),
    );
    return toPage(rows, listing.pageSize, toRecord);
  }

  async search(search: SearchQuery, options?: OperationOptions): Promise<Page> {
    const statements = this.#sql.search[search.direction];
    const after = search.after ?? startCursor(search.direction);
    const limit = search.limit + 1; // one more says whether another page follows
    const params: unknown[] = [search.userId, search.anyTopics.length ? search.anyTopics : null, limit, after.time, after.memoryId];
    const text = foldForSearch(search.text);
    const rows = await this.#run(options, async (query) => {
      if (text === "") return (await query<Row>(statements.all, params)).rows;
      params.push(containsPattern(text));
      if (!trigramSearchable(text)) return (await query<Row>(statements.text, params)).rows; // the planner's choice
      const recent = (await query<Row>(statements.window, [...params, SEARCH_WINDOW])).rows;
      if (recent.length >= limit) return recent;
      return (await query<Row>(statements.index, params)).rows;
    });
    return toPage(rows, search.limit, toRecord, byUpdateTime);
  }

  async replace(replacement: MemoryReplacement, options?: OperationOptions): Promise<MemoryRecord> {
    const { userId, memoryId } = replacement;
    const record: MemoryRecord = {
      userId,
      memoryId,
      memory: replacement.memory,
      topics: replacement.topics,
      input: replacement.input,
      createTime: 0, // set by the database, read back below
      updateTime: nowMicros(),
      etag: newEtag(),
    };
    return this.#run(options, async (query) => {
      const params = contentParams(record);
      const upsert = replacement.allowMissing && replacement.etag === undefined;
      const result = upsert
        ? await query<WrittenTimes>(this.#sql.upsert, params)
        : await query<WrittenTimes>(this.#sql.update, [...params, replacement.etag ?? null]);
      const row = result.rows[0];
      if (row) return withTimes(record, row);
      const exists = (await query(this.#sql.exists, [userId, memoryId])).rowCount === 1;
      if (exists || replacement.allowMissing) throw new EtagMismatchError(userId, memoryId);
      throw new NotFoundError(userId, memoryId);
    });
  }

  async delete(deletion: MemoryDeletion, options?: OperationOptions): Promise<void> {
    const { userId, memoryId } = deletion;
    await this.#run(options, async (query) => {
      const { rowCount } = await query(this.#sql.delete, [userId, memoryId, deletion.etag ?? null]);
      if (rowCount) return;
      if ((await query(this.#sql.exists, [userId, memoryId])).rowCount) throw new EtagMismatchError(userId, memoryId);
      if (!deletion.allowMissing) throw new NotFoundError(userId, memoryId);
    });
  }

  async clear(scope: ClearScope, options?: OperationOptions): Promise<number> {
    const { rowCount } = await this.#run(options, (query) =>
      "allUsers" in scope ? query(this.#sql.clearAll) : query(this.#sql.clearUser, [scope.userId]),
    );
    return rowCount ?? 0;
  }

  async ping(options?: OperationOptions): Promise<void> {
    await this.#run(options, (query) => query("SELECT 1"));
  }

  poolStats(): PoolStats {
    return { open: this.#pool.totalCount, idle: this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }

  /** One statement or a few, outside a transaction. */
  #run<T>(options: OperationOptions | undefined, operation: (query: Query) => Promise<T>): Promise<T> {
    return this.#session(options, false, operation);
  }

  /** Several statements in one transaction: all commit, or none. */
  #transaction<T>(options: OperationOptions | undefined, operation: (query: Query) => Promise<T>): Promise<T> {
    return this.#session(options, true, operation);
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
        return await operation((text, values) => this.#pool.query(prepared(text, values)));
      } catch (err) {
        throw translate(err);
      }
    }
    let client: pg.PoolClient;
    try {
      remainingMs(options);
      client = await this.#pool.connect();
    } catch (err) {
      throw translate(err);
    }
    // A checked-out client has no pool listener: a connection lost mid-query
    // would emit an unhandled "error" and kill the process. The query itself
    // fails too, and that error is what the caller gets.
    client.on("error", ignore);
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
      client.off("error", ignore);
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
    canceller.on("error", ignore);
    canceller
      .connect()
      .then(() => canceller.query("SELECT pg_cancel_backend($1)", [pid]))
      .catch(() => {}) // the connection is closed after the operation anyway
      .finally(() => canceller.end().catch(() => {}));
  }
}

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
  if (name === undefined) statementNames.set(text, (name = `memoryd_${statementNames.size}`));
  return { name, text, values };
}

/** For "error" events whose error also reaches the caller through a failing query. */
const ignore = () => {};

/** The record with the times its write's RETURNING clause read back. */
function withTimes(record: MemoryRecord, times: WrittenTimes): MemoryRecord {
  return { ...record, createTime: Number(times.create_time), updateTime: Number(times.update_time) };
}

/** Parameters $1..$8 shared by insert, update and upsert; $7 is the time the write asks for (see writeTime). */
function contentParams(record: MemoryRecord): unknown[] {
  return [
    record.userId,
    record.memoryId,
    record.memory,
    foldForSearch(record.memory),
    record.topics,
    record.input ?? null,
    record.updateTime,
    record.etag,
  ];
}

/** One at a time: statements on one transaction's connection cannot overlap. */
async function sequentially<T, R>(items: readonly T[], run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const [index, item] of items.entries()) results.push(await run(item, index));
  return results;
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  client.on("error", ignore); // see #session; the failing query reports it
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${MIGRATION_LOCK_NAMESPACE}:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT coalesce(max(version), 0) AS version FROM "${schema}".schema_migrations`);
    const version = rows[0]!.version;
    if (version > MIGRATIONS.length) {
      throw new StorageError(
        `database schema version ${version} is newer than this memoryd knows (${MIGRATIONS.length}); upgrade memoryd`,
      );
    }
    if (version < MIGRATIONS.length) {
      await client.query("CREATE EXTENSION IF NOT EXISTS pg_trgm");
      const ext = await client.query<{ schema: string }>(
        "SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_trgm'",
      );
      const trgmSchema = ext.rows[0]!.schema;
      for (const [index, migration] of MIGRATIONS.entries()) {
        if (index < version) continue;
        await client.query(migration.replaceAll("%s", `"${schema}"`).replaceAll("%trgm", trgmSchema));
        await client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [index + 1]);
      }
    }
    await client.query("COMMIT");
    client.release();
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    client.release(true);
    throw err;
  }
}
