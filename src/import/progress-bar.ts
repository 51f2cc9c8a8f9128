import type { ImportProgress, ImportReport } from "./import-agno.js";

const WIDTH = 24;
/** At most this often a redraw: a fast import would otherwise spend its time writing to the terminal. */
const REDRAW_MS = 100;

/**
 * A one-line progress bar for `memoryd import`, redrawn in place with `\r`
 * (rows read against the COUNT, rows imported), for a terminal only: the
 * caller shows it when stderr is a TTY. Hand-written: a line of text does
 * not need a dependency.
 */
export class ProgressBar implements ImportProgress {
  readonly countRows = true;
  #total: number | undefined;
  #last = 0;
  #drawn = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  start(total: number | undefined, report: Readonly<ImportReport>): void {
    this.#total = total;
    this.#draw(report);
  }

  advance(report: Readonly<ImportReport>): void {
    if (Date.now() - this.#last >= REDRAW_MS) this.#draw(report);
  }

  /** Clears the bar, so that what is written next starts on a clean line. */
  clear(): void {
    if (this.#drawn) this.stream.write("\r\x1b[K");
    this.#drawn = false;
  }

  #draw(report: Readonly<ImportReport>): void {
    this.#last = Date.now();
    this.#drawn = true;
    const counts = `${report.read.toLocaleString("en")} read, ${report.imported.toLocaleString("en")} imported`;
    const total = this.#total;
    if (total === undefined) {
      this.stream.write(`\r\x1b[Kimporting ${counts}`);
      return;
    }
    const done = total === 0 ? 1 : Math.min(1, report.read / total);
    const filled = Math.round(done * WIDTH);
    const percent = `${Math.floor(done * 100)}%`.padStart(4);
    this.stream.write(
      `\r\x1b[Kimporting [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${percent} ${counts} of ${total.toLocaleString("en")}`,
    );
  }
}
