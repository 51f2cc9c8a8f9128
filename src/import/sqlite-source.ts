import Database from "better-sqlite3";
import { parseSqliteUrl } from "../storage/sqlite/url.js";
import { type SourceDatabase, type SourceRow, sqlIdentifier } from "./source-database.js";

/** An Agno SQLite file, opened read-only: an import never changes its source. */
export async function openSqliteSource(url: string): Promise<SourceDatabase> {
  const db = new Database(parseSqliteUrl(url).path, { readonly: true, fileMustExist: true });
  return {
    kind: "sqlite",
    describe: (table) => table,
    async fields(table) {
      const columns = db.prepare("SELECT name FROM pragma_table_info(?)").pluck().all(table) as string[];
      return columns.length > 0 ? new Set(columns) : undefined;
    },
    async count(table) {
      return db
        .prepare(`SELECT count(*) FROM ${sqlIdentifier(table, "table")}`)
        .pluck()
        .get() as number;
    },
    async *rows(table, key, columns) {
      const list = columns.map((c) => sqlIdentifier(c, "column")).join(", ");
      const order = sqlIdentifier(key, "column");
      yield* db.prepare(`SELECT ${list} FROM ${sqlIdentifier(table, "table")} ORDER BY ${order}`).iterate() as Iterable<SourceRow>;
    },
    async close() {
      db.close();
    },
  };
}
