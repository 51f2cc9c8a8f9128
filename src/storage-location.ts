/**
 * Where the data goes, for the startup log: the storage URL without its
 * secrets, and for SQLite the absolute path of the database file.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseSqliteUrl, redactUrl } from "./storage/open.js";

/** Query parameters whose values are secrets (pg's `password`, MongoDB's AWS session token, ...). */
const SECRET_PARAM = /pass|secret|token|credential|authmechanismproperties/i;

/**
 * The URL with its `user:password@` part masked (as in error messages) and
 * the values of secret-looking query parameters masked too.
 */
export function redactStorageUrl(url: string): string {
  const redacted = redactUrl(url);
  const queryStart = redacted.indexOf("?");
  if (queryStart < 0) return redacted;
  const query = redacted
    .slice(queryStart + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // a malformed name is judged as written
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join("&");
  return `${redacted.slice(0, queryStart)}?${query}`;
}

export interface StorageLocation {
  /** The storage URL, secrets masked. */
  readonly storage: string;
  /** For sqlite:// URLs, the database file resolved against the working directory (or ":memory:"). */
  readonly sqliteFile?: string;
}

/** Describes `url` for the log; a URL that does not parse is still described (opening it reports the error). */
export function storageLocation(url: string, cwd = process.cwd()): StorageLocation {
  const storage = redactStorageUrl(url);
  if (!url.startsWith("sqlite://")) return { storage };
  try {
    const { path } = parseSqliteUrl(url);
    return { storage, sqliteFile: path === ":memory:" ? path : resolve(cwd, path) };
  } catch {
    return { storage };
  }
}
