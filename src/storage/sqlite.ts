/**
 * The embedded default backend: one SQLite file through better-sqlite3.
 *
 * better-sqlite3 is synchronous, so a call on the event loop runs start to
 * finish without yielding: inside one process no two writes ever
 * interleave. Writes and point reads run there; searches and filtered
 * lists, whose cost depends on how much a user stores, run on reader
 * threads (`sqlite-readers.ts`) so that they never stall other calls.
 * Write transactions use `BEGIN IMMEDIATE` so that several processes
 * sharing the file serialise on SQLite's write lock instead of failing
 * half-way through an upgrade from a read lock.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import {
  AlreadyExistsError,
  DeadlineExceededError,
  EtagMismatchError,
  NotFoundError,
  RequestIdReusedError,
  StorageBusyError,
  StorageError,
  StorageFullError,
  StorageLostError,
  UnavailableError,
} from "./errors.js";
import {
  byUpdateTime,
  foldForSearch,
  newEtag,
  newMemoryId,
  remainingMs,
  requestFingerprint,
  SEARCH_WINDOW,
  startCursor,
  timeAfter,
  toPage,
  trigramSearchable,
} from "./records.js";
import { ReaderError, type ReadStep, SqliteReaders } from "./sqlite-readers.js";
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
  SearchQuery,
  SortDirection,
} from "./store.js";

export interface SqliteOptions {
  /** File path, or ":memory:" for a private in-memory database. */
  readonly path: string;
  /**
   * `normal` (default) loses no committed write when the process dies, only
   * on power loss or an OS crash; `full` syncs the WAL on every commit and
   * survives those too, at the cost of one fsync per write.
   */
  readonly synchronous: "normal" | "full";
  /** How long a write waits for another process's lock before giving up. */
  readonly busyTimeoutMs: number;
  /**
   * Reader threads for searches and filtered lists; 0 runs them on the
   * event loop (always so for ":memory:", which other connections cannot open).
   */
  readonly readerThreads: number;
  /** SQLite's page cache per connection, in KiB (SQLite's default: 2,000). */
  readonly cacheKib: number;
}

/** Nice value of the reader threads: under CPU contention the event loop (gets, writes, health) goes first. */
const READER_NICE = 10;

/**
 * Versioned schema migrations; `PRAGMA user_version` records how many have
 * run. Append only: a released migration is never edited.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE memories (
    -- A stable integer key for the full-text index: an implicit rowid may
    -- change under VACUUM, an INTEGER PRIMARY KEY never does.
    id                  INTEGER PRIMARY KEY,
    user_id             TEXT    NOT NULL,
    memory_id           TEXT    NOT NULL,
    memory              TEXT    NOT NULL,
    memory_folded       TEXT    NOT NULL, -- foldForSearch(memory)
    topics              TEXT    NOT NULL, -- JSON array of strings
    input               TEXT,
    create_time         INTEGER NOT NULL, -- microseconds since the epoch
    update_time         INTEGER NOT NULL,
    etag                TEXT    NOT NULL,
    request_id          TEXT,
    request_fingerprint TEXT,
    CONSTRAINT memories_user_memory UNIQUE (user_id, memory_id)
  ) STRICT;
  -- Every read is scoped to one user, so every index starts with user_id:
  -- the cost of a call does not depend on how much other users store.
  CREATE INDEX memories_by_create_time ON memories (user_id, create_time, memory_id);
  CREATE INDEX memories_by_update_time ON memories (user_id, update_time, memory_id);
  CREATE UNIQUE INDEX memories_by_request_id ON memories (user_id, request_id) WHERE request_id IS NOT NULL;
  -- Substring search: an inverted index of each memory's trigrams, whose
  -- tokens carry the owner (see trigramTokens), so a search reads only the
  -- caller's posting lists. Kept in step by triggers.
  CREATE VIRTUAL TABLE memories_trigrams USING fts5(
    tokens, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii'
  );
  CREATE TRIGGER memories_trigrams_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_trigrams (rowid, tokens) VALUES (new.id, memoryd_trigram_tokens(new.user_id, new.memory_folded));
  END;
  CREATE TRIGGER memories_trigrams_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memories_trigrams WHERE rowid = old.id;
  END;
  CREATE TRIGGER memories_trigrams_update AFTER UPDATE OF memory_folded ON memories BEGIN
    DELETE FROM memories_trigrams WHERE rowid = old.id;
    INSERT INTO memories_trigrams (rowid, tokens) VALUES (new.id, memoryd_trigram_tokens(new.user_id, new.memory_folded));
  END;
  `,
];

const COLUMNS = "user_id, memory_id, memory, topics, input, create_time, update_time, etag";

/**
 * A row as read, in COLUMNS order. Statements return arrays (better-sqlite3's
 * raw mode): building an object per row with named keys costs more than the
 * query itself on a page of results.
 */
type Row = [
  userId: string,
  memoryId: string,
  memory: string,
  topics: string,
  input: string | null,
  createTime: number,
  updateTime: number,
  etag: string,
];

function toRecord(row: Row): MemoryRecord {
  return {
    userId: row[0],
    memoryId: row[1],
    memory: row[2],
    topics: JSON.parse(row[3]) as string[],
    input: row[4] ?? undefined,
    createTime: row[5],
    updateTime: row[6],
    etag: row[7],
  };
}

/** Topic filter as one JSON parameter, so every statement is prepared once whatever the topic count. */
function topicsParam(topics: readonly string[]): string | null {
  return topics.length === 0 ? null : JSON.stringify(topics);
}

const TOPIC_FILTER = `(:topics IS NULL OR EXISTS (
  SELECT 1 FROM json_each(memories.topics) AS t WHERE t.value IN (SELECT value FROM json_each(:topics))))`;

/**
 * `condition`, evaluated only after `memoryd_before_deadline()` (CASE fixes
 * the order), so every row a statement examines checks the call's deadline
 * and a statement cannot run past it.
 */
const withinDeadline = (condition: string) => `CASE WHEN memoryd_before_deadline() THEN ${condition} END`;

function orderBy(column: string, direction: SortDirection): string {
  const dir = direction === "newest" ? "DESC" : "ASC";
  return `ORDER BY ${column} ${dir}, memory_id ${dir}`;
}

/** Rows strictly after the cursor (:time, :memoryId) in the listing's direction. */
function after(column: string, direction: SortDirection): string {
  return `(${column}, memory_id) ${direction === "newest" ? "<" : ">"} (:time, :memoryId)`;
}

/** Exported, like `searchSql`, so the tests can ask SQLite for the plans of exactly these statements. */
export function listSql(direction: SortDirection): string {
  return `SELECT ${COLUMNS} FROM memories
    WHERE user_id = :userId AND ${after("create_time", direction)} AND ${withinDeadline(TOPIC_FILTER)}
    ${orderBy("create_time", direction)} LIMIT :limit`;
}

/**
 * Text search runs in one of three ways (see `search`): a scan of the
 * user's memories in order, that scan cut off after :window memories, or
 * the trigram index. Each starts after the page's cursor.
 */
export function searchSql(direction: SortDirection) {
  const order = orderBy("update_time", direction);
  const start = `user_id = :userId AND ${after("update_time", direction)}`;
  return {
    scan: `SELECT ${COLUMNS} FROM memories
      WHERE ${start} AND ${withinDeadline(`(:text = '' OR instr(memory_folded, :text) > 0) AND ${TOPIC_FILTER}`)}
      ${order} LIMIT :limit`,
    window: `SELECT ${COLUMNS} FROM (
        SELECT ${COLUMNS}, memory_folded FROM memories WHERE ${start} AND ${withinDeadline(TOPIC_FILTER)} ${order} LIMIT :window)
      WHERE instr(memory_folded, :text) > 0 ${order} LIMIT :limit`,
    // CROSS JOIN keeps SQLite from walking the user's whole time index and
    // probing the match for every row: the few candidates come first.
    index: `SELECT ${COLUMNS} FROM memories_trigrams CROSS JOIN memories ON memories.id = memories_trigrams.rowid
      WHERE memories_trigrams MATCH :match AND ${start} AND ${withinDeadline(`instr(memory_folded, :text) > 0 AND ${TOPIC_FILTER}`)}
      ${order} LIMIT :limit`,
  };
}

/** Most trigrams of a query looked up in the index; the candidates are checked against the whole query anyway. */
const MAX_QUERY_TRIGRAMS = 24;

const userTags = new Map<string, string>();

/** 16 hex digits standing for a user in index tokens (cached: every write and search needs one). */
function userTag(userId: string): string {
  let tag = userTags.get(userId);
  if (tag === undefined) {
    if (userTags.size >= 4096) userTags.clear();
    tag = createHash("sha256").update(userId).digest("hex").slice(0, 16);
    userTags.set(userId, tag);
  }
  return tag;
}

/**
 * A user's trigrams of `text` (repeats included), each as an index token
 * `u<user tag>t<trigram as UTF-8 hex>`. Hot on every write: it hex-encodes
 * the text once and cuts trigrams out at code point boundaries.
 */
function userTrigrams(userId: string, text: string): string[] {
  const hex = Buffer.from(text, "utf8").toString("hex");
  const offsets = new Int32Array(text.length + 1);
  let count = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    offsets[count++] = at;
    const unit = text.charCodeAt(i);
    if (unit < 0x80) at += 2;
    else if (unit < 0x800) at += 4;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      at += 8; // a surrogate pair: one 4-byte code point
      i++;
    } else at += 6; // lone surrogates are encoded as U+FFFD, 3 bytes
  }
  offsets[count] = at;
  const prefix = `u${userTag(userId)}t`;
  const tokens: string[] = [];
  for (let k = 0; k + 3 <= count; k++) tokens.push(prefix + hex.slice(offsets[k], offsets[k + 3]));
  return tokens;
}

/**
 * The index document of one memory. Tokens name their owner, so every
 * posting list holds one user's memories: a search costs what the caller
 * stores, never what other tenants store, and its timing tells nothing
 * about their data. (A shared trigram index would do both.)
 */
export function trigramTokens(userId: string, folded: string): string {
  return userTrigrams(userId, folded).join(" ");
}

/** An FTS5 query for memories holding a spread of the query's trigrams, all of them. */
function trigramQuery(userId: string, folded: string): string {
  const tokens = [...new Set(userTrigrams(userId, folded))];
  const step = Math.max(1, tokens.length / MAX_QUERY_TRIGRAMS);
  const picked: string[] = [];
  for (let i = 0; i < tokens.length && picked.length < MAX_QUERY_TRIGRAMS; i += step) picked.push(tokens[Math.floor(i)]!);
  return picked.join(" AND ");
}

function mapValues<K extends string, V, R>(object: Record<K, V>, map: (value: V) => R): Record<K, R> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value as V)])) as Record<K, R>;
}

/** Thrown by `memoryd_before_deadline` on the event loop's connection. */
class DeadlinePassed extends Error {}

/**
 * Translates better-sqlite3's errors (which carry SQLite's extended result
 * code), also as a reader thread reports them, into storage errors.
 */
function translate(err: unknown): Error {
  if (err instanceof DeadlinePassed) return new DeadlineExceededError("the call's deadline passed during the query", { cause: err });
  if (err instanceof StorageError || !(err instanceof Database.SqliteError || err instanceof ReaderError)) return err as Error;
  const code = err.code ?? "";
  if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code.startsWith("SQLITE_LOCKED")) {
    return new StorageBusyError("the database stayed locked by another process longer than busy_timeout_ms", { cause: err });
  }
  if (code === "SQLITE_FULL") return new StorageFullError("the database's disk is full: nothing was written", { cause: err });
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY")) {
    return new UnavailableError(`database file cannot be written (${code})`, { cause: err });
  }
  return new StorageError(`sqlite: ${err.message} (${code})`, { cause: err });
}

/** A write waiting for the next group commit. */
interface PendingWrite {
  readonly options: OperationOptions | undefined;
  readonly operation: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Which file a path names: its device and inode. */
type FileIdentity = Pick<Stats, "dev" | "ino">;

function identity(path: string): FileIdentity | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats && { dev: stats.dev, ino: stats.ino };
}

const sameFile = (a: FileIdentity | undefined, b: FileIdentity | undefined) => a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;

export class SqliteStore implements MemoryStore {
  readonly backend = "sqlite";
  readonly #db: Database.Database;
  readonly #statements;
  /** Reader threads for searches and filtered lists; undefined: they run on the event loop. */
  readonly #readers: SqliteReaders | undefined;
  /** The database file (and WAL) this connection opened, to notice when the path no longer names them. */
  readonly #file: { readonly path: string; readonly db: FileIdentity | undefined; wal: FileIdentity | undefined } | undefined;
  /** Writes waiting for the next group commit (see `#write`). */
  #pending: PendingWrite[] = [];
  /** The deadline `memoryd_before_deadline` enforces for statements on this connection. */
  #deadline = Number.POSITIVE_INFINITY;

  private constructor(db: Database.Database, options: SqliteOptions) {
    this.#db = db;
    db.function("memoryd_before_deadline", { deterministic: false }, () => {
      if (Date.now() >= this.#deadline) throw new DeadlinePassed("deadline passed");
      return 1;
    });
    if (options.path !== ":memory:") {
      const path = resolve(options.path);
      this.#file = { path, db: identity(path), wal: identity(`${path}-wal`) };
      if (options.readerThreads > 0) {
        const { readerThreads: threads, busyTimeoutMs, cacheKib } = options;
        this.#readers = new SqliteReaders({ path, threads, busyTimeoutMs, cacheKib, nice: READER_NICE });
      }
    }
    const prepare = (sql: string) => db.prepare(sql);
    const rows = (sql: string) => db.prepare(sql).raw(true);
    this.#statements = {
      get: rows(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND memory_id = ?`),
      latestUpdate: prepare(`SELECT max(update_time) FROM memories WHERE user_id = ?`).pluck(),
      etagOf: prepare(`SELECT etag FROM memories WHERE user_id = ? AND memory_id = ?`).pluck(),
      byRequestId: rows(`SELECT ${COLUMNS}, request_fingerprint FROM memories WHERE user_id = ? AND request_id = ?`),
      insert: prepare(
        `INSERT INTO memories (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag, request_id, request_fingerprint)
         VALUES (:userId, :memoryId, :memory, :folded, :topics, :input, :createTime, :updateTime, :etag, :requestId, :fingerprint)`,
      ),
      importOne: prepare(
        `INSERT INTO memories (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag)
         VALUES (:userId, :memoryId, :memory, :folded, :topics, :input, :createTime, :updateTime, :etag)
         ON CONFLICT (user_id, memory_id) DO NOTHING`,
      ),
      update: prepare(
        `UPDATE memories SET memory = :memory, memory_folded = :folded, topics = :topics, input = :input, update_time = :updateTime, etag = :etag
         WHERE user_id = :userId AND memory_id = :memoryId
         RETURNING create_time`,
      ).pluck(),
      delete: prepare(
        `DELETE FROM memories WHERE user_id = :userId AND memory_id = :memoryId AND (:etag IS NULL OR etag = :etag)`,
      ),
      clearUser: prepare(`DELETE FROM memories WHERE user_id = ?`),
      clearAll: prepare(`DELETE FROM memories`),
      list: { newest: rows(listSql("newest")), oldest: rows(listSql("oldest")) },
      search: {
        newest: mapValues(searchSql("newest"), rows),
        oldest: mapValues(searchSql("oldest"), rows),
      },
      ping: prepare(`SELECT 1`).pluck(),
      begin: prepare("BEGIN IMMEDIATE"),
      commit: prepare("COMMIT"),
      rollback: prepare("ROLLBACK"),
      savepoint: prepare("SAVEPOINT memoryd_write"),
      release: prepare("RELEASE memoryd_write"),
      rollbackToSavepoint: prepare("ROLLBACK TO memoryd_write"),
    };
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(options: SqliteOptions): SqliteStore {
    // Memories are personal data: a directory memoryd creates is private to its user.
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { timeout: options.busyTimeoutMs });
      db.function("memoryd_trigram_tokens", { deterministic: true }, (userId, folded) => trigramTokens(String(userId), String(folded)));
      // A new database file is private to memoryd's user; SQLite gives the WAL the same mode.
      if (options.path !== ":memory:" && statSync(options.path).size === 0) chmodSync(options.path, 0o600);
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      db.pragma(`cache_size = ${-options.cacheKib}`);
      migrate(db);
      return new SqliteStore(db, options);
    } catch (err) {
      db?.close();
      throw translate(err);
    }
  }

  async add(memories: readonly NewMemory[], options?: OperationOptions): Promise<MemoryRecord[]> {
    return this.#write(options, () => memories.map((memory, index) => this.#addOne(memory, index)));
  }

  #addOne(memory: NewMemory, index: number): MemoryRecord {
    let fingerprint: string | null = null;
    if (memory.requestId !== undefined) {
      fingerprint = requestFingerprint(memory);
      const earlier = this.#statements.byRequestId.get(memory.userId, memory.requestId) as
        | [...Row, fingerprint: string]
        | undefined;
      if (earlier) {
        if (earlier[8] !== fingerprint) throw new RequestIdReusedError(memory.requestId, index);
        return toRecord(earlier.slice(0, 8) as Row);
      }
    }
    const now = timeAfter(this.#statements.latestUpdate.get(memory.userId) as number | null);
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
    try {
      this.#statements.insert.run({
        ...this.#rowParams(record),
        createTime: now,
        requestId: memory.requestId ?? null,
        fingerprint,
      });
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code === "SQLITE_CONSTRAINT_UNIQUE" && err.message.includes("memories.memory_id")) {
        throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
      }
      throw err;
    }
    return record;
  }

  async importMemories(records: readonly MemoryRecord[], options?: OperationOptions): Promise<number> {
    return this.#write(options, () =>
      records.reduce(
        (written, record) =>
          written + this.#statements.importOne.run({ ...this.#rowParams({ ...record, etag: newEtag() }), createTime: record.createTime }).changes,
        0,
      ),
    );
  }

  async get(userId: string, memoryId: string, options?: OperationOptions): Promise<MemoryRecord> {
    const row = this.#read(options, () => this.#statements.get.get(userId, memoryId) as Row | undefined);
    if (!row) throw new NotFoundError(userId, memoryId);
    return toRecord(row);
  }

  async list(query: ListQuery, options?: OperationOptions): Promise<Page> {
    const after = query.after ?? startCursor(query.direction); // one statement serves every page
    const params = {
      userId: query.userId,
      time: after.time,
      memoryId: after.memoryId,
      topics: topicsParam(query.anyTopics),
      limit: query.pageSize + 1,
    };
    // Unfiltered, a page is an index range of at most pageSize + 1 rows: cheap
    // enough for the event loop. A topic filter may skip over any number of rows.
    const steps = [{ sql: listSql(query.direction), params }];
    const rows = query.anyTopics.length === 0 ? this.#read(options, () => this.#runSteps(steps)) : await this.#readElsewhere(query.userId, steps, options);
    return toPage(rows as Row[], query.pageSize, toRecord);
  }

  async search(query: SearchQuery, options?: OperationOptions): Promise<Page> {
    const sql = searchSql(query.direction);
    const text = foldForSearch(query.text);
    const after = query.after ?? startCursor(query.direction);
    const limit = query.limit + 1; // one more says whether another page follows
    const params = { userId: query.userId, text, topics: topicsParam(query.anyTopics), limit, time: after.time, memoryId: after.memoryId };
    const steps: ReadStep[] = trigramSearchable(text)
      ? [
          { sql: sql.window, params: { ...params, window: SEARCH_WINDOW }, enough: limit },
          { sql: sql.index, params: { ...params, match: trigramQuery(query.userId, text) } },
        ]
      : [{ sql: sql.scan, params }];
    const rows = await this.#readElsewhere(query.userId, steps, options);
    return toPage(rows as Row[], query.limit, toRecord, byUpdateTime);
  }

  /** Runs read steps on a reader thread, or on the event loop when the store has none. */
  async #readElsewhere(userId: string, steps: ReadStep[], options: OperationOptions | undefined): Promise<unknown[]> {
    if (!this.#readers) return this.#read(options, () => this.#runSteps(steps));
    try {
      remainingMs(options);
      return await this.#readers.read(userId, steps, options?.deadline);
    } catch (err) {
      throw translate(err);
    }
  }

  /** The rows of the first step that returns `enough`, or of the last step. */
  #runSteps(steps: readonly ReadStep[]): unknown[] {
    let rows: unknown[] = [];
    for (const step of steps) {
      rows = this.#db.prepare(step.sql).raw(true).all(step.params);
      if (step.enough !== undefined && rows.length >= step.enough) break;
    }
    return rows;
  }

  async replace(replacement: MemoryReplacement, options?: OperationOptions): Promise<MemoryRecord> {
    return this.#write(options, () => {
      const { userId, memoryId } = replacement;
      const storedEtag = this.#statements.etagOf.get(userId, memoryId) as string | undefined;
      if (storedEtag === undefined) {
        if (!replacement.allowMissing) throw new NotFoundError(userId, memoryId);
        if (replacement.etag !== undefined) throw new EtagMismatchError(userId, memoryId);
        const { memory, topics, input } = replacement;
        return this.#addOne({ userId, memoryId, memory, topics, input, requestId: undefined }, 0);
      }
      if (replacement.etag !== undefined && replacement.etag !== storedEtag) {
        throw new EtagMismatchError(userId, memoryId);
      }
      const replaced: MemoryRecord = {
        userId,
        memoryId,
        memory: replacement.memory,
        topics: replacement.topics,
        input: replacement.input,
        createTime: 0, // kept by the UPDATE, read back below
        updateTime: timeAfter(this.#statements.latestUpdate.get(userId) as number | null),
        etag: newEtag(),
      };
      const createTime = this.#statements.update.get(this.#rowParams(replaced)) as number;
      return { ...replaced, createTime };
    });
  }

  async delete(deletion: MemoryDeletion, options?: OperationOptions): Promise<void> {
    await this.#write(options, () => {
      const { userId, memoryId } = deletion;
      const { changes } = this.#statements.delete.run({ userId, memoryId, etag: deletion.etag ?? null });
      if (changes > 0) return;
      if (this.#statements.etagOf.get(userId, memoryId) !== undefined) throw new EtagMismatchError(userId, memoryId);
      if (!deletion.allowMissing) throw new NotFoundError(userId, memoryId);
    });
  }

  async clear(scope: ClearScope, options?: OperationOptions): Promise<number> {
    return this.#write(options, () =>
      "allUsers" in scope ? this.#statements.clearAll.run().changes : this.#statements.clearUser.run(scope.userId).changes,
    );
  }

  async ping(options?: OperationOptions): Promise<void> {
    this.#read(options, () => {
      this.#checkFile();
      this.#statements.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#commitPending();
    await this.#readers?.close();
    if (this.#db.open) this.#db.close();
  }

  /**
   * Fails with `StorageLostError` when the configured path no longer names
   * the file this connection has open (deleted or replaced under the
   * server): every later write would go to a file no restart will find.
   */
  #checkFile(): void {
    const file = this.#file;
    if (!file) return;
    const wal = identity(`${file.path}-wal`);
    if (file.wal === undefined) file.wal = wal; // created by the first write
    if (!sameFile(identity(file.path), file.db) || !sameFile(wal, file.wal)) {
      throw new StorageLostError(`the database file ${file.path} was deleted or replaced while memoryd had it open; restart memoryd once it is restored`);
    }
  }

  /** Named parameters shared by insert and update. */
  #rowParams(record: MemoryRecord) {
    return {
      userId: record.userId,
      memoryId: record.memoryId,
      memory: record.memory,
      folded: foldForSearch(record.memory),
      topics: JSON.stringify(record.topics),
      input: record.input ?? null,
      updateTime: record.updateTime,
      etag: record.etag,
    };
  }

  #read<T>(options: OperationOptions | undefined, operation: () => T): T {
    try {
      remainingMs(options);
      this.#deadline = options?.deadline ?? Number.POSITIVE_INFINITY;
      return operation();
    } catch (err) {
      throw translate(err);
    } finally {
      this.#deadline = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * Queues a write for the next group commit. Writes that arrive in the
   * same turn of the event loop (concurrent calls) share one transaction,
   * each inside its own savepoint: one fails alone, the others commit
   * together, and none is acknowledged before the commit. SQLite pays its
   * per-transaction costs (the WAL append, the full-text index's new
   * segment, an fsync with synchronous=full) once per batch instead of
   * once per call.
   */
  #write<T>(options: OperationOptions | undefined, operation: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ options, operation, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#commitPending());
    });
  }

  #commitPending(): void {
    let group = this.#pending;
    this.#pending = [];
    while (group.length > 0) group = this.#commitGroup(group);
  }

  /**
   * Runs one group of writes in one transaction and answers each from what
   * happened to it. Some errors (a full disk, an I/O error) make SQLite roll
   * back the whole transaction, not just the failing statement: then the
   * failing write is refused and the others, of which nothing was stored,
   * are returned to run again in a fresh transaction. Returns those.
   */
  /** Undoes the current write's savepoint; false when that failed and the transaction was rolled back whole. */
  #undoSavepoint(): boolean {
    try {
      this.#statements.rollbackToSavepoint.run();
      this.#statements.release.run();
      return true;
    } catch {
      if (this.#db.inTransaction) this.#statements.rollback.run();
      return false;
    }
  }

  #commitGroup(group: readonly PendingWrite[]): PendingWrite[] {
    const db = this.#db;
    const statements = this.#statements;
    try {
      this.#checkFile();
      statements.begin.run();
    } catch (err) {
      for (const write of group) write.reject(translate(err));
      return [];
    }
    const done: { write: PendingWrite; value: unknown }[] = [];
    for (const [index, write] of group.entries()) {
      try {
        remainingMs(write.options); // the deadline may have passed while queued
      } catch (error) {
        write.reject(error);
        continue;
      }
      try {
        statements.savepoint.run();
        const value = write.operation();
        statements.release.run();
        done.push({ write, value });
      } catch (error) {
        write.reject(translate(error));
        if (db.inTransaction && this.#undoSavepoint()) continue;
        return [...done.map((d) => d.write), ...group.slice(index + 1)];
      }
    }
    try {
      statements.commit.run();
    } catch (err) {
      // Nothing of the group was stored; a COMMIT that fails may leave the transaction open.
      if (db.inTransaction) statements.rollback.run();
      for (const { write } of done) write.reject(translate(err));
      return [];
    }
    for (const { write, value } of done) write.resolve(value);
    return [];
  }
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new StorageError(
        `database schema version ${version} is newer than this memoryd knows (${MIGRATIONS.length}); upgrade memoryd`,
      );
    }
    if (version === MIGRATIONS.length) return; // nothing to write: a full disk must not stop a start
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
