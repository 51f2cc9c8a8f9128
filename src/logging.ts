/**
 * The process logger: pino JSON lines on stdout, written in batches.
 *
 * One line per call makes synchronous writes a syscall per RPC, a visible
 * share of a call's cost; batching them (flushed at least every 200 ms, and
 * synchronously before the process exits) keeps logging off the hot path.
 *
 * @module
 */
import { type Logger, pino } from "pino";

export interface ProcessLogger {
  readonly log: Logger;
  /** Writes out everything buffered; call before `process.exit`. */
  flush(): void;
}

const FLUSH_INTERVAL_MS = 200;

export function createProcessLogger(level: string): ProcessLogger {
  // maxLength: a reader that stops reading costs log lines, not unbounded memory.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 8 * 1024, maxLength: 16 * 1024 * 1024 });
  // A failing stdout (a full disk, say) must not take the service down; closed pipes are handled by sonic-boom.
  destination.on("error", () => {});
  setInterval(() => destination.flush(), FLUSH_INTERVAL_MS).unref();
  return {
    log: pino({ level, base: { service: "memoryd" } }, destination),
    flush: () => destination.flushSync(),
  };
}
