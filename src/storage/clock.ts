/**
 * The one clock of memoryd's records, and its conversions. Times are
 * microseconds since the Unix epoch (UTC) everywhere a store deals in
 * them; these are the only places that convert.
 *
 * @module
 */

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

/**
 * The wall clock in microseconds, not bumped like `nowMicros`. Expiry is
 * judged against it: a memory whose expire time is at or before it has
 * expired. Every backend uses this clock (not the database's), so a memory
 * expires at the same moment whichever store holds it, and a `ttl` runs on
 * the clock that turned it into an expire time.
 */
export function wallClockMicros(): number {
  return Date.now() * 1000;
}

/** Whether `expireTime` (microseconds, or undefined for never) has passed at `now`. */
export function hasExpired(expireTime: number | undefined, now = wallClockMicros()): boolean {
  return expireTime !== undefined && expireTime <= now;
}

/** A JavaScript Date (millisecond resolution) as microseconds. */
export function microsFromDate(date: Date): number {
  return date.getTime() * 1000;
}

/** Microseconds as a JavaScript Date, truncated to the millisecond. */
export function dateFromMicros(micros: number): Date {
  return new Date(Math.floor(micros / 1000));
}

/** Microseconds as whole seconds and nanoseconds (google.protobuf.Timestamp's fields). */
export function secondsAndNanos(micros: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(micros / 1e6);
  return { seconds, nanos: (micros - seconds * 1e6) * 1000 };
}
