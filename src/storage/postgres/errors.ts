/**
 * pg's errors (SQLSTATE in `code`) and socket errors as storage errors: the
 * PostgreSQL side of `../errors.ts`.
 *
 * @module
 */
import pg from "pg";
import { ConflictError, DeadlineExceededError, isSocketError, StorageBusyError, StorageError, UnavailableError } from "../errors.js";

/** Translates an error from pg or the network; storage errors pass through. */
export function translate(err: unknown): Error {
  if (err instanceof StorageError || !(err instanceof Error)) return err as Error;
  const code = (err as { code?: string }).code ?? "";
  if (code === "40001" || code === "40P01") {
    return new ConflictError("transaction conflicted with a concurrent one", { cause: err });
  }
  // lock_timeout: another transaction held the row for longer than the database allows a wait.
  if (code === "55P03") return new StorageBusyError("a lock the write needed was held too long by another transaction", { cause: err });
  // statement_timeout (or an administrator's cancel): the database gave up on the statement.
  if (code === "57014") return new DeadlineExceededError("PostgreSQL cancelled the statement (statement_timeout)", { cause: err });
  if (
    code.startsWith("08") ||
    code.startsWith("53") ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    isSocketError(err) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i.test(err.message)
  ) {
    return new UnavailableError(`PostgreSQL unavailable: ${err.message}`, { cause: err });
  }
  return new StorageError(`postgres: ${err.message}${code ? ` (${code})` : ""}`, { cause: err });
}

/** A unique violation of `constraint`. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  return err instanceof pg.DatabaseError && err.code === "23505" && err.constraint === constraint;
}

/** For "error" events whose error also reaches the caller through a failing query. */
export const ignoreErrorEvent = () => {};
