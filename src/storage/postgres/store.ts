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
import { nowMicros } from "../clock.js";
import { AlreadyExistsError, ConflictError, NotFoundError, RequestIdReusedError } from "../errors.js";
import { missedWriteError } from "../missed-write.js";
import { byUpdateTime, startCursor, toPage } from "../pages.js";
import { newEtag, newRecord, recordFromColumns, replacedRecord, requestFingerprint } from "../records.js";
import type * as Store from "../store.js";
import { foldForSearch, SEARCH_WINDOW, trigramSearchable } from "../text-search.js";
import { isUniqueViolation, translate } from "./errors.js";
import { assertSchemaName, migrate } from "./schema.js";
import { PostgresSessions, type Query } from "./sessions.js";
import { containsPattern, type Row, type Statements, statements, type WrittenTimes, withTimes } from "./statements.js";
import type { PostgresOptions } from "./url.js";

/**
 * Parameters $1..$8 shared by insert, update and upsert. $7 is the time the
 * write asks for; the statement keeps it after the user's newest (see
 * `writeTime` in statements.ts).
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
  ];
}

/** One at a time: statements on one transaction's connection cannot overlap. */
async function sequentially<T, R>(items: readonly T[], run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const [index, item] of items.entries()) results.push(await run(item, index));
  return results;
}

export class PostgresStore implements Store.MemoryStore {
  readonly backend = "postgres";
  readonly capabilities = { atomicBatch: true };
  readonly #sessions: PostgresSessions;
  readonly #sql: Statements;

  private constructor(sessions: PostgresSessions, schema: string) {
    this.#sessions = sessions;
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
    return this.#sessions.transaction(options, (query) => sequentially(memories, (memory, index) => this.#addOne(query, memory, index)));
  }

  async #addOne(query: Query, memory: Store.NewMemory, index: number): Promise<Store.MemoryRecord> {
    const record = newRecord(memory, nowMicros());
    const fingerprint = memory.requestId === undefined ? null : requestFingerprint(memory);
    let inserted: pg.QueryResult<WrittenTimes>;
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
    return recordFromColumns(row);
  }

  async importMemories(records: readonly Store.MemoryRecord[], options?: Store.OperationOptions): Promise<number> {
    return this.#sessions.transaction(options, async (query) => {
      let written = 0;
      for (const record of records) {
        const result = await query(this.#sql.importOne, [...contentParams({ ...record, etag: newEtag() }), record.createTime]);
        written += result.rowCount ?? 0;
      }
      return written;
    });
  }

  async get(userId: string, memoryId: string, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { rows } = await this.#sessions.run(options, (query) => query<Row>(this.#sql.get, [userId, memoryId]));
    if (!rows[0]) throw new NotFoundError(userId, memoryId);
    return recordFromColumns(rows[0]);
  }

  async list(query: Store.ListQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const after = query.after ?? startCursor(query.direction);
    const topics = query.anyTopics.length ? query.anyTopics : null;
    const { rows } = await this.#sessions.run(options, (run) =>
      run<Row>(this.#sql.list[query.direction], [query.userId, after.time, after.memoryId, topics, query.pageSize + 1]),
    );
    return toPage(rows, query.pageSize, recordFromColumns);
  }

  async search(query: Store.SearchQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const sql = this.#sql.search[query.direction];
    const after = query.after ?? startCursor(query.direction);
    const limit = query.limit + 1; // one more says whether another page follows
    const params: unknown[] = [query.userId, query.anyTopics.length ? query.anyTopics : null, limit, after.time, after.memoryId];
    const text = foldForSearch(query.text);
    const rows = await this.#sessions.run(options, async (run) => {
      if (text === "") return (await run<Row>(sql.all, params)).rows;
      params.push(containsPattern(text));
      if (!trigramSearchable(text)) return (await run<Row>(sql.text, params)).rows; // the planner's choice
      const recent = (await run<Row>(sql.window, [...params, SEARCH_WINDOW])).rows;
      if (recent.length >= limit) return recent;
      return (await run<Row>(sql.index, params)).rows;
    });
    return toPage(rows, query.limit, recordFromColumns, byUpdateTime);
  }

  async replace(replacement: Store.MemoryReplacement, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { userId, memoryId, allowMissing } = replacement;
    const record = replacedRecord(replacement, nowMicros());
    return this.#sessions.run(options, async (query) => {
      const params = contentParams(record);
      const upsert = allowMissing && replacement.etag === undefined;
      const result = upsert
        ? await query<WrittenTimes>(this.#sql.upsert, params)
        : await query<WrittenTimes>(this.#sql.update, [...params, replacement.etag ?? null]);
      const row = result.rows[0];
      if (row) return withTimes(record, row);
      throw missedWriteError({ operation: "replace", userId, memoryId, allowMissing, exists: await this.#exists(query, userId, memoryId) });
    });
  }

  async delete(deletion: Store.MemoryDeletion, options?: Store.OperationOptions): Promise<void> {
    const { userId, memoryId, allowMissing } = deletion;
    await this.#sessions.run(options, async (query) => {
      const { rowCount } = await query(this.#sql.delete, [userId, memoryId, deletion.etag ?? null]);
      if (rowCount) return;
      const error = missedWriteError({
        operation: "delete",
        userId,
        memoryId,
        allowMissing,
        exists: await this.#exists(query, userId, memoryId),
      });
      if (error) throw error;
    });
  }

  async clear(scope: Store.ClearScope, options?: Store.OperationOptions): Promise<number> {
    const { rowCount } = await this.#sessions.run(options, (query) =>
      "allUsers" in scope ? query(this.#sql.clearAll) : query(this.#sql.clearUser, [scope.userId]),
    );
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
    return (await query(this.#sql.exists, [userId, memoryId])).rowCount === 1;
  }
}
