/**
 * Notices when the file at a SQLite store's path is no longer the one its
 * connection has open (deleted or replaced under a running server): every
 * later write would go to a file no restart will find.
 *
 * @module
 */
import { statSync } from "node:fs";
import { StorageLostError } from "../errors.js";

/** Which file a path names: its device and inode. */
interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

function identity(path: string): FileIdentity | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats && { dev: stats.dev, ino: stats.ino };
}

const same = (a: FileIdentity | undefined, b: FileIdentity | undefined) => a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;

export class DatabaseFile {
  readonly #db: FileIdentity | undefined;
  /** Set by the first check after SQLite created the WAL (at the first write). */
  #wal: FileIdentity | undefined;

  /** `path` is absolute, and the connection has just opened it. */
  constructor(readonly path: string) {
    this.#db = identity(path);
    this.#wal = identity(`${path}-wal`);
  }

  /** Throws `StorageLostError` when the database file or its WAL at the path is not the one opened. One stat each: cheap enough for every group commit. */
  check(): void {
    const wal = identity(`${this.path}-wal`);
    this.#wal ??= wal;
    if (!same(identity(this.path), this.#db) || !same(wal, this.#wal)) {
      throw new StorageLostError(`the database file ${this.path} was deleted or replaced while memoryd had it open; restart memoryd once it is restored`);
    }
  }
}
