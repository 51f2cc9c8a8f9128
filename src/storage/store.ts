/**
 * The storage contract every memoryd backend implements, and what a store
 * may take for granted.
 *
 * **A store may assume** its input passed `src/validation.ts`: ids, user
 * ids and topics are non-empty, in Unicode NFC, free of invisible
 * characters and within their byte limits; text holds no NUL; page sizes and
 * limits are 1 to 1,000; batches hold 1 to 500 entries with no id or
 * request id twice; cursors come from pages this store returned. It may
 * assume nothing about the content of strings (quotes, `%`, `$`, regex
 * syntax are data).
 *
 * **A store guarantees:**
 * - each method is one atomic operation: concurrent callers never see half
 *   of it, and a method that fails wrote nothing (a batch: none of its
 *   entries) — across a crash of memoryd or the database too, unless
 *   `capabilities.atomicBatch` is false (then only while both keep running);
 * - a write that resolved is durable (it survives memoryd being killed);
 * - every read is scoped to one user: no call reaches another user's
 *   memories, and a memory of another user is indistinguishable from a
 *   missing one;
 * - times are microseconds, strictly increasing per user in the order of
 *   writes (see `clock.ts`), and listings order by time then memory id;
 * - failures are the typed errors of `./errors.ts` that each method names,
 *   never swallowed; an unreachable database is `UnavailableError`, a full
 *   disk `StorageFullError`, a passed deadline `DeadlineExceededError`.
 *
 * The conformance suite in `test/conformance/` is the executable form of
 * this contract, split by topic.
 *
 * @module
 */

/**
 * What a backend cannot always promise. The conformance suite runs the
 * categories that depend on one only where the store declares it.
 */
export interface StoreCapabilities {
  /**
   * A batch is all or nothing even across a crash, and no reader sees part
   * of it: true where the database has transactions (SQLite, PostgreSQL,
   * a MongoDB replica set), false for MongoDB without them (FerretDB, a
   * standalone mongod), which undoes a failed batch entry by entry.
   */
  readonly atomicBatch: boolean;
}

/** A stored memory. Times are microseconds since the Unix epoch (UTC). */
export interface MemoryRecord {
  readonly userId: string;
  readonly memoryId: string;
  readonly memory: string;
  readonly topics: readonly string[];
  readonly input: string | undefined;
  readonly createTime: number;
  readonly updateTime: number;
  /** Opaque version tag; changes on every write. */
  readonly etag: string;
}

/** A memory to create. */
export interface NewMemory {
  readonly userId: string;
  /** Client-chosen id; the store generates a UUID when absent. */
  readonly memoryId?: string;
  readonly memory: string;
  readonly topics: readonly string[];
  readonly input?: string;
  /**
   * Idempotency key. A second creation with the same user and key returns
   * the record the first one made (while it exists) instead of adding one.
   */
  readonly requestId?: string;
}

/** New content for an existing memory, optionally conditional on its etag. */
export interface MemoryReplacement {
  readonly userId: string;
  readonly memoryId: string;
  readonly memory: string;
  readonly topics: readonly string[];
  readonly input?: string;
  /** When set, replace only if the stored etag is this one. */
  readonly etag?: string;
  /** Create the memory when it does not exist. */
  readonly allowMissing: boolean;
}

/** Identifies one memory for deletion. */
export interface MemoryDeletion {
  readonly userId: string;
  readonly memoryId: string;
  readonly etag?: string;
  /** Succeed quietly when the memory does not exist. */
  readonly allowMissing: boolean;
}

/** `newest`: descending time, then descending id; `oldest`: both ascending. */
export type SortDirection = "newest" | "oldest";

/**
 * A position in a listing: the sort key of the last record returned.
 * Records strictly after it (in the listing's direction) come next, which
 * keeps pages stable while memories are added or deleted between calls.
 */
export interface Cursor {
  readonly time: number;
  readonly memoryId: string;
}

export interface ListQuery {
  readonly userId: string;
  /** By create time. */
  readonly direction: SortDirection;
  readonly pageSize: number;
  /** Only records carrying at least one of these topics; empty: all. */
  readonly anyTopics: readonly string[];
  readonly after: Cursor | undefined;
}

export interface Page {
  readonly memories: readonly MemoryRecord[];
  /** Where the next page starts; absent when this page is the last. */
  readonly next: Cursor | undefined;
}

export interface SearchQuery {
  readonly userId: string;
  /** By update time. `newest` is Agno's last_n, `oldest` its first_n. */
  readonly direction: SortDirection;
  /** Most memories in the page. */
  readonly limit: number;
  /** Case-insensitive literal substring of the memory text; empty: any. */
  readonly text: string;
  readonly anyTopics: readonly string[];
  /** Where the page starts, by update time; undefined for the first one. */
  readonly after: Cursor | undefined;
}

/** Per-call options every store method accepts. */
export interface OperationOptions {
  /**
   * When the caller stops waiting (epoch milliseconds). Backends whose
   * driver supports it pass the remaining time on as the database timeout
   * and fail with `DeadlineExceededError` once it has passed.
   */
  readonly deadline?: number;
}

/** Connection pool occupancy, for metrics. */
export interface PoolStats {
  /** Open connections. */
  readonly open: number;
  /** Open connections not running an operation. */
  readonly idle: number;
  /** Operations queued for a connection. */
  readonly waiting: number;
}

/** Either one user's memories or, explicitly, everybody's. */
export type ClearScope = { readonly userId: string } | { readonly allUsers: true };

/**
 * A memory store. Implementations live in the folders next to this file,
 * one per backend, and are opened through `openStore` in `./open.ts`.
 */
export interface MemoryStore {
  /** Backend name for logs and metrics: "sqlite", "postgres", "mongodb". */
  readonly backend: string;

  readonly capabilities: StoreCapabilities;

  /**
   * Creates all the given memories in one transaction, or none of them.
   * Returns the stored records in input order. Fails with
   * `AlreadyExistsError` when a user already has a given memory id, and
   * with `RequestIdReusedError` when a request id was used for different
   * content; both carry the index of the offending entry.
   */
  add(memories: readonly NewMemory[], options?: OperationOptions): Promise<MemoryRecord[]>;

  /**
   * Writes memories exactly as given — ids, users, topics and times — but
   * with fresh etags, skipping every one whose (user, id) exists already, so
   * that an import can be run again safely. Returns how many were written.
   * For migrating data in (`memoryd import`), not for serving calls.
   */
  importMemories(records: readonly MemoryRecord[], options?: OperationOptions): Promise<number>;

  /** Fails with `NotFoundError` when the user has no such memory. */
  get(userId: string, memoryId: string, options?: OperationOptions): Promise<MemoryRecord>;

  list(query: ListQuery, options?: OperationOptions): Promise<Page>;

  /** A page of matches by update time; `next` is set while more may follow. */
  search(query: SearchQuery, options?: OperationOptions): Promise<Page>;

  /**
   * Replaces content, keeping the id and create time; with `allowMissing`
   * and no etag, creates the memory when it is missing (an upsert). Fails
   * with `NotFoundError` (unless `allowMissing`) or `EtagMismatchError`
   * (see `missed-write.ts`).
   */
  replace(replacement: MemoryReplacement, options?: OperationOptions): Promise<MemoryRecord>;

  /** Fails with `NotFoundError` (unless `allowMissing`) or `EtagMismatchError` (see `missed-write.ts`). */
  delete(deletion: MemoryDeletion, options?: OperationOptions): Promise<void>;

  /** Deletes in one operation; returns how many memories went. */
  clear(scope: ClearScope, options?: OperationOptions): Promise<number>;

  /** Resolves when the database answers; rejects with `UnavailableError`. */
  ping(options?: OperationOptions): Promise<void>;

  /** Pool occupancy, for backends that pool connections. */
  poolStats?(): PoolStats;

  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}
