/**
 * Rules every backend applies the same way, kept in one place so that the
 * backends cannot drift apart: the clock, id and etag generation, search
 * folding and request fingerprints.
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import { DeadlineExceededError } from "./errors.js";
import type { Cursor, MemoryRecord, NewMemory, OperationOptions, Page, SortDirection } from "./store.js";

let lastMicros = 0;

/**
 * Wall-clock time in microseconds, strictly increasing within the process,
 * so that memories written one after another by the same server never share
 * a timestamp and sort in the order they were written.
 */
export function nowMicros(): number {
  const wall = Date.now() * 1000;
  lastMicros = wall > lastMicros ? wall : lastMicros + 1;
  return lastMicros;
}

/**
 * The time of a write to a user's memories: now, but always after
 * `latest`, the newest update time the user's memories already carry. Read
 * from the database in the same write, `latest` carries the order from one
 * replica (or process) to the next: a write that follows another, through
 * whichever server, sorts after it even when their clocks disagree or both
 * fall in the same millisecond.
 */
export function timeAfter(latest: number | null | undefined): number {
  const now = nowMicros();
  if (latest === null || latest === undefined || now > latest) return now;
  lastMicros = latest + 1;
  return lastMicros;
}

export function newMemoryId(): string {
  return randomUUID();
}

/** 80 random bits: an etag must never repeat for the same memory, even across delete and re-create. */
export function newEtag(): string {
  return randomUUID().replaceAll("-", "").slice(0, 20);
}

/**
 * The form of memory text that search matches against. Folding in
 * JavaScript rather than with each database's `lower()` keeps
 * case-insensitive search identical on every backend (SQLite's `lower()`
 * only knows ASCII).
 */
export function foldForSearch(text: string): string {
  return text.toLowerCase();
}

/**
 * A digest of what a creation asked for, stored beside its request id, so a
 * retry can be told apart from a reuse of the id for something else.
 */
export function requestFingerprint(memory: NewMemory): string {
  const content = JSON.stringify([memory.memoryId ?? null, memory.memory, memory.topics, memory.input ?? null]);
  return createHash("sha256").update(content).digest("base64url").slice(0, 22);
}

/**
 * Milliseconds left before the caller's deadline, for drivers that take a
 * per-operation timeout; undefined without a deadline. Throws
 * `DeadlineExceededError` once none is left, so nothing starts that the
 * caller no longer waits for.
 */
export function remainingMs(options: OperationOptions | undefined): number | undefined {
  if (options?.deadline === undefined) return undefined;
  const left = Math.floor(options.deadline - Date.now());
  if (left <= 0) throw new DeadlineExceededError("the call's deadline passed before the database answered");
  return left;
}

/** The cursor before the first page of a listing: every real key sorts after it. */
export function startCursor(direction: SortDirection): Cursor {
  return direction === "newest" ? { time: Number.MAX_SAFE_INTEGER, memoryId: "" } : { time: -1, memoryId: "" };
}

/**
 * A page from the rows a listing fetched: backends ask for one row more
 * than the page holds, and that extra row only says that more follow.
 */
export function toPage<Row>(
  rows: readonly Row[],
  pageSize: number,
  toRecord: (row: Row) => MemoryRecord,
  timeOf: (record: MemoryRecord) => number = (record) => record.createTime,
): Page {
  const more = rows.length > pageSize;
  const memories = (more ? rows.slice(0, pageSize) : rows).map(toRecord);
  const last = memories.at(-1);
  return { memories, next: more && last ? { time: timeOf(last), memoryId: last.memoryId } : undefined };
}

/** The sort key of a search page: update time. */
export const byUpdateTime = (record: MemoryRecord): number => record.updateTime;

/**
 * How many of a user's newest (or oldest) memories a text search checks
 * directly before it turns to the trigram index (SQLite, PostgreSQL). A
 * frequent word is found among them at once; a rare one then costs an index
 * lookup instead of a walk through everything the user has.
 */
export const SEARCH_WINDOW = 500;

/** A trigram index cannot find fewer than three characters (code points): such a search reads the user's memories in order. */
export function trigramSearchable(folded: string): boolean {
  return [...folded].length >= 3;
}
