/**
 * The embedded default backend: one SQLite file through better-sqlite3.
 *
 * better-sqlite3 is synchronous, so a call runs start to finish without
 * yielding to the event loop: inside one process no two operations ever
 * interleave, and a deadline can only be checked before a call starts. Write transactions still use `BEGIN IMMEDIATE` so that several
 * processes sharing the file serialise on SQLite's write lock instead of
 * failing half-way through an upgrade from a read lock.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  AlreadyExistsError,
  ConflictError,
  EtagMismatchError,
  NotFoundError,
  RequestIdReusedError,
  StorageError,
  UnavailableError,
} from "./errors.js";
import { foldForSearch, newEtag, newMemoryId, nowMicros, remainingMs, requestFingerprint } from "./records.js";
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
}

/**
 * Versioned schema migrations; `PRAGMA user_version` records how many have
 * run. Append only: a released migration is never edited.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE memories (
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
    PRIMARY KEY (user_id, memory_id)
  ) STRICT;
  -- Every read is scoped to one user, so every index starts with user_id:
  -- the cost of a call does not depend on how much other users store.
  CREATE INDEX memories_by_create_time ON memories (user_id, create_time, memory_id);
  CREATE INDEX memories_by_update_time ON memories (user_id, update_time, memory_id);
  CREATE UNIQUE INDEX memories_by_request_id ON memories (user_id, request_id) WHERE request_id IS NOT NULL;
  `,
];

const COLUMNS = "user_id, memory_id, memory, topics, input, create_time, update_time, etag";

interface Row {
  user_id: string;
  memory_id: string;
  memory: string;
  topics: string;
  input: string | null;
  create_time: number;
  update_time: number;
  etag: string;
}

function toRecord(row: Row): MemoryRecord {
  return {
    userId: row.user_id,
    memoryId: row.memory_id,
    memory: row.memory,
    topics: JSON.parse(row.topics) as string[],
    input: row.input ?? undefined,
    createTime: row.create_time,
    updateTime: row.update_time,
    etag: row.etag,
  };
}

/** Topic filter as one JSON parameter, so every statement is prepared once whatever the topic count. */
function topicsParam(topics: readonly string[]): string | null {
  return topics.length === 0 ? null : JSON.stringify(topics);
}

const TOPIC_FILTER = `(:topics IS NULL OR EXISTS (
  SELECT 1 FROM json_each(memories.topics) AS t WHERE t.value IN (SELECT value FROM json_each(:topics))))`;

/** First-page cursors that every real key sorts after, so one statement serves all pages. */
const START: Record<SortDirection, { time: number; memoryId: string }> = {
  newest: { time: Number.MAX_SAFE_INTEGER, memoryId: "" },
  oldest: { time: -1, memoryId: "" },
};

function orderBy(column: string, direction: SortDirection): string {
  const dir = direction === "newest" ? "DESC" : "ASC";
  return `ORDER BY ${column} ${dir}, memory_id ${dir}`;
}

function listSql(direction: SortDirection): string {
  const after = direction === "newest" ? "<" : ">";
  return `SELECT ${COLUMNS} FROM memories
    WHERE user_id = :userId AND (create_time, memory_id) ${after} (:time, :memoryId) AND ${TOPIC_FILTER}
    ${orderBy("create_time", direction)} LIMIT :limit`;
}

function searchSql(direction: SortDirection): string {
  return `SELECT ${COLUMNS} FROM memories
    WHERE user_id = :userId AND (:text = '' OR instr(memory_folded, :text) > 0) AND ${TOPIC_FILTER}
    ${orderBy("update_time", direction)} LIMIT :limit`;
}

/** Translates better-sqlite3's errors (which carry SQLite's extended result code) into storage errors. */
function translate(err: unknown): Error {
  if (err instanceof StorageError || !(err instanceof Database.SqliteError)) return err as Error;
  const code = err.code;
  if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code.startsWith("SQLITE_LOCKED")) {
    return new ConflictError("database is locked by another writer", { cause: err });
  }
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN") || code === "SQLITE_FULL" || code.startsWith("SQLITE_READONLY")) {
    return new UnavailableError(`database file cannot be written (${code})`, { cause: err });
  }
  return new StorageError(`sqlite: ${err.message} (${code})`, { cause: err });
}

export class SqliteStore implements MemoryStore {
  readonly backend = "sqlite";
  readonly #db: Database.Database;
  readonly #statements;

  private constructor(db: Database.Database) {
    this.#db = db;
    const prepare = (sql: string) => db.prepare(sql);
    this.#statements = {
      get: prepare(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND memory_id = ?`),
      etagOf: prepare(`SELECT etag FROM memories WHERE user_id = ? AND memory_id = ?`).pluck(),
      byRequestId: prepare(
        `SELECT ${COLUMNS}, request_fingerprint FROM memories WHERE user_id = ? AND request_id = ?`,
      ),
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
      list: { newest: prepare(listSql("newest")), oldest: prepare(listSql("oldest")) },
      search: { newest: prepare(searchSql("newest")), oldest: prepare(searchSql("oldest")) },
      ping: prepare(`SELECT 1`).pluck(),
    };
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(options: SqliteOptions): SqliteStore {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { timeout: options.busyTimeoutMs });
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      migrate(db);
      return new SqliteStore(db);
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
        | (Row & { request_fingerprint: string })
        | undefined;
      if (earlier) {
        if (earlier.request_fingerprint !== fingerprint) throw new RequestIdReusedError(memory.requestId, index);
        return toRecord(earlier);
      }
    }
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
    try {
      this.#statements.insert.run({
        ...this.#rowParams(record),
        createTime: now,
        requestId: memory.requestId ?? null,
        fingerprint,
      });
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
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
    const after = query.after ?? START[query.direction];
    const rows = this.#read(
      options,
      () =>
        this.#statements.list[query.direction].all({
          userId: query.userId,
          time: after.time,
          memoryId: after.memoryId,
          topics: topicsParam(query.anyTopics),
          limit: query.pageSize + 1,
        }) as Row[],
    );
    const more = rows.length > query.pageSize;
    const memories = (more ? rows.slice(0, query.pageSize) : rows).map(toRecord);
    const last = memories.at(-1);
    return { memories, next: more && last ? { time: last.createTime, memoryId: last.memoryId } : undefined };
  }

  async search(query: SearchQuery, options?: OperationOptions): Promise<MemoryRecord[]> {
    const rows = this.#read(
      options,
      () =>
        this.#statements.search[query.direction].all({
          userId: query.userId,
          text: foldForSearch(query.text),
          topics: topicsParam(query.anyTopics),
          limit: query.limit,
        }) as Row[],
    );
    return rows.map(toRecord);
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
        updateTime: nowMicros(),
        etag: newEtag(),
      };
      const createTime = this.#statements.update.get(this.#rowParams(replaced)) as number;
      return { ...replaced, createTime };
    });
  }

  async delete(deletion: MemoryDeletion, options?: OperationOptions): Promise<void> {
    this.#write(options, () => {
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
    this.#read(options, () => this.#statements.ping.get());
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
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
      return operation();
    } catch (err) {
      throw translate(err);
    }
  }

  #write<T>(options: OperationOptions | undefined, operation: () => T): T {
    try {
      remainingMs(options);
      return this.#db.transaction(operation).immediate();
    } catch (err) {
      throw translate(err);
    }
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
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
