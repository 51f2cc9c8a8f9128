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
import type pg from "pg";
import { nowMicros, wallClockMicros } from "../clock.js";
import { AlreadyExistsError, ConflictError, EtagMismatchError, NotFoundError, RequestIdReusedError, requireAllFound } from "../errors.js";
import { missedWriteError } from "../missed-write.js";
import { startCursor, toPage } from "../pages.js";
import { newEtag, newRecord, recordFromColumns, replacedRecord, requestFingerprint, updatedContent } from "../records.js";
import type * as Store from "../store.js";
import { NO_FILTER } from "../store.js";
import { foldForSearch, SEARCH_WINDOW, trigramSearchable } from "../text-search.js";
import { isUniqueViolation, translate } from "./errors.js";
import { assertSchemaName, migrate } from "./schema.js";
import { PostgresSessions, type Query } from "./sessions.js";
import {
  countStatement,
  labelsParam,
  listStatements,
  type Row,
  type Statements,
  statements,
  topicsStatement,
  type WrittenTimes,
  withTimes,
} from "./statements.js";
import type { PostgresOptions } from "./url.js";

/**
 * Parameters $1..$13 shared by the writes (see `statements`). $7 is the
 * time the write asks for; the statement keeps it after the user's newest
 * (see `writeTime` in statements.ts).
 */
function contentParams(record: Store.MemoryRecord): unknown[] {
  return [
    record.userId,
    record.memoryId,
    record.memory,
    foldForSearch(record.memory),
    record.topics,
    record.input ?? null,
    record.updateTime,
    record.etag,
    record.agentId ?? null,
    record.teamId ?? null,
    record.feedback ?? null,
    labelsParam(record.labels),
    record.expireTime ?? null,
  ];
}

/** One at a time: statements on one transaction's connection cannot overlap. */
async function sequentially<T, R>(items: readonly T[], run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const [index, item] of items.entries()) results.push(await run(item, index));
  return results;
}

/** How often an update without an etag reads again after a concurrent write changed the memory under it. */
const UPDATE_ATTEMPTS = 5;

export class PostgresStore implements Store.MemoryStore {
  readonly backend = "postgres";
  readonly capabilities = { atomicBatch: true };
  readonly #sessions: PostgresSessions;
  readonly #schema: string;
  readonly #sql: Statements;

  private constructor(sessions: PostgresSessions, schema: string) {
    this.#sessions = sessions;
    this.#schema = schema;
    this.#sql = statements(schema);
  }

  /** Connects, migrates the schema (once across concurrent replicas) and returns the store. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    assertSchemaName(options.schema);
    const sessions = new PostgresSessions(options);
    try {
      await migrate(sessions.pool, options.schema);
      return new PostgresStore(sessions, options.schema);
    } catch (err) {
      await sessions.close().catch(() => {});
      throw translate(err);
    }
  }

  async add(memories: readonly Store.NewMemory[], options?: Store.OperationOptions): Promise<Store.MemoryRecord[]> {
    if (memories.length === 1) return [await this.#sessions.run(options, (query) => this.#addOne(query, memories[0]!, 0))];
    return this.#sessions.transaction(options, (query) => this.#addInTransaction(query, memories));
  }

  async #addInTransaction(query: Query, memories: readonly Store.NewMemory[]): Promise<Store.MemoryRecord[]> {
    // A failed statement ends the transaction, so expired memories holding
    // a chosen id go first, not after an insert ran into them.
    const chosen = memories.filter((m) => m.memoryId !== undefined);
    if (chosen.length > 0) {
      await query(this.#sql.purgeManyIfExpired, [chosen.map((m) => m.userId), chosen.map((m) => m.memoryId), wallClockMicros()]);
    }
    return sequentially(memories, (memory, index) => this.#addOne(query, memory, index, true));
  }

  /**
   * Inserts one memory. Outside a transaction (`inTransaction` false) an
   * insert that runs into an expired memory's id removes it and tries again.
   */
  async #addOne(query: Query, memory: Store.NewMemory, index: number, inTransaction = false): Promise<Store.MemoryRecord> {
    const record = newRecord(memory, nowMicros());
    const fingerprint = memory.requestId === undefined ? null : requestFingerprint(memory);
    const now = wallClockMicros();
    let inserted: pg.QueryResult<WrittenTimes>;
    try {
      inserted = await query<WrittenTimes>(this.#sql.insert, [...contentParams(record), memory.requestId ?? null, fingerprint]);
    } catch (err) {
      if (!isUniqueViolation(err, "memories_pkey")) throw err;
      // An expired memory with the id is as good as deleted: remove it and insert again.
      const purged = !inTransaction && (await query(this.#sql.purgeIfExpired, [record.userId, record.memoryId, now])).rowCount;
      if (purged) return this.#addOne(query, memory, index, true);
      throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
    }
    if (inserted.rows[0]) return withTimes(record, inserted.rows[0]);
    // The request id exists: this is a retry, or a reuse for something else.
    const earlier = await query<Row & { request_fingerprint: string }>(this.#sql.byRequestId, [memory.userId, memory.requestId]);
    const row = earlier.rows[0];
    if (!row) throw new ConflictError(`request_id "${memory.requestId}" was deleted concurrently`);
    const found = recordFromColumns(row);
    if (found.expireTime !== undefined && found.expireTime <= now) {
      // No error was raised, so this works inside a transaction too; the second insert cannot find it again.
      await query(this.#sql.purgeIfExpired, [found.userId, found.memoryId, now]);
      return this.#addOne(query, memory, index, inTransaction);
    }
    if (row.request_fingerprint !== fingerprint) throw new RequestIdReusedError(memory.requestId!, index);
    return found;
  }

  async importMemories(
    records: readonly Store.MemoryRecord[],
    onConflict: Store.ImportConflict,
    options?: Store.OperationOptions,
  ): Promise<{ records: Store.MemoryRecord[]; written: number }> {
    const statement = onConflict === "skip" ? this.#sql.importSkip : this.#sql.importOverwrite;
    return this.#sessions.transaction(options, async (query) => {
      const now = wallClockMicros();
      let written = 0;
      const stored = await sequentially(records, async (given) => {
        const record = { ...given, etag: newEtag() };
        await query(this.#sql.purgeIfExpired, [record.userId, record.memoryId, now]);
        const { rowCount } = await query(statement, [...contentParams(record), record.createTime]);
        if (rowCount) {
          written++;
          return record;
        }
        return recordFromColumns((await query<Row>(this.#sql.get, [record.userId, record.memoryId])).rows[0]!);
      });
      return { records: stored, written };
    });
  }

  async get(userId: string, memoryId: string, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { rows } = await this.#sessions.run(options, (query) => query<Row>(this.#sql.get, [userId, memoryId]));
    const record = rows[0] && recordFromColumns(rows[0]);
    if (!record || (record.expireTime !== undefined && record.expireTime <= wallClockMicros())) throw new NotFoundError(userId, memoryId);
    return record;
  }

  async list(query: Store.ListQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const now = wallClockMicros();
    const text = foldForSearch(query.text);
    const sql = listStatements(`"${this.#schema}".memories`, query, query.after ?? startCursor(query.direction), text, now, SEARCH_WINDOW);
    const { rows, total } = await this.#sessions.run(options, async (run) => {
      const read = async (statement: { text: string; values: unknown[] }) => (await run<Row>(statement.text, statement.values)).rows;
      let rows: Row[];
      if (text === "") rows = await read(sql.all);
      else if (!trigramSearchable(text))
        rows = await read(sql.text); // the planner's choice
      else {
        rows = await read(sql.window);
        if (rows.length <= query.pageSize) rows = await read(sql.index);
      }
      if (!query.withTotal) return { rows, total: undefined };
      const count = countStatement(this.#schema, query, text, now);
      return { rows, total: Number((await run<{ count: string }>(count.text, count.values)).rows[0]!.count) };
    });
    return toPage(rows, query, recordFromColumns, total);
  }

  async replace(replacement: Store.MemoryReplacement, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { userId, memoryId, allowMissing } = replacement;
    const record = replacedRecord(replacement, nowMicros());
    return this.#sessions.run(options, async (query) => {
      const params = contentParams(record);
      const now = wallClockMicros();
      const upsert = allowMissing && replacement.etag === undefined;
      const result = upsert
        ? await query<WrittenTimes>(this.#sql.upsert, [...params, now])
        : await query<WrittenTimes>(this.#sql.update, [...params, replacement.etag ?? null, now]);
      const row = result.rows[0];
      if (row) return withTimes(record, row);
      throw missedWriteError({ operation: "replace", userId, memoryId, allowMissing, exists: await this.#exists(query, userId, memoryId) });
    });
  }

  async update(update: Store.MemoryUpdate, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { userId, memoryId } = update;
    return this.#sessions.run(options, async (query) => {
      // Read, merge, and write only if nobody wrote in between (the etag read); else read again.
      for (let attempt = 1; ; attempt++) {
        const { rows } = await query<Row>(this.#sql.get, [userId, memoryId]);
        const stored = rows[0] && recordFromColumns(rows[0]);
        if (!stored || (stored.expireTime !== undefined && stored.expireTime <= wallClockMicros()))
          throw new NotFoundError(userId, memoryId);
        if (update.etag !== undefined && update.etag !== stored.etag) throw new EtagMismatchError(userId, memoryId);
        const record = { ...stored, ...updatedContent(stored, update), updateTime: nowMicros(), etag: newEtag() };
        const result = await query<WrittenTimes>(this.#sql.update, [...contentParams(record), stored.etag, wallClockMicros()]);
        if (result.rows[0]) return withTimes(record, result.rows[0]);
        if (update.etag !== undefined)
          throw missedWriteError({
            operation: "replace",
            userId,
            memoryId,
            allowMissing: false,
            exists: await this.#exists(query, userId, memoryId),
          })!;
        if (attempt === UPDATE_ATTEMPTS) throw new ConflictError(`memory "${memoryId}" kept changing under the update`);
      }
    });
  }

  async delete(deletion: Store.MemoryDeletion, options?: Store.OperationOptions): Promise<void> {
    const { userId, memoryId, allowMissing } = deletion;
    await this.#sessions.run(options, async (query) => {
      const { rowCount } = await query(this.#sql.delete, [userId, memoryId, deletion.etag ?? null, wallClockMicros()]);
      if (rowCount) return;
      const exists = await this.#exists(query, userId, memoryId);
      const error = missedWriteError({ operation: "delete", userId, memoryId, allowMissing, exists });
      if (error) throw error;
    });
  }

  async deleteMany(deletion: Store.BatchDeletion, options?: Store.OperationOptions): Promise<number> {
    return this.#sessions.transaction(options, (query) => this.#deleteMany(query, deletion));
  }

  /** Within a transaction: a thrown error rolls the deletes back. */
  async #deleteMany(query: Query, deletion: Store.BatchDeletion): Promise<number> {
    const { userId, memoryIds } = deletion;
    const { rows } = await query<{ memory_id: string }>(this.#sql.deleteMany, [userId, memoryIds, wallClockMicros()]);
    const deleted = new Set(rows.map((r) => r.memory_id));
    requireAllFound(deletion, deleted);
    return deleted.size;
  }

  async consolidate(
    consolidation: Store.Consolidation,
    options?: Store.OperationOptions,
  ): Promise<{ records: Store.MemoryRecord[]; deleted: number }> {
    return this.#sessions.transaction(options, async (query) => {
      const deleted = await this.#deleteMany(query, consolidation);
      return { records: await this.#addInTransaction(query, consolidation.memories), deleted };
    });
  }

  async clear(scope: Store.ClearScope, options?: Store.OperationOptions): Promise<number> {
    const now = wallClockMicros();
    const { rows } = await this.#sessions.run(options, (query) =>
      "allUsers" in scope
        ? query<{ count: string }>(this.#sql.clearAll, [now])
        : query<{ count: string }>(this.#sql.clearUser, [scope.userId, now]),
    );
    return Number(rows[0]!.count);
  }

  async listTopics(query: Store.TopicsQuery, options?: Store.OperationOptions): Promise<Store.TopicsPage> {
    const statement = topicsStatement(this.#schema, query, wallClockMicros());
    const { rows } = await this.#sessions.run(options, (run) =>
      run<{ topic: string; memory_count: string }>(statement.text, statement.values),
    );
    const topics = rows.map((r) => ({ topic: r.topic, memoryCount: Number(r.memory_count) }));
    const more = topics.length > query.pageSize;
    const page = more ? topics.slice(0, query.pageSize) : topics;
    return { topics: page, next: more ? page.at(-1)!.topic : undefined };
  }

  async listUserStats(query: Store.UserStatsQuery, options?: Store.OperationOptions): Promise<Store.UserStatsPage> {
    const now = wallClockMicros();
    const after = query.after ?? { time: Number.MAX_SAFE_INTEGER, userId: "" };
    return this.#sessions.run(options, async (run) => {
      const { rows } = await run<{ user_id: string; memory_count: string; last_update_us: string }>(this.#sql.statsPage, [
        query.userId ?? null,
        after.time,
        after.userId,
        query.pageSize + 1,
        query.skip,
      ]);
      const more = rows.length > query.pageSize;
      const page = more ? rows.slice(0, query.pageSize) : rows;
      const expired = new Map(
        (await run<{ user_id: string; expired: string }>(this.#sql.expiredByUser, [now, page.map((r) => r.user_id)])).rows.map((r) => [
          r.user_id,
          Number(r.expired),
        ]),
      );
      const users: Store.UserStats[] = [];
      for (const row of page) {
        const count = Number(row.memory_count);
        const gone = expired.get(row.user_id) ?? 0;
        if (gone === 0) users.push({ userId: row.user_id, memoryCount: count, lastUpdateTime: Number(row.last_update_us) });
        else if (count > gone) {
          const latest = await run<{ update_us: string }>(this.#sql.latestLiveUpdate, [row.user_id, now]);
          users.push({ userId: row.user_id, memoryCount: count - gone, lastUpdateTime: Number(latest.rows[0]!.update_us) });
        }
      }
      const last = page.at(-1);
      const next = more && last ? { time: Number(last.last_update_us), userId: last.user_id } : undefined;
      if (!query.withTotal) return { users, next };
      let total: number;
      if (query.userId === undefined) total = Number((await run<{ count: string }>(this.#sql.liveUserCount, [now])).rows[0]!.count);
      else {
        const count = countStatement(this.#schema, { ...LIVE_COUNT, userId: query.userId }, "", now);
        total = Math.min(1, Number((await run<{ count: string }>(count.text, count.values)).rows[0]!.count));
      }
      return { users, next, total };
    });
  }

  async purgeExpired(limit: number, options?: Store.OperationOptions): Promise<number> {
    const { rowCount } = await this.#sessions.run(options, (query) => query(this.#sql.purgeExpired, [wallClockMicros(), limit]));
    return rowCount ?? 0;
  }

  async ping(options?: Store.OperationOptions): Promise<void> {
    await this.#sessions.run(options, (query) => query("SELECT 1"));
  }

  poolStats(): Store.PoolStats {
    return this.#sessions.stats();
  }

  async close(): Promise<void> {
    await this.#sessions.close();
  }

  async #exists(query: Query, userId: string, memoryId: string): Promise<boolean> {
    return (await query(this.#sql.exists, [userId, memoryId, wallClockMicros()])).rowCount === 1;
  }
}

/** A listing of every memory of a user that has not expired: what the counters answer. */
const LIVE_COUNT: Store.ListQuery = {
  userId: "",
  orderBy: "createTime",
  direction: "newest",
  filter: NO_FILTER,
  text: "",
  pageSize: 1,
  skip: 0,
  after: undefined,
  withTotal: true,
};
