/**
 * The rule every backend applies to the schema version it finds at start.
 *
 * @module
 */
import { StorageError } from "./errors.js";

/**
 * Refuses a database whose schema a newer memoryd wrote: this one would
 * misread it, or write what that one cannot read.
 */
export function assertKnownSchemaVersion(found: number, known: number): void {
  if (found > known) {
    throw new StorageError(`database schema version ${found} is newer than this memoryd knows (${known}); upgrade memoryd`);
  }
}
