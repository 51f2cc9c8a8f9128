/**
 * Deadlines as the stores see them: the epoch millisecond when the caller
 * stops waiting.
 *
 * @module
 */
import { DeadlineExceededError } from "./errors.js";
import type { OperationOptions } from "./store.js";

/**
 * Milliseconds left before the caller's deadline, for drivers that take a
 * per-operation timeout; undefined without a deadline. Throws
 * `DeadlineExceededError` once none is left, so nothing starts that the
 * caller no longer waits for.
 */
export function remainingMs(options: OperationOptions | undefined): number | undefined {
  if (options?.deadline === undefined) return undefined;
  const left = Math.floor(options.deadline - Date.now());
  if (left <= 0) throw new DeadlineExceededError("the call's deadline passed before the database answered");
  return left;
}
