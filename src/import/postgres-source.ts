import pg from "pg";
import { parsePostgresUrl } from "../storage/postgres/url.js";
import { type SourceDatabase, type SourceRow, sqlIdentifier } from "./source-database.js";

const PAGE = 1000;

/** An Agno PostgreSQL database; its tables are in `schema` (Agno's default: `ai`). */
export async function openPostgresSource(url: string, schema: string): Promise<SourceDatabase> {
  const qualified = (table: string) => `${sqlIdentifier(schema, "schema")}.${sqlIdentifier(table, "table")}`;
  const client = new pg.Client({ connectionString: parsePostgresUrl(url).connectionString });
  client.on("error", () => {}); // a lost connection also fails the running query, which reports it
  await client.connect();
  return {
    kind: "postgres",
    describe: (table) => `${schema}.${table}`,
    async fields(table) {
      const { rows } = await client.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
        [schema, table],
      );
      return rows.length > 0 ? new Set(rows.map((r) => r.column_name)) : undefined;
    },
    async count(table) {
      const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM ${qualified(table)}`);
      return Number(rows[0]!.count);
    },
    async *rows(table, key, columns) {
      const list = columns.map((c) => sqlIdentifier(c, "column")).join(", ");
      const order = `${sqlIdentifier(key, "column")} COLLATE "C"`;
      // Keyset pages by the key: constant memory whatever the table size.
      for (let after = ""; ; ) {
        const { rows } = await client.query<SourceRow>(
          `SELECT ${list} FROM ${qualified(table)} WHERE ${order} > $1 ORDER BY ${order} LIMIT ${PAGE}`,
          [after],
        );
        yield* rows;
        if (rows.length < PAGE) return;
        after = String(rows.at(-1)![key]);
      }
    },
    close: () => client.end(),
  };
}
