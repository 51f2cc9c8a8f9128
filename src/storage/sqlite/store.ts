/**
 * The embedded default backend: one SQLite file through better-sqlite3.
 *
 * better-sqlite3 is synchronous, so a call on the event loop runs start to
 * finish without yielding: inside one process no two writes ever
 * interleave. Writes (group-committed, see group-commit.ts) and point reads
 * run there; searches and filtered lists, whose cost depends on how much a
 * user stores, run on reader threads (readers.ts) so that they never stall
 * other calls. Write transactions use `BEGIN IMMEDIATE` so that several
 * processes sharing the file serialise on SQLite's write lock instead of
 * failing half-way through an upgrade from a read lock.
 *
 * @module
 */
import { chmodSync, statSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { timeAfter } from "../clock.js";
import { remainingMs } from "../deadline.js";
import { AlreadyExistsError, NotFoundError, RequestIdReusedError, StorageError } from "../errors.js";
import { missedWriteError } from "../missed-write.js";
import { byUpdateTime, startCursor, toPage } from "../pages.js";
import { newEtag, newRecord, replacedRecord, requestFingerprint } from "../records.js";
import type * as Store from "../store.js";
import { foldForSearch, SEARCH_WINDOW, trigramSearchable } from "../text-search.js";
import { DatabaseFile, prepareDirectory } from "./database-file.js";
import { DeadlinePassed, isDuplicateMemoryId, translate } from "./errors.js";
import { GroupCommit } from "./group-commit.js";
import { type ReadStep, SqliteReaders } from "./readers.js";
import { migrate, registerSchemaFunctions } from "./schema.js";
import {
  listSql,
  prepareStatements,
  type Row,
  type Statements,
  searchSql,
  topicsParam,
  toRecord,
  type WrittenTimes,
} from "./statements.js";
import { trigramQuery } from "./trigram-index.js";
import type { SqliteOptions } from "./url.js";

/** Nice value of the reader threads: under CPU contention the event loop (gets, writes, health) goes first. */
const READER_NICE = 10;

export class SqliteStore implements Store.MemoryStore {
  readonly backend = "sqlite";
  readonly capabilities = { atomicBatch: true };
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #writes: GroupCommit;
  /** Reader threads for searches and filtered lists; undefined: they run on the event loop. */
  readonly #readers: SqliteReaders | undefined;
  /** The file this connection opened; undefined for ":memory:". */
  readonly #file: DatabaseFile | undefined;
  /** The deadline `memoryd_before_deadline` enforces for statements on this connection. */
  #deadline = Number.POSITIVE_INFINITY;

  private constructor(db: Database.Database, options: SqliteOptions) {
    this.#db = db;
    db.function("memoryd_before_deadline", { deterministic: false }, () => {
      if (Date.now() >= this.#deadline) throw new DeadlinePassed();
      return 1;
    });
    if (options.path !== ":memory:") {
      const path = resolve(options.path);
      this.#file = new DatabaseFile(path);
      if (options.readerThreads > 0) {
        const { readerThreads: threads, busyTimeoutMs, cacheKib } = options;
        this.#readers = new SqliteReaders({ path, threads, busyTimeoutMs, cacheKib, nice: READER_NICE });
      }
    }
    this.#statements = prepareStatements(db);
    this.#writes = new GroupCommit(db, { beforeBegin: () => this.#file?.check(), translate });
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static async open(options: SqliteOptions): Promise<SqliteStore> {
    if (options.path !== ":memory:") prepareDirectory(options.path);
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { timeout: options.busyTimeoutMs });
      registerSchemaFunctions(db);
      // A new database file is private to memoryd's user; SQLite gives the WAL the same mode.
      if (options.path !== ":memory:" && statSync(options.path).size === 0) chmodSync(options.path, 0o600);
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      db.pragma(`cache_size = ${-options.cacheKib}`);
      migrate(db);
      return new SqliteStore(db, options);
    } catch (err) {
      db?.close();
      // A file that cannot be opened at start is a configuration error, not an outage to wait out.
      if (err instanceof Database.SqliteError && err.code.startsWith("SQLITE_CANTOPEN")) {
        throw new StorageError(`cannot open the database ${resolve(options.path)}`, { cause: err });
      }
      throw translate(err);
    }
  }

  async add(memories: readonly Store.NewMemory[], options?: Store.OperationOptions): Promise<Store.MemoryRecord[]> {
    return this.#writes.write(options, () => memories.map((memory, index) => this.#addOne(memory, index)));
  }

  #addOne(memory: Store.NewMemory, index: number): Store.MemoryRecord {
    let fingerprint: string | null = null;
    if (memory.requestId !== undefined) {
      fingerprint = requestFingerprint(memory);
      const earlier = this.#statements.byRequestId.get(memory.userId, memory.requestId) as [...Row, fingerprint: string] | undefined;
      if (earlier) {
        if (earlier[8] !== fingerprint) throw new RequestIdReusedError(memory.requestId, index);
        return toRecord(earlier.slice(0, 8) as Row);
      }
    }
    const record = newRecord(memory, this.#nextTime(memory.userId));
    try {
      this.#statements.insert.run({ ...this.#rowParams(record), requestId: memory.requestId ?? null, fingerprint });
    } catch (err) {
      if (isDuplicateMemoryId(err)) throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
      throw err;
    }
    return record;
  }

  async importMemories(records: readonly Store.MemoryRecord[], options?: Store.OperationOptions): Promise<number> {
    return this.#writes.write(options, () =>
      records.reduce(
        (written, record) => written + this.#statements.importOne.run(this.#rowParams({ ...record, etag: newEtag() })).changes,
        0,
      ),
    );
  }

  async get(userId: string, memoryId: string, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const row = this.#read(options, () => this.#statements.get.get(userId, memoryId) as Row | undefined);
    if (!row) throw new NotFoundError(userId, memoryId);
    return toRecord(row);
  }

  async list(query: Store.ListQuery, options?: Store.OperationOptions): Promise<Store.Page> {
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
    const rows =
      query.anyTopics.length === 0
        ? this.#read(options, () => this.#runSteps(steps))
        : await this.#readElsewhere(query.userId, steps, options);
    return toPage(rows as Row[], query.pageSize, toRecord);
  }

  async search(query: Store.SearchQuery, options?: Store.OperationOptions): Promise<Store.Page> {
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

  async replace(replacement: Store.MemoryReplacement, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    return this.#writes.write(options, () => {
      const { userId, memoryId, allowMissing } = replacement;
      const record = replacedRecord(replacement, this.#nextTime(userId));
      const params = this.#rowParams(record);
      const upsert = allowMissing && replacement.etag === undefined;
      const times = (
        upsert ? this.#statements.upsert.get(params) : this.#statements.update.get({ ...params, expectedEtag: replacement.etag ?? null })
      ) as WrittenTimes | undefined;
      if (times) return { ...record, createTime: times.create_time, updateTime: times.update_time };
      throw missedWriteError({ operation: "replace", userId, memoryId, allowMissing, exists: this.#exists(userId, memoryId) });
    });
  }

  async delete(deletion: Store.MemoryDeletion, options?: Store.OperationOptions): Promise<void> {
    await this.#writes.write(options, () => {
      const { userId, memoryId, allowMissing } = deletion;
      if (this.#statements.delete.run({ userId, memoryId, etag: deletion.etag ?? null }).changes > 0) return;
      const error = missedWriteError({ operation: "delete", userId, memoryId, allowMissing, exists: this.#exists(userId, memoryId) });
      if (error) throw error;
    });
  }

  async clear(scope: Store.ClearScope, options?: Store.OperationOptions): Promise<number> {
    return this.#writes.write(options, () =>
      "allUsers" in scope ? this.#statements.clearAll.run().changes : this.#statements.clearUser.run(scope.userId).changes,
    );
  }

  async ping(options?: Store.OperationOptions): Promise<void> {
    this.#read(options, () => {
      this.#file?.check();
      this.#statements.ping.get();
    });
  }

  async close(): Promise<void> {
    this.#writes.flush();
    await this.#readers?.close();
    if (this.#db.open) this.#db.close();
  }

  /** A write's time for `userId`, after the user's newest (see `timeAfter`); in the write transaction, so no other process can interleave. */
  #nextTime(userId: string): number {
    return timeAfter(this.#statements.latestUpdate.get(userId) as number | null);
  }

  #exists(userId: string, memoryId: string): boolean {
    return this.#statements.exists.get(userId, memoryId) !== undefined;
  }

  /** Named parameters of a record's row. */
  #rowParams(record: Store.MemoryRecord) {
    return {
      userId: record.userId,
      memoryId: record.memoryId,
      memory: record.memory,
      folded: foldForSearch(record.memory),
      topics: JSON.stringify(record.topics),
      input: record.input ?? null,
      createTime: record.createTime,
      updateTime: record.updateTime,
      etag: record.etag,
    };
  }

  /** Runs read steps on a reader thread, or on the event loop when the store has none. */
  async #readElsewhere(userId: string, steps: ReadStep[], options: Store.OperationOptions | undefined): Promise<unknown[]> {
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

  /** Runs a read on the event loop's connection, under the call's deadline. */
  #read<T>(options: Store.OperationOptions | undefined, operation: () => T): T {
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
}
