/**
 * `memoryd import`: copies an Agno 1.x memory store into memoryd, keeping
 * memory ids, user ids, topics, input and timestamps.
 *
 * Sources, as Agno's own backends write them:
 * - SqliteMemoryDb: `sqlite://<file>`, table `memory` by default; the
 *   `memory` column is a Python literal (`str(dict)`), parsed without eval;
 *   `created_at` / `updated_at` are SQLite UTC timestamps.
 * - PostgresMemoryDb: `postgres://...`, schema `ai` and a table name; the
 *   `memory` column is JSONB, the times `timestamptz` (`updated_at` is
 *   never written by Agno: the memory's `last_updated` stands in).
 * - MongoMemoryDb: `mongodb://host/<db>` (db `agno` by default), collection
 *   `memory`; times are epoch seconds.
 *
 * Rows go through the same validation as API writes and are written with
 * `MemoryStore.importMemories`, which skips ids that exist: running an
 * import twice changes nothing the second time.
 *
 * @module
 */
import Database from "better-sqlite3";
import { MongoClient } from "mongodb";
import pg from "pg";
import { ReplaceUserMemoryRequest } from "../../gen/ts/memoryd/v1/memory_service.js";
import { microsFromDate, nowMicros } from "../storage/clock.js";
import { parseMongoDbUrl } from "../storage/mongodb/url.js";
import { parsePostgresUrl } from "../storage/postgres/url.js";
import { contentOf } from "../storage/records.js";
import { parseSqliteUrl } from "../storage/sqlite/url.js";
import type { MemoryRecord, MemoryReplacement, MemoryStore } from "../storage/store.js";
import { redactUrl } from "../storage/url.js";
import { ValidationError, validate } from "../validation.js";
import { parsePythonLiteral } from "./python-literal.js";

/** One row as an Agno backend stored it. */
export interface AgnoRow {
  readonly id: string;
  readonly userId: string | null;
  /** `UserMemory.to_dict()`: memory, topics, input, last_updated, memory_id. */
  readonly memory: unknown;
  readonly createdAt: Date | undefined;
  readonly updatedAt: Date | undefined;
}

export interface ImportSource {
  /** `sqlite://`, `postgres://` or `mongodb://` URL of the Agno store. */
  readonly url: string;
  /** Table (SQLite, PostgreSQL) or collection (MongoDB); Agno's default where it has one. */
  readonly table?: string;
  /** PostgreSQL schema; Agno's default is `ai`. */
  readonly schema?: string;
}

export interface ImportReport {
  read: number;
  imported: number;
  alreadyPresent: number;
  invalid: { id: string; reason: string }[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`${what} "${name}" is not a plain SQL identifier`);
  return name;
}

/** SQLite's CURRENT_TIMESTAMP text ("2025-01-31 12:34:56", UTC). */
function sqliteTime(value: unknown): Date | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const date = new Date(`${value.replace(" ", "T")}${/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? "" : "Z"}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

async function* readSqlite(source: ImportSource): AsyncGenerator<AgnoRow> {
  const db = new Database(parseSqliteUrl(source.url).path, { readonly: true, fileMustExist: true });
  try {
    const table = identifier(source.table ?? "memory", "table");
    const rows = db.prepare(`SELECT id, user_id, memory, created_at, updated_at FROM "${table}" ORDER BY id`).iterate() as Iterable<{
      id: string;
      user_id: string | null;
      memory: string;
      created_at: unknown;
      updated_at: unknown;
    }>;
    for (const row of rows) {
      let memory: unknown;
      try {
        memory = parsePythonLiteral(row.memory);
      } catch (err) {
        memory = new Error(`memory column is not a Python literal: ${(err as Error).message}`);
      }
      yield { id: row.id, userId: row.user_id, memory, createdAt: sqliteTime(row.created_at), updatedAt: sqliteTime(row.updated_at) };
    }
  } finally {
    db.close();
  }
}

async function* readPostgres(source: ImportSource): AsyncGenerator<AgnoRow> {
  if (!source.table) throw new Error("--table is required for PostgreSQL (Agno's PostgresMemoryDb has no default table name)");
  const table = `"${identifier(source.schema ?? "ai", "schema")}"."${identifier(source.table, "table")}"`;
  const client = new pg.Client({ connectionString: parsePostgresUrl(source.url).connectionString });
  client.on("error", () => {}); // a lost connection also fails the running query, which reports it
  await client.connect();
  try {
    // Keyset pages by id: constant memory whatever the table size.
    for (let after = ""; ; ) {
      const { rows } = await client.query<{
        id: string;
        user_id: string | null;
        memory: unknown;
        created_at: Date | null;
        updated_at: Date | null;
      }>(`SELECT id, user_id, memory, created_at, updated_at FROM ${table} WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT 1000`, [
        after,
      ]);
      for (const row of rows) {
        yield {
          id: row.id,
          userId: row.user_id,
          memory: row.memory,
          createdAt: row.created_at ?? undefined,
          updatedAt: row.updated_at ?? undefined,
        };
      }
      if (rows.length < 1000) return;
      after = rows.at(-1)!.id;
    }
  } finally {
    await client.end();
  }
}

async function* readMongo(source: ImportSource): AsyncGenerator<AgnoRow> {
  const { connectionString, database } = parseMongoDbUrl(source.url, "agno");
  const client = new MongoClient(connectionString, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  try {
    const seconds = (value: unknown) => (typeof value === "number" ? new Date(value * 1000) : value instanceof Date ? value : undefined);
    for await (const doc of client
      .db(database)
      .collection(source.table ?? "memory")
      .find({})
      .sort({ id: 1 })) {
      yield {
        id: String(doc.id),
        userId: doc.user_id ?? null,
        memory: doc.memory,
        createdAt: seconds(doc.created_at),
        updatedAt: seconds(doc.updated_at),
      };
    }
  } finally {
    await client.close();
  }
}

export function readAgnoMemories(source: ImportSource): AsyncGenerator<AgnoRow> {
  const scheme = source.url.slice(0, Math.max(0, source.url.indexOf("://")));
  if (scheme === "sqlite") return readSqlite(source);
  if (scheme === "postgres" || scheme === "postgresql") return readPostgres(source);
  if (scheme === "mongodb" || scheme === "mongodb+srv") return readMongo(source);
  throw new Error(`unsupported Agno source "${redactUrl(source.url)}": expected sqlite://, postgres:// or mongodb://`);
}

/**
 * A memoryd record for an Agno row, validated like an API write; throws
 * with the reason when the row cannot be imported.
 */
export function toRecord(row: AgnoRow): MemoryRecord {
  if (row.memory instanceof Error) throw row.memory;
  if (typeof row.memory !== "object" || row.memory === null) throw new Error("memory is not a dict");
  const fields = row.memory as { memory?: unknown; topics?: unknown; input?: unknown; last_updated?: unknown };
  const request = ReplaceUserMemoryRequest.fromPartial({
    userMemory: {
      userId: row.userId ?? "default", // Agno's user when none is given
      memoryId: row.id,
      etag: "",
    },
    allowMissing: true,
  });
  // Not through fromPartial: it would turn a non-string into a default, which validation must see and refuse.
  Object.assign(request.userMemory!, { memory: fields.memory, topics: fields.topics ?? [], input: fields.input ?? undefined });
  let checked: MemoryReplacement;
  try {
    checked = validate.replace(request);
  } catch (err) {
    if (err instanceof ValidationError) throw new Error(err.message);
    throw err;
  }
  const createTime = row.createdAt ? microsFromDate(row.createdAt) : nowMicros();
  // Agno's PostgresMemoryDb never writes updated_at; the memory's own
  // last_updated (naive local time, as Agno writes it) stands in for it.
  const lastUpdated = typeof fields.last_updated === "string" ? new Date(fields.last_updated) : undefined;
  const updatedAt = row.updatedAt ?? (lastUpdated && !Number.isNaN(lastUpdated.getTime()) ? lastUpdated : undefined);
  const updateTime = Math.max(createTime, updatedAt ? microsFromDate(updatedAt) : createTime);
  return { userId: checked.userId, memoryId: checked.memoryId, ...contentOf(checked), createTime, updateTime, etag: "" };
}

/** Copies every row of `source` into `store`, in batches. */
export async function importAgno(source: ImportSource, store: MemoryStore, batchSize = 500): Promise<ImportReport> {
  const report: ImportReport = { read: 0, imported: 0, alreadyPresent: 0, invalid: [] };
  let batch: MemoryRecord[] = [];
  const flush = async () => {
    const { written } = await store.importMemories(batch, "skip");
    report.imported += written;
    report.alreadyPresent += batch.length - written;
    batch = [];
  };
  // Ids are compared in NFC (identifiers.ts): two rows whose ids differ only
  // in normalization are one memory; the later one is reported, not merged.
  const seen = new Set<string>();
  for await (const row of readAgnoMemories(source)) {
    report.read++;
    try {
      const record = toRecord(row);
      const key = JSON.stringify([record.userId, record.memoryId]);
      if (seen.has(key)) throw new Error("same user and memory id as an earlier row, once both are in Unicode NFC");
      seen.add(key);
      batch.push(record);
    } catch (err) {
      report.invalid.push({ id: row.id, reason: (err as Error).message });
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return report;
}
