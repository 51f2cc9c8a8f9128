/**
 * What the benchmark scripts share besides a database: where the project
 * and the results are, a process's resident memory, and cleaning up when
 * interrupted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "../testkit/paths.js";

export const ROOT = repositoryRoot();
export const RESULTS_DIR = join(ROOT, "bench", "results");

/** Resident memory of process `pid`, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
}

/**
 * Runs `cleanups` when the run is interrupted (Ctrl-C, SIGTERM) as well,
 * so no database server or memoryd process outlives it.
 */
export function cleanUpOnInterrupt(cleanups: (() => unknown)[]): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, async () => {
      for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => {});
      process.exit(130);
    });
  }
}
