/**
 * Typed storage errors. Each backend translates its driver's errors into
 * these, so the gRPC layer maps one small set of classes to status codes
 * (see `src/errors.ts`) whatever the database. The driver error stays
 * reachable as `cause` for logs.
 *
 * @module
 */

export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Errors about one entry of a batch say which one, so callers can name it. */
export interface BatchEntryError {
  /** Position of the offending entry in the `add` input. */
  readonly index: number;
}

export class NotFoundError extends StorageError {
  constructor(
    readonly userId: string,
    readonly memoryId: string,
  ) {
    super(`memory "${memoryId}" of user "${userId}" not found`);
  }
}

/**
 * The rule of every batch delete: unless `allowMissing`, an id of the batch
 * that was not `found` (deleted, or present) fails it, naming the first.
 */
export function requireAllFound(
  deletion: { userId: string; memoryIds: readonly string[]; allowMissing?: boolean },
  found: ReadonlySet<string>,
): void {
  if (deletion.allowMissing) return;
  const missing = deletion.memoryIds.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError(deletion.userId, missing);
}

export class AlreadyExistsError extends StorageError implements BatchEntryError {
  constructor(
    readonly userId: string,
    readonly memoryId: string,
    readonly index: number,
    options?: ErrorOptions,
  ) {
    super(`memory "${memoryId}" of user "${userId}" already exists`, options);
  }
}

/** A create repeated a request id with content other than the first time. */
export class RequestIdReusedError extends StorageError implements BatchEntryError {
  constructor(
    readonly requestId: string,
    readonly index: number,
  ) {
    super(`request_id "${requestId}" was already used to create a different memory`);
  }
}

/** A conditional write found the memory changed (or gone) since the etag was read. */
export class EtagMismatchError extends StorageError {
  constructor(
    readonly userId: string,
    readonly memoryId: string,
  ) {
    super(`memory "${memoryId}" of user "${userId}" has changed: etag does not match`);
  }
}

/** The database refused a transaction because of a concurrent one; retrying may succeed. */
export class ConflictError extends StorageError {}

/** The database cannot be reached or is shutting down; retrying later may succeed. */
export class UnavailableError extends StorageError {}

/**
 * The database file at the configured path is no longer the one the store
 * opened (deleted or replaced under the running server): writes would go to
 * a file nobody will ever open again. Unavailable until an operator restarts.
 */
export class StorageLostError extends UnavailableError {}

/**
 * A lock the operation needed stayed held by another transaction longer
 * than the database allows a wait (PostgreSQL lock_timeout, SQLite's busy
 * timeout). Nothing was written; retrying later may succeed.
 */
export class StorageBusyError extends StorageError {}

/** Too much work is waiting already; the call was refused before it started. Retrying later may succeed. */
export class OverloadedError extends StorageError {}

/**
 * The database has no room for the write (a full disk or a size quota).
 * Nothing of the failed operation was stored; writes may succeed again once
 * space is freed, reads keep working.
 */
export class StorageFullError extends StorageError {}

/** The caller's deadline passed before the database answered. */
export class DeadlineExceededError extends StorageError {}

const SOCKET_ERROR_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * A Node socket error (the connection to the database broke or never
 * opened). Drivers let some of these through unwrapped, e.g. an `EPIPE`
 * when the server goes away mid-write.
 */
export function isSocketError(err: Error): boolean {
  return SOCKET_ERROR_CODES.has((err as NodeJS.ErrnoException).code ?? "");
}
