/**
 * What sets one Agno memory table layout apart from another (Agno 1.x in
 * agno1.ts, Agno 3 in agno3.ts): its default table, key, columns and how a
 * row becomes memory fields. Everything after that, validation and the
 * write, is one path for both (to-record.ts, import-agno.ts).
 *
 * @module
 */
import type { SourceKind, SourceRow } from "./source-database.js";

export type AgnoFormatName = "agno1" | "agno3";

/**
 * A memory as an Agno row holds it, before validation. Fields are `unknown`
 * on purpose: a store written by hand or by an older Agno may hold anything,
 * and validation, not a cast, decides what is acceptable.
 */
export interface AgnoRow {
  /** Null where Agno stored no user; see toRecord. */
  readonly userId: unknown;
  readonly memory: unknown;
  readonly topics: unknown;
  readonly input: unknown;
  readonly agentId?: unknown;
  readonly teamId?: unknown;
  readonly feedback?: unknown;
  readonly createdAt: Date | undefined;
  readonly updatedAt: Date | undefined;
}

export interface AgnoFormat {
  readonly name: AgnoFormatName;
  /** For people: "Agno 1.x". */
  readonly title: string;
  /** The table (collection) Agno uses when not given one; undefined where Agno has no default. */
  readonly defaultTable: Readonly<Record<SourceKind, string | undefined>>;
  /** The memory id column: the import's order and its key in the report. */
  readonly key: string;
  /** The columns read, and those a SQL table must have to be taken for this format. */
  readonly columns: readonly string[];
  /** The memory fields of a row; throws with the reason when it has none. */
  row(raw: SourceRow, kind: SourceKind): AgnoRow;
}
