/**
 * Where the data goes, for the startup log: the storage URL without its
 * secrets, and for SQLite the absolute path of the database file.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseSqliteUrl } from "./storage/sqlite/url.js";
import { redactUrl } from "./storage/url.js";

export interface StorageLocation {
  /** The storage URL, secrets masked. */
  readonly storage: string;
  /** For sqlite:// URLs, the database file resolved against the working directory (or ":memory:"). */
  readonly sqliteFile?: string;
}

/** Describes `url` for the log; a URL that does not parse is still described (opening it reports the error). */
export function storageLocation(url: string, cwd = process.cwd()): StorageLocation {
  const storage = redactUrl(url);
  if (!url.startsWith("sqlite://")) return { storage };
  try {
    const { path } = parseSqliteUrl(url);
    return { storage, sqliteFile: path === ":memory:" ? path : resolve(cwd, path) };
  } catch {
    return { storage };
  }
}
