import type { AgnoFormat, AgnoFormatName } from "./agno-format.js";
import { agno1 } from "./agno1.js";
import { agno3 } from "./agno3.js";
import type { SourceDatabase } from "./source-database.js";

/** Agno 3 first: a database upgraded from Agno 1 may still hold the old table, and the new one is the live one. */
export const AGNO_FORMATS: readonly AgnoFormat[] = [agno3, agno1];

/** Whether `table`'s fields are those of `format`: every column it reads (SQL), its key (a MongoDB document). */
function matches(format: AgnoFormat, fields: ReadonlySet<string>, db: SourceDatabase): boolean {
  return db.kind === "mongodb" ? fields.has(format.key) : format.columns.every((column) => fields.has(column));
}

/**
 * Which format to read and from which table. An explicit `--format` is
 * taken as said (the table defaults to that Agno's name). With `auto`, a
 * named table is read as the format whose columns it has; no table: the
 * first format whose default table exists. An empty MongoDB collection
 * shows no fields and is read as Agno 3 (there is nothing to read anyway).
 */
export async function chooseFormat(
  db: SourceDatabase,
  requested: AgnoFormatName | "auto",
  table: string | undefined,
): Promise<{ format: AgnoFormat; table: string }> {
  const candidates = AGNO_FORMATS.filter((f) => requested === "auto" || f.name === requested);
  if (table !== undefined && requested !== "auto") return { format: candidates[0]!, table };
  if (table !== undefined) {
    const fields = await db.fields(table);
    if (fields === undefined) throw new Error(`there is no table ${db.describe(table)}`);
    const format = fields.size === 0 ? candidates[0] : candidates.find((f) => matches(f, fields, db));
    if (format) return { format, table };
    const wanted = candidates.map((f) => `${f.title}: ${f.columns.join(", ")}`).join("; ");
    throw new Error(`${db.describe(table)} has the columns of no Agno memory table (${wanted}); name the format with --format`);
  }
  const looked: string[] = [];
  for (const format of candidates) {
    const name = format.defaultTable[db.kind];
    if (name === undefined) continue;
    if (requested !== "auto" || (await db.fields(name)) !== undefined) return { format, table: name };
    looked.push(`${db.describe(name)} (${format.title})`);
  }
  const unnamed = candidates.filter((f) => f.defaultTable[db.kind] === undefined).map((f) => f.title);
  const hint = unnamed.length > 0 ? `; ${unnamed.join(" and ")} on ${db.kind} has no default table: name it with --table` : "";
  throw new Error(looked.length > 0 ? `no Agno memory table: looked for ${looked.join(" and ")}${hint}` : `--table is required${hint}`);
}
