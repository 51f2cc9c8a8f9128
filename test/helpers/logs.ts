import { type Logger, pino } from "pino";

/** A pino logger whose JSON lines land in `lines`, for asserting on what the server logs. */
export function captureLogger(level = "info"): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}
