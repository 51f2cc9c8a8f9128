/**
 * `memoryd import`: copies an Agno memory store, Agno 1.x or Agno 3, from
 * SQLite, PostgreSQL or MongoDB, into memoryd, keeping memory ids, users,
 * agents, teams, topics, input, feedback and Agno's times.
 *
 * Reading is per format (agno1.ts, agno3.ts) over one reader per database
 * (source-database.ts); validation (to-record.ts) and the write below are
 * the same for every format. Records are written with
 * `MemoryStore.importMemories(…, "skip")`, which writes them exactly as
 * given and skips ids that exist: running an import twice changes nothing
 * the second time.
 *
 * @module
 */
import type { MemoryRecord, MemoryStore } from "../storage/store.js";
import type { AgnoFormatName } from "./agno-format.js";
import { chooseFormat } from "./choose-format.js";
import { openSourceDatabase } from "./source-database.js";
import { toRecord } from "./to-record.js";

export interface ImportSource {
  /** `sqlite://`, `postgres://` or `mongodb://` URL of the Agno store. */
  readonly url: string;
  /** Which Agno wrote it; `auto` (the default) tells by the table (choose-format.ts). */
  readonly format?: AgnoFormatName | "auto";
  /** Table (SQLite, PostgreSQL) or collection (MongoDB); Agno's default for the format where it has one. */
  readonly table?: string;
  /** PostgreSQL schema; Agno's default (1.x and 3) is `ai`. */
  readonly schema?: string;
}

export interface ImportReport {
  format: AgnoFormatName;
  /** The table or collection read, as `schema.table` on PostgreSQL and `db.collection` on MongoDB. */
  table: string;
  read: number;
  imported: number;
  alreadyPresent: number;
  invalid: { id: string; reason: string }[];
}

/** Told how an import goes, for a progress display; every member optional. */
export interface ImportProgress {
  /** Once the table is known, with its row count when `countRows` is set (a COUNT before reading). */
  start?(total: number | undefined, report: Readonly<ImportReport>): void;
  /** After each row read, and after each batch written. */
  advance?(report: Readonly<ImportReport>): void;
  readonly countRows?: boolean;
}

/** Copies every row of `source` into `store`, `batchSize` records a transaction. */
export async function importAgno(
  source: ImportSource,
  store: MemoryStore,
  progress: ImportProgress = {},
  batchSize = 500,
): Promise<ImportReport> {
  const db = await openSourceDatabase(source.url, source.schema ?? "ai");
  try {
    const { format, table } = await chooseFormat(db, source.format ?? "auto", source.table);
    const report: ImportReport = { format: format.name, table: db.describe(table), read: 0, imported: 0, alreadyPresent: 0, invalid: [] };
    progress.start?.(progress.countRows ? await db.count(table) : undefined, report);
    let batch: MemoryRecord[] = [];
    const flush = async () => {
      const { written } = await store.importMemories(batch, "skip");
      report.imported += written;
      report.alreadyPresent += batch.length - written;
      batch = [];
      progress.advance?.(report);
    };
    // Ids are compared in NFC (identifiers.ts): two rows whose ids differ only
    // in normalization are one memory; the later one is reported, not merged.
    const seen = new Set<string>();
    for await (const raw of db.rows(table, format.key, format.columns)) {
      report.read++;
      const id = raw[format.key];
      try {
        const record = toRecord(id, format.row(raw, db.kind));
        const key = JSON.stringify([record.userId, record.memoryId]);
        if (seen.has(key)) throw new Error("same user and memory id as an earlier row, once both are in Unicode NFC");
        seen.add(key);
        batch.push(record);
      } catch (err) {
        report.invalid.push({ id: String(id), reason: (err as Error).message });
      }
      if (batch.length >= batchSize) await flush();
      else progress.advance?.(report);
    }
    await flush();
    return report;
  } finally {
    await db.close();
  }
}
