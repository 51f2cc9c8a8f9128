/**
 * The database an Agno store lives in, reduced to what `memoryd import`
 * asks of it, so that each Agno format (agno1.ts, agno3.ts) says only which
 * table and columns it reads and the three backends are written once.
 *
 * @module
 */
import { redactUrl } from "../storage/url.js";
import { openMongoDbSource } from "./mongodb-source.js";
import { openPostgresSource } from "./postgres-source.js";
import { openSqliteSource } from "./sqlite-source.js";

export type SourceKind = "sqlite" | "postgres" | "mongodb";

/** One row (SQL) or document (MongoDB), as the driver decodes it. */
export type SourceRow = Readonly<Record<string, unknown>>;

export interface SourceDatabase {
  readonly kind: SourceKind;
  /** Where `table` is, for messages: `ai.agno_memories`, or just the name. */
  describe(table: string): string;
  /**
   * The fields of `table`'s rows, or undefined when there is no such table.
   * SQL: its columns. MongoDB, which has no columns: the fields of one
   * document, none when the collection is empty.
   */
  fields(table: string): Promise<ReadonlySet<string> | undefined>;
  /** How many rows `table` has: one scan (SQL) or the collection's own count (MongoDB). */
  count(table: string): Promise<number>;
  /**
   * Every row of `table` in `key` order (a fixed order, so that which of two
   * rows colliding in NFC is reported does not change between runs), with
   * `columns` (SQL) or every field (MongoDB).
   */
  rows(table: string, key: string, columns: readonly string[]): AsyncIterable<SourceRow>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `name` quoted for SQL, refused unless it is a plain identifier (no quoting games from the command line). */
export function sqlIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`${what} "${name}" is not a plain SQL identifier`);
  return `"${name}"`;
}

/** Opens the database of `url`; `schema` is the PostgreSQL schema of the Agno tables. */
export function openSourceDatabase(url: string, schema: string): Promise<SourceDatabase> {
  const scheme = url.slice(0, Math.max(0, url.indexOf("://")));
  if (scheme === "sqlite") return openSqliteSource(url);
  if (scheme === "postgres" || scheme === "postgresql") return openPostgresSource(url, schema);
  if (scheme === "mongodb" || scheme === "mongodb+srv") return openMongoDbSource(url);
  throw new Error(`unsupported Agno source "${redactUrl(url)}": expected sqlite://, postgres:// or mongodb://`);
}
