/**
 * A SQLite store's file: its directory made ready before the database is
 * opened, and noticing when the file at the path is no longer the one the
 * connection has open (deleted or replaced under a running server): every
 * later write would go to a file no restart will find.
 *
 * @module
 */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { StorageError, StorageLostError } from "../errors.js";

/**
 * Creates the missing directories above `path`, private to this user, one
 * at a time; refuses a path that cannot hold a database with a clear error
 * before touching anything. (Node's recursive mkdir loops forever under
 * /proc, where mkdir answers ENOENT for a parent that exists.)
 */
export function prepareDirectory(path: string): void {
  const missing: string[] = [];
  let existing = dirname(resolve(path));
  for (;;) {
    const stats = statSync(existing, { throwIfNoEntry: false });
    if (stats) {
      if (!stats.isDirectory()) throw new StorageError(`cannot keep a database under ${existing}: it is not a directory`);
      break;
    }
    missing.unshift(existing);
    existing = dirname(existing);
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    if (missing.length > 0 || !statSync(resolve(path), { throwIfNoEntry: false })) {
      throw new StorageError(`cannot create the database ${resolve(path)}: ${existing} is not writable`);
    }
  }
  for (const dir of missing) {
    try {
      // Memories are personal data: a directory memoryd creates is private to its user.
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      throw new StorageError(`cannot create the directory ${dir} for the database`, { cause: err });
    }
  }
}

/** Which file a path names: its device and inode. */
interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

function identity(path: string): FileIdentity | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats && { dev: stats.dev, ino: stats.ino };
}

const same = (a: FileIdentity | undefined, b: FileIdentity | undefined) =>
  a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;

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
      throw new StorageLostError(
        `the database file ${this.path} was deleted or replaced while memoryd had it open; restart memoryd once it is restored`,
      );
    }
  }
}
