/**
 * better-sqlite3's errors, which carry SQLite's extended result code, as
 * storage errors: the SQLite side of `../errors.ts`.
 *
 * @module
 */
import Database from "better-sqlite3";
import { DeadlineExceededError, StorageBusyError, StorageError, StorageFullError, UnavailableError } from "../errors.js";
import { ReaderError } from "./readers.js";

/** Thrown by `memoryd_before_deadline` (see statements.ts) on the event loop's connection. */
export class DeadlinePassed extends Error {
  constructor() {
    super("deadline passed");
    this.name = "DeadlinePassed";
  }
}

/** Translates an error from better-sqlite3 or from a reader thread; others pass through. */
export function translate(err: unknown): Error {
  if (err instanceof DeadlinePassed) return new DeadlineExceededError("the call's deadline passed during the query", { cause: err });
  if (err instanceof StorageError || !(err instanceof Database.SqliteError || err instanceof ReaderError)) return err as Error;
  const code = err.code ?? "";
  if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code.startsWith("SQLITE_LOCKED")) {
    return new StorageBusyError("the database stayed locked by another process longer than busy_timeout_ms", { cause: err });
  }
  if (code === "SQLITE_FULL") return new StorageFullError("the database's disk is full: nothing was written", { cause: err });
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY")) {
    return new UnavailableError(`database file cannot be written (${code})`, { cause: err });
  }
  return new StorageError(`sqlite: ${err.message} (${code})`, { cause: err });
}

/** A unique-constraint violation on the memory id: the user has that memory already. */
export function isDuplicateMemoryId(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code === "SQLITE_CONSTRAINT_UNIQUE" && err.message.includes("memories.memory_id");
}
