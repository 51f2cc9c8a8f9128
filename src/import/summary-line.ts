import { redactUrl } from "../storage/url.js";
import { agno1 } from "./agno1.js";
import { agno3 } from "./agno3.js";
import type { ImportReport } from "./import-agno.js";

const TITLES = { agno1: agno1.title, agno3: agno3.title };

/**
 * The human line `memoryd import` ends with on stderr, beside the JSON
 * report on stdout (for scripts): `imported 120 memories (3 already
 * present, 0 invalid) from sqlite://… (Agno 3, agno_memories) in 0.4 s`.
 * The URL is redacted: the line ends up in terminals and CI logs.
 */
export function summaryLine(report: Readonly<ImportReport>, url: string, seconds: number): string {
  const memories = report.imported === 1 ? "memory" : "memories";
  return (
    `imported ${report.imported} ${memories} (${report.alreadyPresent} already present, ${report.invalid.length} invalid) ` +
    `from ${redactUrl(url)} (${TITLES[report.format]}, ${report.table}) in ${seconds.toFixed(1)} s`
  );
}
