/**
 * `memoryd import --from <agno store> [--table t] [--schema s] [--storage <memoryd storage>]`
 *
 * Prints one JSON report line; exits 0 when every row was imported or was
 * already there, 2 when some rows could not be imported (they are listed),
 * 1 on errors.
 *
 * @module
 */
import { Command, Option } from "commander";
import { openStore } from "../storage/open.js";
import { importAgno } from "./agno.js";

export async function runImport(argv: readonly string[]): Promise<number> {
  const program = new Command("memoryd import")
    .description("copy an Agno 1.x memory store (SqliteMemoryDb, PostgresMemoryDb, MongoMemoryDb) into memoryd; safe to run again")
    .requiredOption("--from <url>", "the Agno store: sqlite://<file>, postgres://... or mongodb://host/<db>")
    .option("--table <name>", "Agno's table or collection (default: memory; required for PostgreSQL)")
    .option("--schema <name>", "PostgreSQL schema of the Agno table", "ai")
    .addOption(
      new Option("--storage <url>", "memoryd's storage to import into").env("MEMORYD_STORAGE_URL").default("sqlite://./data/memoryd.db"),
    )
    .parse(argv, { from: "user" });
  const options = program.opts<{ from: string; table?: string; schema: string; storage: string }>();
  const store = await openStore(options.storage);
  try {
    const report = await importAgno({ url: options.from, table: options.table, schema: options.schema }, store);
    process.stdout.write(`${JSON.stringify({ msg: "import finished", ...report })}\n`);
    return report.invalid.length > 0 ? 2 : 0;
  } finally {
    await store.close();
  }
}
