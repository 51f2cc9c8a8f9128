/**
 * Conditional writes that are atomic on FerretDB too.
 *
 * MongoDB applies a filtered single-document update atomically, so a write
 * with the etag in its filter is enough there. FerretDB 1.x does not
 * (measured: 16 of 16 concurrent writers with the same etag all "won"), but
 * it does enforce unique indexes: a writer first claims the etag it
 * replaces with an insert into a claims collection, and only the one insert
 * that succeeds may write. Claims are removed afterwards; one left behind by
 * a crash is taken over once it is older than CLAIM_TIMEOUT_MS.
 *
 * @module
 */
import type { Collection } from "mongodb";
import { EtagMismatchError } from "../errors.js";
import { isDuplicateKey } from "./errors.js";

/** A writer's claim on the etag it is about to replace. */
export interface EtagClaim {
  user_id: string;
  memory_id: string;
  etag: string;
  at: Date;
}

const CLAIM_TIMEOUT_MS = 30_000;

export class EtagClaims {
  constructor(readonly collection: Collection<EtagClaim>) {}

  async createIndexes(): Promise<void> {
    await this.collection.createIndexes([{ key: { user_id: 1, memory_id: 1, etag: 1 }, name: "claims_by_etag", unique: true }]);
  }

  /**
   * Runs `write` holding the claim on `etag` of the memory; fails with
   * `EtagMismatchError` when another writer holds it. `timeout` gives the
   * driver's per-operation options for the caller's deadline.
   */
  async conditionally<T>(
    userId: string,
    memoryId: string,
    etag: string,
    timeout: () => { timeoutMS?: number },
    write: () => Promise<T>,
  ): Promise<T> {
    const claim = { user_id: userId, memory_id: memoryId, etag };
    try {
      await this.collection.insertOne({ ...claim, at: new Date() }, timeout());
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const stale = await this.collection.deleteOne({ ...claim, at: { $lt: new Date(Date.now() - CLAIM_TIMEOUT_MS) } }, timeout());
      if (stale.deletedCount === 0) throw new EtagMismatchError(userId, memoryId); // another writer holds it
      await this.collection.insertOne({ ...claim, at: new Date() }, timeout()).catch((retryError) => {
        throw isDuplicateKey(retryError) ? new EtagMismatchError(userId, memoryId) : retryError;
      });
    }
    try {
      return await write();
    } finally {
      await this.collection.deleteOne(claim).catch(() => {}); // a leftover claim only blocks an etag that is already spent
    }
  }
}
