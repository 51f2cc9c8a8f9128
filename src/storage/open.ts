/**
 * Chooses and opens a backend from a storage URL.
 *
 * @module
 */
import { SqliteStore, type SqliteOptions } from "./sqlite.js";
import type { MemoryStore } from "./store.js";

/** Thrown for a storage URL that names no known backend or has bad options. */
export class StorageUrlError extends Error {}

/**
 * Parses `sqlite://<path>[?synchronous=normal|full&busy_timeout_ms=N]`.
 * The path is everything after `sqlite://`: `sqlite://./data/m.db` is
 * relative to the working directory, `sqlite:///var/lib/m.db` absolute, and
 * `sqlite://:memory:` a private in-memory database.
 */
export function parseSqliteUrl(url: string): SqliteOptions {
  if (!url.startsWith("sqlite://")) throw new StorageUrlError(`storage URL "${url}" must start with sqlite://`);
  const rest = url.slice("sqlite://".length);
  const queryStart = rest.indexOf("?");
  const path = decodeURIComponent(queryStart < 0 ? rest : rest.slice(0, queryStart));
  const params = new URLSearchParams(queryStart < 0 ? "" : rest.slice(queryStart + 1));
  if (path === "") throw new StorageUrlError(`storage URL "${url}" has no file path`);
  const synchronous = params.get("synchronous") ?? "normal";
  if (synchronous !== "normal" && synchronous !== "full") {
    throw new StorageUrlError(`synchronous must be "normal" or "full", not "${synchronous}"`);
  }
  const busyTimeoutMs = Number(params.get("busy_timeout_ms") ?? 5000);
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StorageUrlError(`busy_timeout_ms must be a non-negative integer`);
  }
  return { path, synchronous, busyTimeoutMs };
}

/** Opens the store a URL names; its schema is migrated before this resolves. */
export async function openStore(url: string): Promise<MemoryStore> {
  const scheme = url.slice(0, url.indexOf(":") + 1);
  switch (scheme) {
    case "sqlite:":
      return SqliteStore.open(parseSqliteUrl(url));
    default:
      throw new StorageUrlError(`unsupported storage URL "${url}": expected sqlite://`);
  }
}
