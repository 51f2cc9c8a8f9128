/**
 * The SQL the PostgreSQL store runs, and the shape of its rows.
 *
 * Listings are built from the query's shape, like SQLite's: only the
 * conditions a query has appear in its SQL, numbered in the order they are
 * added, so each shape is one named prepared statement and the planner sees
 * `agent_id = $2`, which the partial scope indexes serve.
 *
 * @module
 */
import type { MemoryColumns } from "../records.js";
import { sortedLabels } from "../records.js";
import {
  type Cursor,
  type ListQuery,
  type MemoryFilter,
  type MemoryRecord,
  NO_FILTER,
  type SortDirection,
  type SortTime,
  type TopicsQuery,
} from "../store.js";

const micros = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::int8`;
const fromMicros = (param: string) => `(timestamptz 'epoch' + ${param}::int8 * interval '1 microsecond')`;

const COLUMNS = `memories.user_id, memories.memory_id, memories.memory, memories.topics, memories.input,
  memories.agent_id, memories.team_id, memories.feedback, memories.labels,
  ${micros("memories.create_time")} AS create_us, ${micros("memories.update_time")} AS update_us,
  ${micros("memories.expire_time")} AS expire_us, memories.etag`;

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

/** Labels as jsonb text, keys in order. */
export function labelsParam(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(sortedLabels(labels)));
}

/** Collects a statement's parameters in order, handing out their `$n` placeholders. */
export class Parameters {
  readonly values: unknown[] = [];

  /** The placeholder of `value`, cast when given (`$3::text[]`). */
  add(value: unknown, cast = ""): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

const TIME_COLUMN: Record<SortTime, string> = { createTime: "create_time", updateTime: "update_time" };

function orderBy(column: string, direction: SortDirection, allUsers: boolean): string {
  // Qualified: a bare `create_time` in ORDER BY means the output column of
  // that name, the computed microseconds, which no index can deliver in order.
  const dir = direction === "newest" ? "DESC" : "ASC";
  return `ORDER BY memories.${column} ${dir}, memories.memory_id ${dir}${allUsers ? `, memories.user_id ${dir}` : ""}`;
}

/** The conditions of a filter (not the cursor), each with its parameter. */
function filterConditions(userId: string | undefined, filter: MemoryFilter, now: number, p: Parameters): string[] {
  const where: string[] = [];
  if (userId !== undefined) where.push(`memories.user_id = ${p.add(userId)}`);
  if (filter.agentId !== undefined) where.push(`memories.agent_id = ${p.add(filter.agentId)}`);
  if (filter.teamId !== undefined) where.push(`memories.team_id = ${p.add(filter.teamId)}`);
  if (!filter.showExpired) where.push(`(memories.expire_time IS NULL OR memories.expire_time > ${fromMicros(p.add(now))})`);
  if (filter.anyTopics.length > 0) where.push(`memories.topics && ${p.add(filter.anyTopics, "::text[]")}`);
  if (filter.allTopics.length > 0) where.push(`memories.topics @> ${p.add(filter.allTopics, "::text[]")}`);
  if (Object.keys(filter.labels).length > 0) where.push(`memories.labels @> ${p.add(labelsParam(filter.labels), "::jsonb")}`);
  if (filter.memoryIds.length > 0) where.push(`memories.memory_id = ANY(${p.add(filter.memoryIds, "::text[]")})`);
  return where;
}

/** Rows strictly after the cursor in the listing's direction (across users, user id is the third key). */
function after(column: string, direction: SortDirection, cursor: Cursor, allUsers: boolean, p: Parameters): string {
  const op = direction === "newest" ? "<" : ">";
  const position = `${fromMicros(p.add(cursor.time))}, ${p.add(cursor.memoryId)}`;
  return allUsers
    ? `(memories.${column}, memories.memory_id, memories.user_id) ${op} (${position}, ${p.add(cursor.userId ?? "")})`
    : `(memories.${column}, memories.memory_id) ${op} (${position})`;
}

/** What a listing runs: one statement per way of finding its rows, and optionally its count. */
export interface ListStatement {
  readonly text: string;
  readonly values: unknown[];
}

/**
 * The ways a listing's page can be read (see `PostgresStore.list`): `all`
 * without text; with text, `text` (the planner's choice, for text too
 * short for trigrams), or `window` (the user's newest or oldest memories
 * first) then `index` (a trigram lookup planned without the LIMIT).
 */
export function listStatements(table: string, query: ListQuery, cursor: Cursor, folded: string, now: number, window: number) {
  const column = TIME_COLUMN[query.orderBy];
  const allUsers = query.userId === undefined;
  const order = orderBy(column, query.direction, allUsers);
  const build = (text: boolean, shape: (where: string, p: Parameters) => string): ListStatement => {
    const p = new Parameters();
    const where = [...filterConditions(query.userId, query.filter, now, p), after(column, query.direction, cursor, allUsers, p)];
    if (text) where.push(`memories.memory_folded LIKE ${p.add(containsPattern(folded))}`);
    const sql = shape(where.join(" AND "), p);
    return { text: sql, values: p.values };
  };
  const page = (p: Parameters) => `LIMIT ${p.add(query.pageSize + 1)} OFFSET ${p.add(query.skip)}`;
  return {
    all: build(false, (where, p) => `SELECT ${COLUMNS} FROM ${table} AS memories WHERE ${where} ${order} ${page(p)}`),
    text: build(true, (where, p) => `SELECT ${COLUMNS} FROM ${table} AS memories WHERE ${where} ${order} ${page(p)}`),
    window: (() => {
      // The window is cut before the text is checked: its own statement, text last.
      const p = new Parameters();
      const where = [...filterConditions(query.userId, query.filter, now, p), after(column, query.direction, cursor, allUsers, p)];
      const inner = `SELECT * FROM ${table} AS memories WHERE ${where.join(" AND ")} ${order} LIMIT ${p.add(window)}`;
      const sql = `SELECT ${COLUMNS} FROM (${inner}) AS memories WHERE memories.memory_folded LIKE ${p.add(containsPattern(folded))} ${order} ${page(p)}`;
      return { text: sql, values: p.values };
    })(),
    // MATERIALIZED: planned without the LIMIT, so the planner takes the trigram index.
    index: build(
      true,
      (where, p) =>
        `WITH matches AS MATERIALIZED (SELECT * FROM ${table} AS memories WHERE ${where})
         SELECT ${COLUMNS} FROM matches AS memories ${order} ${page(p)}`,
    ),
  };
}

/**
 * How many memories a listing matches in all: the per-user counters (less
 * what expired and is not yet removed) when nothing narrows it, otherwise a
 * count of the matches.
 */
export function countStatement(schema: string, query: ListQuery, folded: string, now: number): ListStatement {
  const p = new Parameters();
  const narrowed =
    folded !== "" ||
    query.filter.agentId !== undefined ||
    query.filter.teamId !== undefined ||
    query.filter.anyTopics.length > 0 ||
    query.filter.allTopics.length > 0 ||
    Object.keys(query.filter.labels).length > 0 ||
    query.filter.memoryIds.length > 0;
  if (!narrowed && query.userId !== undefined) {
    const user = p.add(query.userId);
    const counted = `coalesce((SELECT memory_count FROM "${schema}".user_stats WHERE user_id = ${user}), 0)`;
    if (query.filter.showExpired) return { text: `SELECT ${counted} AS count`, values: p.values };
    const expired = `(SELECT count(*) FROM "${schema}".memories WHERE expire_time <= ${fromMicros(p.add(now))} AND user_id = ${user})`;
    return { text: `SELECT ${counted} - ${expired} AS count`, values: p.values };
  }
  const where = filterConditions(query.userId, query.filter, now, p);
  if (folded !== "") where.push(`memories.memory_folded LIKE ${p.add(containsPattern(folded))}`);
  return { text: `SELECT count(*) AS count FROM "${schema}".memories AS memories WHERE ${where.join(" AND ")}`, values: p.values };
}

/** The distinct topics of the memories a topics query selects, each memory counted once, in code point order. */
export function topicsStatement(schema: string, query: TopicsQuery, now: number): ListStatement {
  const p = new Parameters();
  const where = filterConditions(query.userId, { ...NO_FILTER, agentId: query.agentId, teamId: query.teamId }, now, p);
  if (query.after !== undefined) where.push(`topic.name > ${p.add(query.after)} COLLATE "C"`);
  const text = `SELECT topic.name AS topic, count(*) AS memory_count
    FROM "${schema}".memories AS memories CROSS JOIN LATERAL (SELECT DISTINCT t COLLATE "C" FROM unnest(memories.topics) AS t) AS topic(name)
    WHERE ${where.length > 0 ? where.join(" AND ") : "true"}
    GROUP BY topic.name ORDER BY topic.name LIMIT ${p.add(query.pageSize + 1)}`;
  return { text, values: p.values };
}

/**
 * The fixed statements memoryd runs against `schema`, exported so the tests
 * can ask PostgreSQL for the plans of exactly these statements.
 */
export function statements(schema: string) {
  const table = `"${schema}".memories`;
  const stats = `"${schema}".user_stats`;
  const select = (where: string) => `SELECT ${COLUMNS} FROM ${table} AS memories WHERE ${where}`;
  const live = (now: string) => `(memories.expire_time IS NULL OR memories.expire_time > ${fromMicros(now)})`;
  // A write's time: $7, but after every update time the user's memories
  // carry (see timeAfter in clock.ts), read in the same statement.
  const writeTime = `GREATEST(${fromMicros("$7")}, (SELECT max(update_time) FROM ${table} WHERE user_id = $1) + interval '1 microsecond')`;
  const times = `${micros("create_time")} AS create_time, ${micros("update_time")} AS update_time`;
  // $1-$8 as in contentParams (store.ts), then $9 agent, $10 team, $11 feedback, $12 labels, $13 expire (µs).
  const insertColumns = "user_id, memory_id, memory, memory_folded, topics, input, agent_id, team_id, feedback, labels, expire_time";
  const insertValues = `$1, $2, $3, $4, $5, $6, $9, $10, $11, $12::jsonb, ${fromMicros("$13")}`;
  const setContent = `memory = $3, memory_folded = $4, topics = $5, input = $6, agent_id = $9, team_id = $10, feedback = $11,
    labels = $12::jsonb, expire_time = ${fromMicros("$13")}`;
  const setExcluded = `memory = EXCLUDED.memory, memory_folded = EXCLUDED.memory_folded, topics = EXCLUDED.topics,
    input = EXCLUDED.input, agent_id = EXCLUDED.agent_id, team_id = EXCLUDED.team_id, feedback = EXCLUDED.feedback,
    labels = EXCLUDED.labels, expire_time = EXCLUDED.expire_time, update_time = EXCLUDED.update_time, etag = EXCLUDED.etag`;
  // An expired memory is as good as deleted: overwriting one is creating anew.
  const expiredAt = (now: string) => `memories.expire_time <= ${fromMicros(now)}`;
  return {
    get: select("memories.user_id = $1 AND memories.memory_id = $2"),
    /** $3: now (µs): an expired memory does not exist. */
    exists: `SELECT 1 FROM ${table} AS memories WHERE user_id = $1 AND memory_id = $2 AND ${live("$3")}`,
    byRequestId: `SELECT ${COLUMNS}, memories.request_fingerprint FROM ${table} AS memories WHERE user_id = $1 AND request_id = $2`,
    /** $14 request id, $15 fingerprint. */
    insert: `INSERT INTO ${table} (${insertColumns}, create_time, update_time, etag, request_id, request_fingerprint)
      SELECT ${insertValues}, t, t, $8, $14, $15 FROM (SELECT ${writeTime} AS t) AS now
      ON CONFLICT (user_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
      RETURNING ${times}`,
    /** $7 update time, $14 create time (both as given). */
    importSkip: `INSERT INTO ${table} (${insertColumns}, create_time, update_time, etag)
      VALUES (${insertValues}, ${fromMicros("$14")}, ${fromMicros("$7")}, $8)
      ON CONFLICT (user_id, memory_id) DO NOTHING`,
    importOverwrite: `INSERT INTO ${table} AS memories (${insertColumns}, create_time, update_time, etag)
      VALUES (${insertValues}, ${fromMicros("$14")}, ${fromMicros("$7")}, $8)
      ON CONFLICT (user_id, memory_id) DO UPDATE SET ${setExcluded}, create_time = EXCLUDED.create_time,
        request_id = NULL, request_fingerprint = NULL`,
    /** $14: the etag the stored memory must have (NULL: any), $15 now (µs). */
    update: `UPDATE ${table} AS memories SET ${setContent}, update_time = ${writeTime}, etag = $8
      WHERE user_id = $1 AND memory_id = $2 AND ($14::text IS NULL OR etag = $14) AND ${live("$15")}
      RETURNING ${times}`,
    /** $14: now (µs). */
    upsert: `INSERT INTO ${table} AS memories (${insertColumns}, create_time, update_time, etag)
      SELECT ${insertValues}, t, t, $8 FROM (SELECT ${writeTime} AS t) AS now
      ON CONFLICT (user_id, memory_id) DO UPDATE SET ${setExcluded},
        create_time = CASE WHEN ${expiredAt("$14")} THEN EXCLUDED.create_time ELSE memories.create_time END,
        request_id = CASE WHEN ${expiredAt("$14")} THEN NULL ELSE memories.request_id END,
        request_fingerprint = CASE WHEN ${expiredAt("$14")} THEN NULL ELSE memories.request_fingerprint END
      RETURNING ${times}`,
    /** Removes the memory when it has expired ($3: now, µs). */
    purgeIfExpired: `DELETE FROM ${table} AS memories WHERE user_id = $1 AND memory_id = $2 AND ${expiredAt("$3")}`,
    /** The expired memories among ($1[i], $2[i]) ($3: now, µs). */
    purgeManyIfExpired: `DELETE FROM ${table} AS memories WHERE (user_id, memory_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      AND ${expiredAt("$3")}`,
    purgeExpired: `DELETE FROM ${table} WHERE (user_id, memory_id) IN (
      SELECT user_id, memory_id FROM ${table} AS memories WHERE ${expiredAt("$1")} ORDER BY expire_time LIMIT $2)`,
    /** $4: now (µs). */
    delete: `DELETE FROM ${table} AS memories WHERE user_id = $1 AND memory_id = $2 AND ($3::text IS NULL OR etag = $3) AND ${live("$4")}`,
    deleteMany: `DELETE FROM ${table} AS memories WHERE user_id = $1 AND memory_id = ANY($2::text[]) AND ${live("$3")} RETURNING memory_id`,
    clearUser: `WITH deleted AS (DELETE FROM ${table} WHERE user_id = $1 RETURNING expire_time)
      SELECT count(*) FILTER (WHERE expire_time IS NULL OR expire_time > ${fromMicros("$2")}) AS count FROM deleted`,
    clearAll: `WITH deleted AS (DELETE FROM ${table} RETURNING expire_time)
      SELECT count(*) FILTER (WHERE expire_time IS NULL OR expire_time > ${fromMicros("$1")}) AS count FROM deleted`,
    statsPage: `SELECT user_id, memory_count, ${micros("last_update_time")} AS last_update_us FROM ${stats}
      WHERE ($1::text IS NULL OR user_id = $1) AND (last_update_time, user_id) < (${fromMicros("$2")}, $3)
      ORDER BY last_update_time DESC, user_id DESC LIMIT $4 OFFSET $5`,
    expiredByUser: `SELECT user_id, count(*) AS expired FROM ${table} AS memories
      WHERE ${expiredAt("$1")} AND user_id = ANY($2::text[]) GROUP BY user_id`,
    latestLiveUpdate: `SELECT ${micros("update_time")} AS update_us FROM ${table} AS memories WHERE user_id = $1 AND ${live("$2")}
      ORDER BY update_time DESC LIMIT 1`,
    liveUserCount: `SELECT (SELECT count(*) FROM ${stats}) - (SELECT count(*) FROM
        (SELECT user_id, count(*) AS expired FROM ${table} AS memories WHERE ${expiredAt("$1")} GROUP BY user_id) AS e
        JOIN ${stats} AS s USING (user_id) WHERE s.memory_count = e.expired) AS count`,
  };
}

export type Statements = ReturnType<typeof statements>;
