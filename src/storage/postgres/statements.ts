/**
 * The SQL the PostgreSQL store runs, and the shape of its rows.
 *
 * @module
 */
import type { MemoryColumns } from "../records.js";
import type { MemoryRecord, SortDirection } from "../store.js";

const micros = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::int8`;
const fromMicros = (param: string) => `(timestamptz 'epoch' + ${param}::int8 * interval '1 microsecond')`;

const COLUMNS = `user_id, memory_id, memory, topics, input, ${micros("create_time")} AS create_us, ${micros("update_time")} AS update_us, etag`;

/** A row as read (the columns of every memory store, see `MemoryColumns`). */
export type Row = MemoryColumns;

/** The times a write's RETURNING clause reads back. */
export interface WrittenTimes {
  create_time: string;
  update_time: string;
}

/** The record with the times its write's RETURNING clause read back. */
export function withTimes(record: MemoryRecord, times: WrittenTimes): MemoryRecord {
  return { ...record, createTime: Number(times.create_time), updateTime: Number(times.update_time) };
}

/** `LIKE` pattern matching `text` literally anywhere (backslash is PostgreSQL's default LIKE escape). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

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
    select(
      `user_id = $1 AND ${after("create_time", direction, "$2", "$3")} AND ${topicFilter("$4")}`,
      orderBy("create_time", direction),
      "LIMIT $5",
    );
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

export type Statements = ReturnType<typeof statements>;
