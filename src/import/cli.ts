/**
 * `memoryd import --from <agno store> [--format auto|agno1|agno3] [--table t] [--schema s] [--storage <memoryd storage>]`
 *
 * Prints one JSON report line on stdout and a summary line on stderr, with
 * a progress bar before it when stderr is a terminal; exits 0 when every
 * row was imported or was already there, 2 when some rows could not be
 * imported (they are listed), 1 on errors.
 *
 * @module
 */
import { Command, Option } from "commander";
import { openStore } from "../storage/open.js";
import type { AgnoFormatName } from "./agno-format.js";
import { importAgno } from "./import-agno.js";
import { ProgressBar } from "./progress-bar.js";
import { summaryLine } from "./summary-line.js";

export async function runImport(argv: readonly string[]): Promise<number> {
  const program = new Command("memoryd import")
    .description("copy an Agno 1.x or Agno 3 memory store (SQLite, PostgreSQL or MongoDB) into memoryd; safe to run again")
    .requiredOption("--from <url>", "the Agno store: sqlite://<file>, postgres://... or mongodb://host/<db>")
    .addOption(
      new Option("--format <format>", "which Agno wrote the store; auto tells by the table's columns")
        .choices(["auto", "agno1", "agno3"])
        .default("auto"),
    )
    .option(
      "--table <name>",
      "Agno's table or collection (default: agno_memories for Agno 3, memory for Agno 1.x; required for Agno 1.x on PostgreSQL)",
    )
    .option("--schema <name>", "PostgreSQL schema of the Agno table", "ai")
    .addOption(
      new Option("--storage <url>", "memoryd's storage to import into").env("MEMORYD_STORAGE_URL").default("sqlite://./data/memoryd.db"),
    )
    .parse(argv, { from: "user" });
  const options = program.opts<{ from: string; format: AgnoFormatName | "auto"; table?: string; schema: string; storage: string }>();
  const started = performance.now();
  const store = await openStore(options.storage);
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  try {
    const report = await importAgno(
      { url: options.from, format: options.format, table: options.table, schema: options.schema },
      store,
      bar,
    );
    bar?.clear();
    process.stdout.write(`${JSON.stringify({ msg: "import finished", ...report })}\n`);
    process.stderr.write(`${summaryLine(report, options.from, (performance.now() - started) / 1000)}\n`);
    return report.invalid.length > 0 ? 2 : 0;
  } finally {
    bar?.clear();
    await store.close();
  }
}
