/**
 * Group commit for SQLite: writes that arrive in the same turn of the event
 * loop (concurrent calls) share one transaction, each inside its own
 * savepoint. One fails alone, the others commit together, and none is
 * acknowledged before the commit. SQLite pays its per-transaction costs
 * (the WAL append, the full-text index's new segment, an fsync with
 * synchronous=full) once per group instead of once per call.
 *
 * Some errors (a full disk, an I/O error) make SQLite roll back the whole
 * transaction, not just the failing statement. Then the failing write is
 * refused and the others, of which nothing was stored, run again in a
 * fresh transaction: every caller is answered from what happened to its
 * own write.
 *
 * @module
 */
import type Database from "better-sqlite3";
import { remainingMs } from "../deadline.js";
import type { OperationOptions } from "../store.js";

/** A write waiting for the next group commit. */
interface PendingWrite {
  readonly options: OperationOptions | undefined;
  readonly operation: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Runs before each transaction begins; throwing refuses the whole group (a lost database file). */
  readonly beforeBegin: () => void;
  /** The driver's errors as storage errors. */
  readonly translate: (err: unknown) => Error;
}

export class GroupCommit {
  readonly #db: Database.Database;
  readonly #options: GroupCommitOptions;
  readonly #statements;
  #pending: PendingWrite[] = [];

  constructor(db: Database.Database, options: GroupCommitOptions) {
    this.#db = db;
    this.#options = options;
    this.#statements = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT memoryd_write"),
      release: db.prepare("RELEASE memoryd_write"),
      rollbackToSavepoint: db.prepare("ROLLBACK TO memoryd_write"),
    };
  }

  /** Runs `operation` in the next group's transaction; resolves with its result once the group committed. */
  write<T>(options: OperationOptions | undefined, operation: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ options, operation, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is waiting, now. */
  flush(): void {
    let group = this.#pending;
    this.#pending = [];
    while (group.length > 0) group = this.#commit(group);
  }

  /** Runs one group in one transaction and answers each write; returns those to run again (see the module comment). */
  #commit(group: readonly PendingWrite[]): PendingWrite[] {
    const { translate, beforeBegin } = this.#options;
    const statements = this.#statements;
    try {
      beforeBegin();
      statements.begin.run();
    } catch (err) {
      for (const write of group) write.reject(translate(err));
      return [];
    }
    const done: { write: PendingWrite; value: unknown }[] = [];
    for (const [index, write] of group.entries()) {
      try {
        remainingMs(write.options); // the deadline may have passed while queued
      } catch (error) {
        write.reject(error);
        continue;
      }
      try {
        statements.savepoint.run();
        const value = write.operation();
        statements.release.run();
        done.push({ write, value });
      } catch (error) {
        write.reject(translate(error));
        if (this.#db.inTransaction && this.#undoSavepoint()) continue;
        return [...done.map((d) => d.write), ...group.slice(index + 1)];
      }
    }
    try {
      statements.commit.run();
    } catch (err) {
      // Nothing of the group was stored; a COMMIT that fails may leave the transaction open.
      if (this.#db.inTransaction) statements.rollback.run();
      for (const { write } of done) write.reject(translate(err));
      return [];
    }
    for (const { write, value } of done) write.resolve(value);
    return [];
  }

  /** Undoes the current write's savepoint; false when that failed and the transaction was rolled back whole. */
  #undoSavepoint(): boolean {
    try {
      this.#statements.rollbackToSavepoint.run();
      this.#statements.release.run();
      return true;
    } catch {
      if (this.#db.inTransaction) this.#statements.rollback.run();
      return false;
    }
  }
}
