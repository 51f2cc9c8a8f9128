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
import { hasExpired, timeAfter, wallClockMicros } from "../clock.js";
import { remainingMs } from "../deadline.js";
import { AlreadyExistsError, EtagMismatchError, NotFoundError, RequestIdReusedError, requireAllFound, StorageError } from "../errors.js";
import { missedWriteError } from "../missed-write.js";
import { startCursor, toPage } from "../pages.js";
import { newEtag, newRecord, replacedRecord, requestFingerprint, updatedContent } from "../records.js";
import type * as Store from "../store.js";
import { foldForSearch, SEARCH_WINDOW, trigramSearchable } from "../text-search.js";
import { DatabaseFile, prepareDirectory } from "./database-file.js";
import { DeadlinePassed, isDuplicateMemoryId, translate } from "./errors.js";
import { GroupCommit } from "./group-commit.js";
import { type Read, type ReadResult, type ReadStep, SqliteReaders } from "./readers.js";
import { migrate, registerSchemaFunctions } from "./schema.js";
import {
  countSql,
  isFiltered,
  jsonParam,
  labelsParam,
  listParams,
  listSql,
  prepareStatements,
  ROW_LENGTH,
  type Row,
  type Statements,
  topicsSql,
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
  /** Listing statements prepared on this connection, by their text (see `listSql`: one per query shape). */
  readonly #listings = new Map<string, Database.Statement>();

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
    const now = wallClockMicros();
    let fingerprint: string | null = null;
    if (memory.requestId !== undefined) {
      fingerprint = requestFingerprint(memory);
      const earlier = this.#statements.byRequestId.get(memory.userId, memory.requestId) as [...Row, fingerprint: string] | undefined;
      if (earlier && hasExpired(earlier[12] ?? undefined, now)) this.#statements.purgeIfExpired.run(memory.userId, earlier[1], now);
      else if (earlier) {
        if (earlier[ROW_LENGTH] !== fingerprint) throw new RequestIdReusedError(memory.requestId, index);
        return toRecord(earlier.slice(0, ROW_LENGTH) as Row);
      }
    }
    const record = newRecord(memory, this.#nextTime(memory.userId));
    const params = { ...this.#rowParams(record), requestId: memory.requestId ?? null, fingerprint };
    try {
      this.#statements.insert.run(params);
    } catch (err) {
      if (!isDuplicateMemoryId(err)) throw err;
      // An expired memory with the id is as good as deleted: remove it and insert again.
      if (this.#statements.purgeIfExpired.run(record.userId, record.memoryId, now).changes === 0) {
        throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
      }
      this.#statements.insert.run(params);
    }
    return record;
  }

  async importMemories(
    records: readonly Store.MemoryRecord[],
    onConflict: Store.ImportConflict,
    options?: Store.OperationOptions,
  ): Promise<{ records: Store.MemoryRecord[]; written: number }> {
    return this.#writes.write(options, () => {
      const now = wallClockMicros();
      const statement = onConflict === "skip" ? this.#statements.importSkip : this.#statements.importOverwrite;
      let written = 0;
      const stored = records.map((given) => {
        const record = { ...given, etag: newEtag() };
        this.#statements.purgeIfExpired.run(record.userId, record.memoryId, now);
        const changes = statement.run(this.#rowParams(record)).changes;
        written += changes;
        return changes > 0 ? record : toRecord(this.#statements.get.get(record.userId, record.memoryId) as Row);
      });
      return { records: stored, written };
    });
  }

  async get(userId: string, memoryId: string, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const row = this.#read(options, () => this.#statements.get.get(userId, memoryId) as Row | undefined);
    if (!row || hasExpired(row[12] ?? undefined)) throw new NotFoundError(userId, memoryId);
    return toRecord(row);
  }

  async list(query: Store.ListQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const sql = listSql(query);
    const text = foldForSearch(query.text);
    const after = query.after ?? startCursor(query.direction); // one statement serves every page
    const params = listParams(query, wallClockMicros(), {
      time: after.time,
      memoryId: after.memoryId,
      afterUserId: after.userId ?? "",
      text,
    });
    const limit = query.pageSize + 1;
    // The trigram index is per user: a search across users reads them in order instead.
    const indexed = text !== "" && trigramSearchable(text) && query.userId !== undefined;
    const match = indexed ? { match: trigramQuery(query.userId!, text) } : {};
    const steps: ReadStep[] =
      text === ""
        ? [{ sql: sql.scan, params }]
        : indexed
          ? [
              { sql: sql.window, params: { ...params, window: SEARCH_WINDOW }, enough: limit },
              { sql: sql.index, params: { ...params, ...match } },
            ]
          : [{ sql: sql.textScan, params }];
    const read: Read = { steps, count: query.withTotal ? this.#countStep(query, { ...params, ...match }) : undefined };
    // Unfiltered and without text or skip, a page is an index range of at
    // most pageSize + 1 rows: cheap enough for the event loop. Anything else
    // may pass over any number of rows.
    const cheap = text === "" && !isFiltered(query.filter) && query.skip === 0 && query.userId !== undefined;
    const result = cheap ? this.#read(options, () => this.#runRead(read)) : await this.#readElsewhere(query.userId ?? "", read, options);
    return toPage(result.rows as Row[], query, toRecord, result.count);
  }

  /** The statement that counts a listing's matches: the per-user counters when nothing narrows it. */
  #countStep(query: Store.ListQuery, params: Record<string, unknown>): Read["count"] {
    if (query.text === "" && !isFiltered(query.filter) && query.userId !== undefined) {
      const statement = query.filter.showExpired ? this.#statements.userCount : this.#statements.liveCount;
      return { sql: statement.source, params };
    }
    const sql = countSql(query.filter, query.userId === undefined);
    const text = foldForSearch(query.text);
    const indexed = trigramSearchable(text) && query.userId !== undefined;
    return { sql: text === "" ? sql.scan : indexed ? sql.index : sql.textScan, params };
  }

  async replace(replacement: Store.MemoryReplacement, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    return this.#writes.write(options, () => {
      const { userId, memoryId, allowMissing } = replacement;
      this.#statements.purgeIfExpired.run(userId, memoryId, wallClockMicros());
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

  async update(update: Store.MemoryUpdate, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    // Read, merge and write in one transaction: nothing can change the memory in between.
    return this.#writes.write(options, () => {
      const { userId, memoryId } = update;
      this.#statements.purgeIfExpired.run(userId, memoryId, wallClockMicros());
      const row = this.#statements.get.get(userId, memoryId) as Row | undefined;
      if (!row) throw new NotFoundError(userId, memoryId);
      const stored = toRecord(row);
      if (update.etag !== undefined && update.etag !== stored.etag) throw new EtagMismatchError(userId, memoryId);
      const time = this.#nextTime(userId);
      const record = { ...stored, ...updatedContent(stored, update), updateTime: time, etag: newEtag() };
      this.#statements.update.run({ ...this.#rowParams(record), expectedEtag: stored.etag });
      return record;
    });
  }

  async delete(deletion: Store.MemoryDeletion, options?: Store.OperationOptions): Promise<void> {
    await this.#writes.write(options, () => {
      const { userId, memoryId, allowMissing } = deletion;
      this.#statements.purgeIfExpired.run(userId, memoryId, wallClockMicros());
      if (this.#statements.delete.run({ userId, memoryId, etag: deletion.etag ?? null }).changes > 0) return;
      const error = missedWriteError({ operation: "delete", userId, memoryId, allowMissing, exists: this.#exists(userId, memoryId) });
      if (error) throw error;
    });
  }

  async deleteMany(deletion: Store.BatchDeletion, options?: Store.OperationOptions): Promise<number> {
    return this.#writes.write(options, () => this.#deleteMany(deletion));
  }

  /** Within a write: thrown errors roll back with the write's savepoint. */
  #deleteMany(deletion: Store.BatchDeletion): number {
    const { userId, memoryIds } = deletion;
    const now = wallClockMicros();
    for (const memoryId of memoryIds) this.#statements.purgeIfExpired.run(userId, memoryId, now);
    const deleted = new Set(this.#statements.deleteMany.all({ userId, ids: jsonParam(memoryIds) }) as string[]);
    requireAllFound(deletion, deleted);
    return deleted.size;
  }

  async consolidate(
    consolidation: Store.Consolidation,
    options?: Store.OperationOptions,
  ): Promise<{ records: Store.MemoryRecord[]; deleted: number }> {
    return this.#writes.write(options, () => {
      const deleted = this.#deleteMany(consolidation);
      return { records: consolidation.memories.map((memory, index) => this.#addOne(memory, index)), deleted };
    });
  }

  async clear(scope: Store.ClearScope, options?: Store.OperationOptions): Promise<number> {
    return this.#writes.write(options, () => {
      const now = wallClockMicros();
      if ("allUsers" in scope) {
        const live = this.#statements.countAllLive.get(now) as number;
        this.#statements.clearAll.run();
        return live;
      }
      const live = this.#statements.countLive.get(scope.userId, now) as number;
      this.#statements.clearUser.run(scope.userId);
      return live;
    });
  }

  async listTopics(query: Store.TopicsQuery, options?: Store.OperationOptions): Promise<Store.TopicsPage> {
    const sql = topicsSql({
      user: query.userId !== undefined,
      agent: query.agentId !== undefined,
      team: query.teamId !== undefined,
      after: query.after !== undefined,
    });
    const params = {
      userId: query.userId ?? null,
      agentId: query.agentId ?? null,
      teamId: query.teamId ?? null,
      after: query.after ?? null,
      now: wallClockMicros(),
      limit: query.pageSize + 1,
    };
    const { rows } = await this.#readElsewhere(query.userId ?? "", { steps: [{ sql, params }] }, options);
    const topics = (rows as [string, number][]).map(([topic, memoryCount]) => ({ topic, memoryCount }));
    const more = topics.length > query.pageSize;
    const page = more ? topics.slice(0, query.pageSize) : topics;
    return { topics: page, next: more ? page.at(-1)!.topic : undefined };
  }

  async listUserStats(query: Store.UserStatsQuery, options?: Store.OperationOptions): Promise<Store.UserStatsPage> {
    return this.#read(options, () => {
      const now = wallClockMicros();
      const after = query.after ?? { time: Number.MAX_SAFE_INTEGER, userId: "" };
      const rows = this.#statements.statsPage.all({
        userId: query.userId ?? null,
        time: after.time,
        after: after.userId,
        limit: query.pageSize + 1,
        skip: query.skip,
      }) as [userId: string, memoryCount: number, lastUpdateTime: number][];
      const more = rows.length > query.pageSize;
      const page = more ? rows.slice(0, query.pageSize) : rows;
      const last = page.at(-1);
      const expired = new Map(
        this.#statements.expiredByUser.all({ now, users: JSON.stringify(page.map(([userId]) => userId)) }) as [string, number][],
      );
      const users: Store.UserStats[] = [];
      for (const [userId, count, lastUpdateTime] of page) {
        const gone = expired.get(userId) ?? 0;
        if (gone === 0) users.push({ userId, memoryCount: count, lastUpdateTime });
        else if (count > gone) {
          users.push({ userId, memoryCount: count - gone, lastUpdateTime: this.#statements.latestLiveUpdate.get(userId, now) as number });
        }
      }
      const total = query.withTotal
        ? query.userId === undefined
          ? (this.#statements.liveUserCount.get({ now }) as number)
          : Math.min(1, this.#statements.liveCount.get({ userId: query.userId, now }) as number)
        : undefined;
      const next = more && last ? { time: last[2], userId: last[0] } : undefined;
      return total === undefined ? { users, next } : { users, next, total };
    });
  }

  async purgeExpired(limit: number, options?: Store.OperationOptions): Promise<number> {
    return this.#writes.write(options, () => this.#statements.purgeExpired.run({ now: wallClockMicros(), limit }).changes);
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
      agentId: record.agentId ?? null,
      teamId: record.teamId ?? null,
      feedback: record.feedback ?? null,
      labels: labelsParam(record.labels),
      expireTime: record.expireTime ?? null,
      createTime: record.createTime,
      updateTime: record.updateTime,
      etag: record.etag,
    };
  }

  /** Runs a read on a reader thread, or on the event loop when the store has none. */
  async #readElsewhere(userId: string, read: Read, options: Store.OperationOptions | undefined): Promise<ReadResult> {
    if (!this.#readers) return this.#read(options, () => this.#runRead(read));
    try {
      remainingMs(options);
      return await this.#readers.read(userId, read, options?.deadline);
    } catch (err) {
      throw translate(err);
    }
  }

  /** A read on the event loop's connection, as a reader thread runs it (see `Read`). */
  #runRead(read: Read): ReadResult {
    let rows: unknown[] = [];
    for (const step of read.steps) {
      rows = this.#prepared(step.sql).all(step.params);
      if (step.enough !== undefined && rows.length >= step.enough) break;
    }
    const count = read.count ? ((this.#prepared(read.count.sql).get(read.count.params) as unknown[])[0] as number) : undefined;
    return { rows, count };
  }

  /** Listing statements by their text, prepared once each (raw rows). */
  #prepared(sql: string): Database.Statement {
    let statement = this.#listings.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql).raw(true);
      this.#listings.set(sql, statement);
    }
    return statement;
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
