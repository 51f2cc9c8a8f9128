/**
 * The process logger: pino JSON lines on stdout, written in batches.
 *
 * One line per call makes synchronous writes a syscall per RPC, a visible
 * share of a call's cost; batching them (flushed at least every 200 ms, and
 * before the process exits) keeps logging off the hot path.
 *
 * The destination is a SonicBoom of our own rather than `pino.destination`:
 * that one flushes synchronously when the process exits, and a synchronous
 * write to a pipe whose reader has gone (EPIPE) or stopped reading is
 * retried forever, so a memoryd whose log collector died could not stop on
 * SIGTERM. Here the last flush is asynchronous and time-limited, and a
 * destination that failed is written no more.
 *
 * @module
 */
import { type Logger, pino } from "pino";
import sonicBoom from "sonic-boom";

export interface ProcessLogger {
  readonly log: Logger;
  /**
   * Writes out everything buffered and ends the log; await it before
   * `process.exit`. Resolves after at most `FINAL_FLUSH_MS`, whoever reads
   * stdout or not; lines logged after it began are dropped.
   */
  flush(): Promise<void>;
}

const FLUSH_INTERVAL_MS = 200;

/** The longest an exit waits for log lines to drain. */
const FINAL_FLUSH_MS = 2000;

export function createProcessLogger(level: string): ProcessLogger {
  // maxLength: a reader that stops reading costs log lines, not unbounded memory.
  const destination = new sonicBoom.SonicBoom({ dest: 1, sync: false, minLength: 8 * 1024, maxLength: 16 * 1024 * 1024 });
  let failed = false;
  // A failing stdout (a closed pipe, a full disk) must not take the service down: logging stops instead.
  destination.on("error", () => {
    failed = true;
  });
  let ended = false;
  const writable = () => !failed && !ended;
  setInterval(() => {
    if (writable()) destination.flush();
  }, FLUSH_INTERVAL_MS).unref();
  const log = pino(
    { level, base: { service: "memoryd" } },
    {
      write: (line: string) => {
        if (writable()) destination.write(line);
      },
    },
  );
  let finalFlush: Promise<void> | undefined;
  return {
    log,
    // end(), not flush(cb): flush's callback fires when the write in flight
    // finishes, even if lines logged meanwhile are still only in the buffer.
    flush: () =>
      (finalFlush ??= new Promise<void>((resolve) => {
        if (!writable()) return resolve();
        const timer = setTimeout(resolve, FINAL_FLUSH_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        destination.once("close", done);
        destination.once("error", done);
        ended = true;
        destination.end();
      })),
  };
}
