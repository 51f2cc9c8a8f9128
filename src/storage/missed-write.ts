/**
 * What it means when a conditional replace or delete matched no row.
 *
 * Every backend writes `... WHERE user_id = ? AND memory_id = ? [AND etag
 * = ?]` and, when that changes nothing, asks whether the memory exists; the
 * answer decides the error, by the same rule everywhere.
 *
 * @module
 */
import { EtagMismatchError, NotFoundError } from "./errors.js";

export interface MissedWrite {
  readonly operation: "replace" | "delete";
  readonly userId: string;
  readonly memoryId: string;
  /** The caller accepts a missing memory (`allow_missing`). */
  readonly allowMissing: boolean;
  /** Whether the memory exists, asked after the write missed. */
  readonly exists: boolean;
}

/**
 * The error for a conditional write that matched nothing, or undefined when
 * that is success (deleting a missing memory with `allowMissing`):
 * - the memory exists: its etag changed since the caller read it;
 * - it does not, and the caller did not allow that: NotFoundError;
 * - it does not and the caller allowed it: a delete is done; a replace that
 *   still missed carried an etag (without one it would have upserted), and
 *   no version of a missing memory can have that etag.
 */
export function missedWriteError(missed: MissedWrite): Error | undefined {
  const { userId, memoryId } = missed;
  if (missed.exists) return new EtagMismatchError(userId, memoryId);
  if (!missed.allowMissing) return new NotFoundError(userId, memoryId);
  return missed.operation === "replace" ? new EtagMismatchError(userId, memoryId) : undefined;
}
