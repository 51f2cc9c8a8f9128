/**
 * The storage contract every memoryd backend implements, and what a store
 * may take for granted.
 *
 * **A store may assume** its input passed `src/validation.ts`: ids, user
 * ids, agent and team ids, topics and label keys are non-empty, in Unicode
 * NFC, free of invisible characters and within their byte limits; text
 * holds no NUL; page sizes and limits are 1 to 1,000, skips 0 to 100,000;
 * batches hold 1 to 500 entries with no id or request id twice; cursors
 * come from pages this store returned for the same query; imported times
 * are not in the future and an update time is not before its create time.
 * It may assume nothing about the content of strings (quotes, `%`, `$`,
 * regex syntax are data).
 *
 * **A store guarantees:**
 * - each method is one atomic operation: concurrent callers never see half
 *   of it, and a method that fails wrote nothing (a batch: none of its
 *   entries) — across a crash of memoryd or the database too, unless
 *   `capabilities.atomicBatch` is false (then only while both keep running);
 * - a write that resolved is durable (it survives memoryd being killed);
 * - every read is scoped to one user (or, where a method says so, to all
 *   users by explicit request): no call reaches another user's memories,
 *   and a memory of another user is indistinguishable from a missing one;
 * - an expired memory (`expireTime` at or before the store's clock,
 *   `wallClockMicros()` of `clock.ts`) is missing to every method, as if deleted, except where
 *   a query asks for expired memories (`showExpired`); any caller may
 *   remove it at any time, and `purgeExpired` does;
 * - times are microseconds, strictly increasing per user in the order of
 *   the writes whose time the store chooses (see `clock.ts`; imports keep
 *   the times they are given), and listings order by a time then memory id;
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
   * A batch (`add`, `deleteMany`, `importMemories` of several) is all or
   * nothing even across a crash, and no reader sees part of it: true where
   * the database has transactions (SQLite, PostgreSQL, a MongoDB replica
   * set), false for MongoDB without them (FerretDB, a standalone mongod),
   * which undoes a failed batch entry by entry.
   */
  readonly atomicBatch: boolean;
}

/** What a client may set on a memory: everything but its ids, times and etag. */
export interface MemoryContent {
  readonly memory: string;
  readonly topics: readonly string[];
  readonly input?: string | undefined;
  /** The agent and team the memory belongs to (Agno's scopes), within its user. */
  readonly agentId?: string | undefined;
  readonly teamId?: string | undefined;
  /** What the user said about the memory (Agno 3's feedback). */
  readonly feedback?: string | undefined;
  /** Key/value metadata (Mem0's metadata); `{}` for none. */
  readonly labels: Readonly<Record<string, string>>;
  /** When the memory expires, in microseconds; undefined: never. */
  readonly expireTime?: number | undefined;
}

/** A stored memory. Times are microseconds since the Unix epoch (UTC). */
export interface MemoryRecord extends MemoryContent {
  readonly userId: string;
  readonly memoryId: string;
  readonly createTime: number;
  readonly updateTime: number;
  /** Opaque version tag; changes on every write. */
  readonly etag: string;
}

/** A memory to create. */
export interface NewMemory extends MemoryContent {
  readonly userId: string;
  /** Client-chosen id; the store generates a UUID when absent. */
  readonly memoryId?: string | undefined;
  /**
   * Idempotency key. A second creation with the same user and key returns
   * the record the first one made (while it exists) instead of adding one.
   */
  readonly requestId?: string | undefined;
}

/** New content for an existing memory, optionally conditional on its etag. */
export interface MemoryReplacement extends MemoryContent {
  readonly userId: string;
  readonly memoryId: string;
  /** When set, replace only if the stored etag is this one. */
  readonly etag?: string | undefined;
  /** Create the memory when it does not exist. */
  readonly allowMissing: boolean;
}

/**
 * A partial change: the fields `changes` holds are set (a field present
 * with the value undefined is cleared), the others keep their stored value.
 */
export interface MemoryUpdate {
  readonly userId: string;
  readonly memoryId: string;
  readonly changes: Partial<MemoryContent>;
  /** When set, update only if the stored etag is this one. */
  readonly etag?: string | undefined;
}

/** Identifies one memory for deletion. */
export interface MemoryDeletion {
  readonly userId: string;
  readonly memoryId: string;
  readonly etag?: string | undefined;
  /** Succeed quietly when the memory does not exist. */
  readonly allowMissing: boolean;
}

/** Several memories of one user to delete together. */
export interface BatchDeletion {
  readonly userId: string;
  readonly memoryIds: readonly string[];
  /** Delete those that exist; otherwise one missing id fails the whole batch. */
  readonly allowMissing: boolean;
}

/** `newest`: descending time, then descending id; `oldest`: both ascending. */
export type SortDirection = "newest" | "oldest";

/** The time a listing orders by. */
export type SortTime = "createTime" | "updateTime";

/**
 * A position in a listing: the sort key of the last record returned.
 * Records strictly after it (in the listing's direction) come next, which
 * keeps pages stable while memories are added or deleted between calls.
 */
export interface Cursor {
  readonly time: number;
  readonly memoryId: string;
  /** In listings across users, the third key: two users may have a memory with one id and time. */
  readonly userId?: string | undefined;
}

/** Which memories of a user a listing returns; every condition given must hold. */
export interface MemoryFilter {
  readonly agentId?: string | undefined;
  readonly teamId?: string | undefined;
  /** At least one of these topics; empty: no condition. */
  readonly anyTopics: readonly string[];
  /** Every one of these topics; empty: no condition. */
  readonly allTopics: readonly string[];
  /** Each key with exactly this value. */
  readonly labels: Readonly<Record<string, string>>;
  /** Include expired memories that are not removed yet. */
  readonly showExpired: boolean;
  /** Only memories with one of these ids; empty: no condition. */
  readonly memoryIds: readonly string[];
}

/** A filter that matches every memory that has not expired. */
export const NO_FILTER: MemoryFilter = { anyTopics: [], allTopics: [], labels: {}, showExpired: false, memoryIds: [] };

export interface ListQuery {
  /**
   * Undefined: every user's memories (ordered by time, memory id, then user
   * id), an explicit request the service authorizes for all users.
   */
  readonly userId: string | undefined;
  readonly orderBy: SortTime;
  readonly direction: SortDirection;
  readonly filter: MemoryFilter;
  /** Case-insensitive literal substring of the memory text (see `text-search.ts`); empty: any. */
  readonly text: string;
  /** Most memories in the page. */
  readonly pageSize: number;
  /** Matches to pass over after `after`, before the page starts. */
  readonly skip: number;
  readonly after: Cursor | undefined;
  /** Also count every match (`Page.total`). */
  readonly withTotal: boolean;
}

export interface Page {
  readonly memories: readonly MemoryRecord[];
  /** Where the next page starts; absent when this page is the last. */
  readonly next: Cursor | undefined;
  /** How many memories match in all, when the query asked. */
  readonly total?: number | undefined;
}

/** The distinct topics of a user's memories (or everybody's). */
export interface TopicsQuery {
  /** Undefined: every user's memories. */
  readonly userId: string | undefined;
  readonly agentId?: string | undefined;
  readonly teamId?: string | undefined;
  readonly pageSize: number;
  /** Topics strictly after this one (in code point order) come next. */
  readonly after: string | undefined;
}

export interface TopicCount {
  readonly topic: string;
  /** How many memories carry it. */
  readonly memoryCount: number;
}

export interface TopicsPage {
  readonly topics: readonly TopicCount[];
  /** The last topic returned, when more follow. */
  readonly next: string | undefined;
}

/** Per-user statistics, most recently updated user first. */
export interface UserStatsQuery {
  /** Undefined: every user. */
  readonly userId: string | undefined;
  readonly pageSize: number;
  readonly skip: number;
  readonly after: UserStatsCursor | undefined;
  readonly withTotal: boolean;
}

/** The sort key of the last user of a page: latest update time, then user id, both descending. */
export interface UserStatsCursor {
  readonly time: number;
  readonly userId: string;
}

export interface UserStats {
  readonly userId: string;
  /** Memories that have not expired. */
  readonly memoryCount: number;
  /** The latest update time among them. */
  readonly lastUpdateTime: number;
}

export interface UserStatsPage {
  readonly users: readonly UserStats[];
  readonly next: UserStatsCursor | undefined;
  /** How many users have memories, when the query asked. */
  readonly total?: number | undefined;
}

/** What `importMemories` does with a memory the user already has. */
export type ImportConflict = "skip" | "overwrite";

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

/**
 * Some of one user's memories and the new ones that take their place
 * (memory optimisation: many memories summarised into one).
 */
export interface Consolidation {
  readonly userId: string;
  /** The memories to delete; none of them is an id of `memories`. */
  readonly memoryIds: readonly string[];
  /** The memories to create, each of `userId`. */
  readonly memories: readonly NewMemory[];
  /** Delete those of `memoryIds` that exist; otherwise a missing one fails the call. */
  readonly allowMissing: boolean;
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
   * Writes memories exactly as given — ids, users, content and times — with
   * fresh etags, in one transaction. A memory the user already has is left
   * as it is (`skip`: `memoryd import`, safe to run again) or overwritten
   * (`overwrite`: BatchUpsertUserMemories, Agno's upsert_memories with
   * preserved times). Returns the records as stored, in input order (for
   * `skip`, the stored record where one existed) and how many were written.
   */
  importMemories(
    records: readonly MemoryRecord[],
    onConflict: ImportConflict,
    options?: OperationOptions,
  ): Promise<{ records: MemoryRecord[]; written: number }>;

  /** Fails with `NotFoundError` when the user has no such memory (or it expired). */
  get(userId: string, memoryId: string, options?: OperationOptions): Promise<MemoryRecord>;

  /** A page of the user's memories that pass the filter and text, in the query's order. */
  list(query: ListQuery, options?: OperationOptions): Promise<Page>;

  /**
   * Replaces content, keeping the id and create time; with `allowMissing`
   * and no etag, creates the memory when it is missing (an upsert). Fails
   * with `NotFoundError` (unless `allowMissing`) or `EtagMismatchError`
   * (see `missed-write.ts`).
   */
  replace(replacement: MemoryReplacement, options?: OperationOptions): Promise<MemoryRecord>;

  /**
   * Changes the fields `update.changes` names (see `updatedContent` in
   * `records.ts`), keeping the others. Fails with `NotFoundError` or
   * `EtagMismatchError`, or `ConflictError` when concurrent writes kept
   * changing the memory.
   */
  update(update: MemoryUpdate, options?: OperationOptions): Promise<MemoryRecord>;

  /** Fails with `NotFoundError` (unless `allowMissing`) or `EtagMismatchError` (see `missed-write.ts`). */
  delete(deletion: MemoryDeletion, options?: OperationOptions): Promise<void>;

  /**
   * Deletes the given memories of one user in one transaction, returning
   * how many went; without `allowMissing`, a missing one fails the batch
   * with `NotFoundError` naming the first, and nothing is deleted.
   */
  deleteMany(deletion: BatchDeletion, options?: OperationOptions): Promise<number>;

  /**
   * Deletes `memoryIds` and creates `memories` in one transaction (the
   * rules of `deleteMany` and `add`), returning the created records and how
   * many were deleted. Where `capabilities.atomicBatch` is false, creates
   * first and deletes after: a crash in between leaves both, never neither.
   */
  consolidate(consolidation: Consolidation, options?: OperationOptions): Promise<{ records: MemoryRecord[]; deleted: number }>;

  /** Deletes in one operation; returns how many memories went (expired ones not counted). */
  clear(scope: ClearScope, options?: OperationOptions): Promise<number>;

  /** A page of distinct topics with the number of memories carrying each. */
  listTopics(query: TopicsQuery, options?: OperationOptions): Promise<TopicsPage>;

  /** A page of per-user statistics; users whose memories all expired are left out. */
  listUserStats(query: UserStatsQuery, options?: OperationOptions): Promise<UserStatsPage>;

  /** Removes up to `limit` expired memories, oldest expiry first; returns how many. */
  purgeExpired(limit: number, options?: OperationOptions): Promise<number>;

  /** Resolves when the database answers; rejects with `UnavailableError`. */
  ping(options?: OperationOptions): Promise<void>;

  /** Pool occupancy, for backends that pool connections. */
  poolStats?(): PoolStats;

  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}
