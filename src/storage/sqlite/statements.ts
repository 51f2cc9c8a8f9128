/**
 * The SQL the SQLite store runs, and the shape of its rows. Exported so the
 * tests can ask SQLite for the plans of exactly these statements.
 *
 * Listings are built from the query's shape: only the conditions a query
 * has appear in its SQL, so that SQLite can choose an index for them (an
 * `agent_id = ?` that is present, not `(? IS NULL OR agent_id = ?)`), and
 * each shape is prepared once.
 *
 * @module
 */
import type Database from "better-sqlite3";
import { sortedLabels } from "../records.js";
import type { ListQuery, MemoryFilter, MemoryRecord, SortDirection, SortTime } from "../store.js";

const COLUMNS =
  "user_id, memory_id, memory, topics, input, create_time, update_time, etag, agent_id, team_id, feedback, labels, expire_time";

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
  agentId: string | null,
  teamId: string | null,
  feedback: string | null,
  labels: string,
  expireTime: number | null,
];

/** The number of columns of a Row, for statements that read more after them. */
export const ROW_LENGTH = 13;

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
    agentId: row[8] ?? undefined,
    teamId: row[9] ?? undefined,
    feedback: row[10] ?? undefined,
    labels: JSON.parse(row[11]) as Record<string, string>,
    expireTime: row[12] ?? undefined,
  };
}

/** The times a write's RETURNING clause reads back. */
export interface WrittenTimes {
  create_time: number;
  update_time: number;
}

/** A list of strings as one JSON parameter, so a statement is prepared once whatever the count. */
export function jsonParam(values: readonly string[]): string | null {
  return values.length === 0 ? null : JSON.stringify(values);
}

/** Labels as stored: a JSON object in key order. */
export function labelsParam(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(sortedLabels(labels)));
}

/**
 * `condition`, evaluated only after `memoryd_before_deadline()` (CASE fixes
 * the order), so every row a statement examines checks the call's deadline
 * and a statement cannot run past it.
 */
const withinDeadline = (condition: string) => `CASE WHEN memoryd_before_deadline() THEN ${condition} END`;

const NOT_EXPIRED = "(expire_time IS NULL OR expire_time > :now)";

const TIME_COLUMN: Record<SortTime, string> = { createTime: "create_time", updateTime: "update_time" };

function orderBy(column: string, direction: SortDirection, allUsers: boolean): string {
  const dir = direction === "newest" ? "DESC" : "ASC";
  return `ORDER BY ${column} ${dir}, memory_id ${dir}${allUsers ? `, user_id ${dir}` : ""}`;
}

/** Rows strictly after the cursor (:time, :memoryId, and :afterUserId across users) in the listing's direction. */
function after(column: string, direction: SortDirection, allUsers: boolean): string {
  const op = direction === "newest" ? "<" : ">";
  return allUsers
    ? `(${column}, memory_id, user_id) ${op} (:time, :memoryId, :afterUserId)`
    : `(${column}, memory_id) ${op} (:time, :memoryId)`;
}

/**
 * The conditions of a filter: those an index can serve (user, agent, team)
 * as they are, the rest behind the deadline check, evaluated per row.
 */
function filterConditions(filter: MemoryFilter, text: "none" | "instr", allUsers: boolean): { indexed: string[]; perRow: string } {
  const indexed = allUsers ? [] : ["user_id = :userId"];
  if (filter.agentId !== undefined) indexed.push("agent_id = :agentId");
  if (filter.teamId !== undefined) indexed.push("team_id = :teamId");
  if (filter.memoryIds.length > 0) indexed.push("memory_id IN (SELECT value FROM json_each(:memoryIds))");
  const rest: string[] = [];
  if (!filter.showExpired) rest.push(NOT_EXPIRED);
  if (filter.anyTopics.length > 0) {
    rest.push("EXISTS (SELECT 1 FROM json_each(memories.topics) AS t WHERE t.value IN (SELECT value FROM json_each(:anyTopics)))");
  }
  if (filter.allTopics.length > 0) {
    rest.push("NOT EXISTS (SELECT 1 FROM json_each(:allTopics) AS w WHERE w.value NOT IN (SELECT value FROM json_each(memories.topics)))");
  }
  if (Object.keys(filter.labels).length > 0) {
    rest.push(`NOT EXISTS (SELECT 1 FROM json_each(:labels) AS f WHERE NOT EXISTS (
      SELECT 1 FROM json_each(memories.labels) AS l WHERE l.key = f.key AND l.value = f.value))`);
  }
  if (text === "instr") rest.push("instr(memory_folded, :text) > 0");
  return { indexed, perRow: withinDeadline(rest.length > 0 ? rest.join(" AND ") : "1") };
}

/** Whether a filter narrows a listing beyond "the user's memories that have not expired". */
export function isFiltered(filter: MemoryFilter): boolean {
  return (
    filter.agentId !== undefined ||
    filter.teamId !== undefined ||
    filter.anyTopics.length > 0 ||
    filter.allTopics.length > 0 ||
    Object.keys(filter.labels).length > 0 ||
    filter.memoryIds.length > 0
  );
}

/** Every named parameter a listing's statements may use; better-sqlite3 ignores those a statement lacks. */
export function listParams(query: ListQuery, now: number, extra: Record<string, unknown> = {}) {
  const { filter } = query;
  return {
    userId: query.userId,
    agentId: filter.agentId ?? null,
    teamId: filter.teamId ?? null,
    anyTopics: jsonParam(filter.anyTopics),
    allTopics: jsonParam(filter.allTopics),
    labels: Object.keys(filter.labels).length > 0 ? labelsParam(filter.labels) : null,
    memoryIds: jsonParam(filter.memoryIds),
    now,
    limit: query.pageSize + 1, // one more says whether another page follows
    skip: query.skip,
    ...extra,
  };
}

type ListShape = Pick<ListQuery, "orderBy" | "direction" | "filter" | "userId">;

/**
 * A listing runs in one of three ways (see `SqliteStore.list`): a scan of
 * the user's memories in order (checking the text on each, when there is
 * one), that scan cut off after :window memories, or, for text, the
 * trigram index. Each starts after the page's cursor.
 */
export function listSql(query: ListShape) {
  const allUsers = query.userId === undefined;
  const column = TIME_COLUMN[query.orderBy];
  const order = orderBy(column, query.direction, allUsers);
  const start = after(column, query.direction, allUsers);
  const plain = filterConditions(query.filter, "none", allUsers);
  const text = filterConditions(query.filter, "instr", allUsers);
  const where = (c: { indexed: string[]; perRow: string }) => [...c.indexed, start, c.perRow].join(" AND ");
  return {
    scan: `SELECT ${COLUMNS} FROM memories WHERE ${where(plain)} ${order} LIMIT :limit OFFSET :skip`,
    textScan: `SELECT ${COLUMNS} FROM memories WHERE ${where(text)} ${order} LIMIT :limit OFFSET :skip`,
    window: `SELECT ${COLUMNS} FROM (
        SELECT ${COLUMNS}, memory_folded FROM memories WHERE ${where(plain)} ${order} LIMIT :window)
      WHERE instr(memory_folded, :text) > 0 ${order} LIMIT :limit OFFSET :skip`,
    // CROSS JOIN keeps SQLite from walking the user's whole time index and
    // probing the match for every row: the few candidates come first.
    index: `SELECT ${COLUMNS} FROM memories_trigrams CROSS JOIN memories ON memories.id = memories_trigrams.rowid
      WHERE memories_trigrams MATCH :match AND ${where(text)} ${order} LIMIT :limit OFFSET :skip`,
  };
}

/** How many memories a listing matches in all (no cursor): by scan, or through the trigram index for text. */
export function countSql(filter: MemoryFilter, allUsers: boolean) {
  const plain = filterConditions(filter, "none", allUsers);
  const text = filterConditions(filter, "instr", allUsers);
  return {
    scan: `SELECT count(*) FROM memories WHERE ${[...plain.indexed, plain.perRow].join(" AND ")}`,
    textScan: `SELECT count(*) FROM memories WHERE ${[...text.indexed, text.perRow].join(" AND ")}`,
    index: `SELECT count(*) FROM memories_trigrams CROSS JOIN memories ON memories.id = memories_trigrams.rowid
      WHERE memories_trigrams MATCH :match AND ${[...text.indexed, text.perRow].join(" AND ")}`,
  };
}

/**
 * The distinct topics of the memories a topics query selects, counted once
 * per memory, in code point order (SQLite's BINARY collation compares
 * UTF-8 bytes, which sort as code points do).
 */
export function topicsSql(scope: { user: boolean; agent: boolean; team: boolean; after: boolean }): string {
  const where = [withinDeadline(NOT_EXPIRED)];
  if (scope.user) where.unshift("user_id = :userId");
  if (scope.agent) where.push("agent_id = :agentId");
  if (scope.team) where.push("team_id = :teamId");
  if (scope.after) where.push("t.value > :after");
  return `SELECT t.value, count(DISTINCT memories.id) FROM memories, json_each(memories.topics) AS t
    WHERE ${where.join(" AND ")} GROUP BY t.value ORDER BY t.value LIMIT :limit`;
}

const CONTENT = `memory = :memory, memory_folded = :folded, topics = :topics, input = :input, agent_id = :agentId, team_id = :teamId,
  feedback = :feedback, labels = :labels, expire_time = :expireTime, update_time = :updateTime, etag = :etag`;

const INSERT_COLUMNS = `user_id, memory_id, memory, memory_folded, topics, input, agent_id, team_id, feedback, labels, expire_time,
  create_time, update_time, etag`;
const INSERT_VALUES = `:userId, :memoryId, :memory, :folded, :topics, :input, :agentId, :teamId, :feedback, :labels, :expireTime,
  :createTime, :updateTime, :etag`;

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
      `INSERT INTO memories (${INSERT_COLUMNS}, request_id, request_fingerprint) VALUES (${INSERT_VALUES}, :requestId, :fingerprint)`,
    ),
    importSkip: prepare(`INSERT INTO memories (${INSERT_COLUMNS}) VALUES (${INSERT_VALUES}) ON CONFLICT (user_id, memory_id) DO NOTHING`),
    importOverwrite: prepare(
      `INSERT INTO memories (${INSERT_COLUMNS}) VALUES (${INSERT_VALUES})
       ON CONFLICT (user_id, memory_id) DO UPDATE SET ${CONTENT}, create_time = :createTime,
         request_id = NULL, request_fingerprint = NULL`,
    ),
    update: prepare(
      `UPDATE memories SET ${CONTENT}
       WHERE user_id = :userId AND memory_id = :memoryId AND (:expectedEtag IS NULL OR etag = :expectedEtag)
       RETURNING create_time, update_time`,
    ),
    upsert: prepare(
      `INSERT INTO memories (${INSERT_COLUMNS}) VALUES (${INSERT_VALUES})
       ON CONFLICT (user_id, memory_id) DO UPDATE SET ${CONTENT}
       RETURNING create_time, update_time`,
    ),
    /** Removes the memory when it has expired: any write may, and writes that meet one must first. */
    purgeIfExpired: prepare(`DELETE FROM memories WHERE user_id = ? AND memory_id = ? AND expire_time <= ?`),
    purgeExpired: prepare(
      `DELETE FROM memories WHERE id IN (SELECT id FROM memories WHERE expire_time <= :now ORDER BY expire_time LIMIT :limit)`,
    ),
    delete: prepare(`DELETE FROM memories WHERE user_id = :userId AND memory_id = :memoryId AND (:etag IS NULL OR etag = :etag)`),
    deleteMany: prepare(
      `DELETE FROM memories WHERE user_id = :userId AND memory_id IN (SELECT value FROM json_each(:ids)) RETURNING memory_id`,
    ).pluck(),
    countLive: prepare(`SELECT count(*) FROM memories WHERE user_id = ? AND (expire_time IS NULL OR expire_time > ?)`).pluck(),
    countAllLive: prepare(`SELECT count(*) FROM memories WHERE expire_time IS NULL OR expire_time > ?`).pluck(),
    clearUser: prepare(`DELETE FROM memories WHERE user_id = ?`),
    clearAll: prepare(`DELETE FROM memories`),
    /** The user's memory count from the counters, less those expired and not yet removed. */
    liveCount: prepare(
      `SELECT coalesce((SELECT memory_count FROM user_stats WHERE user_id = :userId), 0)
         - (SELECT count(*) FROM memories WHERE expire_time <= :now AND user_id = :userId)`,
    ).pluck(),
    userCount: prepare(`SELECT coalesce((SELECT memory_count FROM user_stats WHERE user_id = :userId), 0)`).pluck(),
    statsPage: rows(
      `SELECT user_id, memory_count, last_update_time FROM user_stats
       WHERE (:userId IS NULL OR user_id = :userId) AND (last_update_time, user_id) < (:time, :after)
       ORDER BY last_update_time DESC, user_id DESC LIMIT :limit OFFSET :skip`,
    ),
    /** Per user of a page, how many of its memories expired and are not removed yet. */
    expiredByUser: rows(
      `SELECT user_id, count(*) FROM memories
       WHERE expire_time <= :now AND user_id IN (SELECT value FROM json_each(:users)) GROUP BY user_id`,
    ),
    latestLiveUpdate: prepare(
      `SELECT update_time FROM memories WHERE user_id = ? AND (expire_time IS NULL OR expire_time > ?)
       ORDER BY update_time DESC LIMIT 1`,
    ).pluck(),
    /** Users with memories, less those whose memories have all expired. */
    liveUserCount: prepare(
      `SELECT (SELECT count(*) FROM user_stats) - (SELECT count(*) FROM
         (SELECT user_id, count(*) AS expired FROM memories WHERE expire_time <= :now GROUP BY user_id) AS e
         JOIN user_stats AS s USING (user_id) WHERE s.memory_count = e.expired)`,
    ).pluck(),
    ping: prepare(`SELECT 1`).pluck(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
