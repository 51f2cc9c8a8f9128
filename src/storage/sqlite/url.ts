/**
 * `sqlite://<path>[?synchronous=normal|full&busy_timeout_ms=N&readers=N&cache_kib=N]`.
 *
 * @module
 */
import { integerParam, StorageUrlError, takeParams } from "../url.js";

export interface SqliteOptions {
  /** File path, or ":memory:" for a private in-memory database. */
  readonly path: string;
  /**
   * `normal` (default) loses no committed write when the process dies, only
   * on power loss or an OS crash; `full` syncs the WAL on every commit and
   * survives those too, at the cost of one fsync per write.
   */
  readonly synchronous: "normal" | "full";
  /** How long a write waits for another process's lock before giving up. */
  readonly busyTimeoutMs: number;
  /**
   * Reader threads for searches and filtered lists; 0 runs them on the
   * event loop (always so for ":memory:", which other connections cannot open).
   */
  readonly readerThreads: number;
  /** SQLite's page cache per connection, in KiB (SQLite's default: 2,000). */
  readonly cacheKib: number;
}

/**
 * The path is everything after `sqlite://`: `sqlite://./data/m.db` is
 * relative to the working directory, `sqlite:///var/lib/m.db` absolute, and
 * `sqlite://:memory:` a private in-memory database.
 */
export function parseSqliteUrl(url: string): SqliteOptions {
  if (!url.startsWith("sqlite://")) throw new StorageUrlError(`storage URL "${url}" must start with sqlite://`);
  const { url: rest, params } = takeParams(url.slice("sqlite://".length), ["synchronous", "busy_timeout_ms", "readers", "cache_kib"]);
  if (rest.includes("?")) throw new StorageUrlError(`unknown parameter in sqlite URL "${url}"`);
  const path = decodeURIComponent(rest);
  if (path === "") throw new StorageUrlError(`storage URL "${url}" has no file path`);
  const synchronous = params.get("synchronous") ?? "normal";
  if (synchronous !== "normal" && synchronous !== "full") {
    throw new StorageUrlError(`synchronous must be "normal" or "full", not "${synchronous}"`);
  }
  return {
    path,
    synchronous,
    busyTimeoutMs: integerParam(params, "busy_timeout_ms", 5000, 0),
    readerThreads: integerParam(params, "readers", 2, 0),
    cacheKib: integerParam(params, "cache_kib", 2000, 64),
  };
}
