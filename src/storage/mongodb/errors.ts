/**
 * The MongoDB driver's errors as storage errors: the MongoDB side of
 * `../errors.ts`.
 *
 * @module
 */
import { MongoServerError } from "mongodb";
import { ConflictError, DeadlineExceededError, isSocketError, StorageError, UnavailableError } from "../errors.js";

const NETWORK_ERRORS = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
  "MongoPoolClearedError",
  // Only a replaced client or one closed at shutdown says this; either way the call can be retried.
  "MongoClientClosedError",
]);

/** Translates an error from the driver or the network; storage errors pass through. */
export function translate(err: unknown): Error {
  if (err instanceof StorageError || !(err instanceof Error)) return err as Error;
  // Under a deadline, "no server to send to" surfaces as a timeout: it is an outage, not a slow query.
  if (err.name === "MongoOperationTimeoutError" && /server selection/i.test(err.message)) {
    return new UnavailableError(`MongoDB unavailable: ${err.message}`, { cause: err });
  }
  if (err.name === "MongoOperationTimeoutError" || (err instanceof MongoServerError && err.code === 50)) {
    return new DeadlineExceededError("the call's deadline passed before MongoDB answered", { cause: err });
  }
  if (NETWORK_ERRORS.has(err.name) || isSocketError(err))
    return new UnavailableError(`MongoDB unavailable: ${err.message}`, { cause: err });
  if (err instanceof MongoServerError && (err.code === 112 || err.hasErrorLabel("TransientTransactionError"))) {
    return new ConflictError("write conflicted with a concurrent one", { cause: err });
  }
  return new StorageError(`mongodb: ${err.message}`, { cause: err });
}

const DUPLICATE_KEY = 11000;

/** A unique index refused the write. */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === DUPLICATE_KEY;
