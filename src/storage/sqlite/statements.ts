/**
 * The SQL the SQLite store runs, and the shape of its rows. Exported so the
 * tests can ask SQLite for the plans of exactly these statements.
 *
 * @module
 */
import type Database from "better-sqlite3";
import type { MemoryRecord, SortDirection } from "../store.js";

const COLUMNS = "user_id, memory_id, memory, topics, input, create_time, update_time, etag";

/**
 * A row as read, in COLUMNS order. Statements return arrays (better-sqlite3's
 * raw mode): building an object per row with named keys costs more than the
 * query itself on a page of results.
 */
export type Row = [
  userId: string,
  memoryId: string,
  memory: string,
  topics: string,
  input: string | null,
  createTime: number,
  updateTime: number,
  etag: string,
];

export function toRecord(row: Row): MemoryRecord {
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

/** The times a write's RETURNING clause reads back. */
export interface WrittenTimes {
  create_time: number;
  update_time: number;
}

/** Topic filter as one JSON parameter, so every statement is prepared once whatever the topic count. */
export function topicsParam(topics: readonly string[]): string | null {
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

export function listSql(direction: SortDirection): string {
  return `SELECT ${COLUMNS} FROM memories
    WHERE user_id = :userId AND ${after("create_time", direction)} AND ${withinDeadline(TOPIC_FILTER)}
    ${orderBy("create_time", direction)} LIMIT :limit`;
}

/**
 * Text search runs in one of three ways (see `SqliteStore.search`): a scan
 * of the user's memories in order, that scan cut off after :window
 * memories, or the trigram index. Each starts after the page's cursor.
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

const CONTENT = `memory = :memory, memory_folded = :folded, topics = :topics, input = :input, update_time = :updateTime, etag = :etag`;

/** Every statement the event loop's connection runs, prepared once. */
export function prepareStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql);
  const rows = (sql: string) => db.prepare(sql).raw(true);
  return {
    get: rows(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND memory_id = ?`),
    exists: prepare(`SELECT 1 FROM memories WHERE user_id = ? AND memory_id = ?`).pluck(),
    latestUpdate: prepare(`SELECT max(update_time) FROM memories WHERE user_id = ?`).pluck(),
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
      `UPDATE memories SET ${CONTENT}
       WHERE user_id = :userId AND memory_id = :memoryId AND (:expectedEtag IS NULL OR etag = :expectedEtag)
       RETURNING create_time, update_time`,
    ),
    upsert: prepare(
      `INSERT INTO memories (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag)
       VALUES (:userId, :memoryId, :memory, :folded, :topics, :input, :updateTime, :updateTime, :etag)
       ON CONFLICT (user_id, memory_id) DO UPDATE SET
         memory = excluded.memory, memory_folded = excluded.memory_folded, topics = excluded.topics,
         input = excluded.input, update_time = excluded.update_time, etag = excluded.etag
       RETURNING create_time, update_time`,
    ),
    delete: prepare(`DELETE FROM memories WHERE user_id = :userId AND memory_id = :memoryId AND (:etag IS NULL OR etag = :etag)`),
    clearUser: prepare(`DELETE FROM memories WHERE user_id = ?`),
    clearAll: prepare(`DELETE FROM memories`),
    ping: prepare(`SELECT 1`).pluck(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
