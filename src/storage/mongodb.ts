/**
 * The MongoDB backend (official driver). Tested against FerretDB 1.x, which
 * speaks the MongoDB wire protocol, and against a real MongoDB through
 * MONGODB_URL.
 *
 * Single-document writes are atomic in MongoDB, so replace and delete put
 * the etag in the filter and upserts are one `findOneAndUpdate`. (FerretDB's
 * are not; there conditional writes also claim their etag first, see
 * `#conditionally`.) Request ids
 * are unique through an index on `(user_id, request_key)`; since neither
 * FerretDB nor every MongoDB deployment has partial indexes, a memory
 * created without a request id gets a key no request id can have
 * (`\u0001` + its memory id: request ids hold no control characters).
 *
 * A batch is one multi-document transaction where the deployment has them
 * (a replica set or a sharded cluster). Elsewhere (FerretDB, a standalone
 * mongod) ids are checked up front, and when an insert still fails the
 * entries this batch created are deleted again before the error is
 * reported: a reader can see such entries for that instant, and a crash in
 * between can leave them (the proto's BatchAddUserMemories states this).
 *
 * A write's time comes after the newest update time the user's memories
 * carry (one indexed read before the write, see `timeAfter`), so the order
 * of a user's memories follows the order of writes across replicas.
 *
 * Times are BSON dates (`create_time`, `update_time`, for people and
 * tools) plus the same instants in microseconds (`create_us`, `update_us`),
 * which order and page exactly as on the SQL backends.
 *
 * @module
 */
import { type ClientSession, type Collection, type Document, type Filter, type IndexDescription, MongoClient, MongoServerError } from "mongodb";
import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  EtagMismatchError,
  isSocketError,
  NotFoundError,
  RequestIdReusedError,
  StorageError,
  UnavailableError,
} from "./errors.js";
import { byUpdateTime, foldForSearch, newEtag, newMemoryId, remainingMs, requestFingerprint, timeAfter, toPage } from "./records.js";
import type {
  ClearScope,
  Cursor,
  ListQuery,
  MemoryDeletion,
  MemoryRecord,
  MemoryReplacement,
  MemoryStore,
  NewMemory,
  OperationOptions,
  Page,
  PoolStats,
  SearchQuery,
} from "./store.js";

export interface MongoOptions {
  /** The driver's connection string, without memoryd's own parameters. */
  readonly connectionString: string;
  readonly database: string;
  readonly collection: string;
}

interface MemoryDocument {
  user_id: string;
  memory_id: string;
  memory: string;
  memory_folded: string;
  topics: string[];
  input?: string;
  create_time: Date;
  update_time: Date;
  create_us: number;
  update_us: number;
  etag: string;
  request_key: string;
  request_fingerprint?: string;
}

const DUPLICATE_KEY = 11000;

/** A writer's claim on the etag it is about to replace (FerretDB only, see `#conditionally`). */
interface EtagClaim {
  user_id: string;
  memory_id: string;
  etag: string;
  at: Date;
}

const CLAIM_TIMEOUT_MS = 30_000;
const NO_REQUEST_PREFIX = "\u0001";

const INDEXES: IndexDescription[] = [
  { key: { user_id: 1, memory_id: 1 }, name: "memories_by_id", unique: true },
  { key: { user_id: 1, create_us: 1, memory_id: 1 }, name: "memories_by_create_time" },
  { key: { user_id: 1, update_us: 1, memory_id: 1 }, name: "memories_by_update_time" },
  { key: { user_id: 1, request_key: 1 }, name: "memories_by_request_id", unique: true },
];

function toRecord(doc: MemoryDocument): MemoryRecord {
  return {
    userId: doc.user_id,
    memoryId: doc.memory_id,
    memory: doc.memory,
    topics: doc.topics,
    input: doc.input ?? undefined,
    createTime: doc.create_us,
    updateTime: doc.update_us,
    etag: doc.etag,
  };
}

/** The content fields of a document, as `$set` writes them. */
function contentFields(record: MemoryRecord) {
  return {
    memory: record.memory,
    memory_folded: foldForSearch(record.memory),
    topics: [...record.topics],
    update_time: new Date(Math.floor(record.updateTime / 1000)),
    update_us: record.updateTime,
    etag: record.etag,
  };
}

function toDocument(record: MemoryRecord, requestId: string | undefined, fingerprint: string | undefined): MemoryDocument {
  const doc: MemoryDocument = {
    user_id: record.userId,
    memory_id: record.memoryId,
    ...contentFields(record),
    create_time: new Date(Math.floor(record.createTime / 1000)),
    create_us: record.createTime,
    request_key: requestId ?? NO_REQUEST_PREFIX + record.memoryId,
  };
  if (record.input !== undefined) doc.input = record.input;
  if (fingerprint !== undefined) doc.request_fingerprint = fingerprint;
  return doc;
}

/** Documents after `cursor` in a listing by `field` (then memory id), newest or oldest first. */
function after(field: "create_us" | "update_us", newest: boolean, cursor: Cursor): Filter<MemoryDocument>[] {
  const op = newest ? "$lt" : "$gt";
  return [{ [field]: { [op]: cursor.time } }, { [field]: cursor.time, memory_id: { [op]: cursor.memoryId } }];
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

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

function translate(err: unknown): Error {
  if (err instanceof StorageError || !(err instanceof Error)) return err as Error;
  // Under a deadline, "no server to send to" surfaces as a timeout: it is an outage, not a slow query.
  if (err.name === "MongoOperationTimeoutError" && /server selection/i.test(err.message)) {
    return new UnavailableError(`MongoDB unavailable: ${err.message}`, { cause: err });
  }
  if (err.name === "MongoOperationTimeoutError" || (err instanceof MongoServerError && err.code === 50)) {
    return new DeadlineExceededError("the call's deadline passed before MongoDB answered", { cause: err });
  }
  if (NETWORK_ERRORS.has(err.name) || isSocketError(err)) return new UnavailableError(`MongoDB unavailable: ${err.message}`, { cause: err });
  if (err instanceof MongoServerError && (err.code === 112 || err.hasErrorLabel("TransientTransactionError"))) {
    return new ConflictError("write conflicted with a concurrent one", { cause: err });
  }
  return new StorageError(`mongodb: ${err.message}`, { cause: err });
}

/** Driver options set in the URL, which must win over memoryd's defaults passed beside it. */
function connectionStringOptions(url: string): Record<string, number> {
  const query = url.includes("?") ? new URLSearchParams(url.slice(url.indexOf("?") + 1)) : new URLSearchParams();
  const explicit: Record<string, number> = {};
  for (const name of ["serverSelectionTimeoutMS", "connectTimeoutMS"]) {
    const value = query.get(name) ?? query.get(name.toLowerCase());
    if (value !== null) explicit[name] = Number(value);
  }
  return explicit;
}

/** One MongoClient and what memoryd uses of it. */
interface Connection {
  readonly client: MongoClient;
  readonly memories: Collection<MemoryDocument>;
  readonly claims: Collection<EtagClaim> | undefined;
  readonly pool: PoolStats;
  /** Whether the deployment runs multi-document transactions (a replica set or mongos). */
  readonly transactions: boolean;
  /** Operations running on this client; a replaced client is closed once they are done. */
  active: number;
  replaced: boolean;
}

const RECONNECT_INTERVAL_MS = 5000;

async function connect(options: MongoOptions): Promise<Connection> {
  const client = new MongoClient(options.connectionString, {
    // While no server is reachable the driver holds every operation for
    // this long before failing it (its own default is 30 s): fail fast,
    // so callers get UNAVAILABLE and retry, and health notices. A
    // serverSelectionTimeoutMS in the URL still takes precedence.
    serverSelectionTimeoutMS: 1500,
    connectTimeoutMS: 5000,
    ...connectionStringOptions(options.connectionString),
  });
  const pool = countPoolEvents(client);
  try {
    await client.connect();
    const db = client.db(options.database);
    const info = await client.db("admin").command({ buildInfo: 1 });
    const claims = info.ferretdbVersion === undefined ? undefined : db.collection<EtagClaim>(`${options.collection}_etag_claims`);
    const hello = await client.db("admin").command({ hello: 1 });
    const transactions = info.ferretdbVersion === undefined && (hello.setName !== undefined || hello.msg === "isdbgrid");
    return { client, memories: db.collection<MemoryDocument>(options.collection), claims, pool, transactions, active: 0, replaced: false };
  } catch (err) {
    await client.close().catch(() => {});
    throw translate(err);
  }
}

/** Pool occupancy, counted from the driver's connection-pool (CMAP) events: it has no public gauge. */
function countPoolEvents(client: MongoClient): PoolStats {
  const pool = { open: 0, idle: 0, waiting: 0 };
  client.on("connectionCreated", () => (pool.open++, pool.idle++));
  client.on("connectionClosed", () => (pool.open--, (pool.idle = Math.max(0, pool.idle - 1))));
  client.on("connectionCheckOutStarted", () => pool.waiting++);
  client.on("connectionCheckOutFailed", () => pool.waiting--);
  client.on("connectionCheckedOut", () => (pool.waiting--, pool.idle--));
  client.on("connectionCheckedIn", () => pool.idle++);
  return pool;
}

/** The driver's per-operation timeout (client-side operation timeout) from the caller's deadline. */
function timeout(options: OperationOptions | undefined): { timeoutMS?: number } {
  const left = remainingMs(options);
  return left === undefined ? {} : { timeoutMS: left };
}

const isDuplicateKey = (err: unknown) => err instanceof MongoServerError && err.code === DUPLICATE_KEY;

export class MongoStore implements MemoryStore {
  readonly backend = "mongodb";
  readonly #options: MongoOptions;
  #connection: Connection;
  #reconnecting: Promise<void> | undefined;
  #lastReconnect = 0;

  private constructor(options: MongoOptions, connection: Connection) {
    this.#options = options;
    this.#connection = connection;
  }

  get #memories(): Collection<MemoryDocument> {
    return this.#connection.memories;
  }

  /** Set on servers whose conditional updates are not atomic (FerretDB): see `#conditionally`. */
  get #claims(): Collection<EtagClaim> | undefined {
    return this.#connection.claims;
  }

  /** Connects and creates the collection's indexes if missing. */
  static async open(options: MongoOptions): Promise<MongoStore> {
    const connection = await connect(options);
    try {
      // One index per command: FerretDB 1.24 drops the connection when one
      // createIndexes command names several indexes that all exist already.
      for (const index of INDEXES) await connection.memories.createIndexes([index]);
      await connection.claims?.createIndexes([{ key: { user_id: 1, memory_id: 1, etag: 1 }, name: "claims_by_etag", unique: true }]);
      return new MongoStore(options, connection);
    } catch (err) {
      await connection.client.close().catch(() => {});
      throw translate(err);
    }
  }

  /**
   * Replaces a client that still cannot select a server although a new one
   * can. Seen with FerretDB restarting: the driver's topology kept reporting
   * the old connection error for good, while a fresh client connected at
   * once. Rate-limited, and only ever one at a time.
   */
  #reconnect(): Promise<void> {
    if (this.#reconnecting || Date.now() - this.#lastReconnect < RECONNECT_INTERVAL_MS) return this.#reconnecting ?? Promise.resolve();
    this.#lastReconnect = Date.now();
    this.#reconnecting = connect(this.#options)
      .then((fresh) => {
        const stale = this.#connection;
        this.#connection = fresh;
        stale.replaced = true;
        // Closing it now would interrupt calls still running on it.
        if (stale.active === 0) void stale.client.close().catch(() => {});
      })
      .catch(() => {}) // still unreachable: the next probe tries again
      .finally(() => {
        this.#reconnecting = undefined;
      });
    return this.#reconnecting;
  }

  async add(memories: readonly NewMemory[], options?: OperationOptions): Promise<MemoryRecord[]> {
    return this.#run(async () => {
      if (memories.length > 1 && this.#connection.transactions) return this.#addInTransaction(memories, options);
      if (memories.length > 1) await this.#checkIdsFree(memories, options);
      const latest = await this.#latestUpdates(memories, options);
      const created: MemoryDocument[] = [];
      try {
        const results: MemoryRecord[] = [];
        for (const [index, memory] of memories.entries()) {
          const { record, inserted } = await this.#addOne(memory, index, latest.get(memory.userId), options);
          if (inserted) created.push(inserted);
          results.push(record);
        }
        return results;
      } catch (err) {
        // Undo this batch's inserts (matched by etag, so nothing newer is touched).
        // Without a deadline: the undo must not be cut short by the one that just passed.
        if (created.length > 0) {
          await this.#memories.deleteMany({ $or: created.map(({ user_id, memory_id, etag }) => ({ user_id, memory_id, etag })) });
        }
        throw err;
      }
    });
  }

  /**
   * A batch as one transaction: retried entries (a request id seen before)
   * return their memory, ids are checked, then every new memory is
   * inserted; a crash at any point leaves all or none of them.
   */
  async #addInTransaction(memories: readonly NewMemory[], options: OperationOptions | undefined): Promise<MemoryRecord[]> {
    const session = this.#connection.client.startSession();
    try {
      return await session.withTransaction(async () => {
        await this.#checkIdsFree(memories, options, session);
        const latest = await this.#latestUpdates(memories, options, session);
        const results: MemoryRecord[] = [];
        const inserts: MemoryDocument[] = [];
        for (const [index, memory] of memories.entries()) {
          const earlier = await this.#earlierRequest(memory, index, options, session);
          if (earlier) {
            results.push(earlier);
            continue;
          }
          const record = this.#newRecord(memory, latest.get(memory.userId));
          inserts.push(toDocument(record, memory.requestId, memory.requestId === undefined ? undefined : requestFingerprint(memory)));
          results.push(record);
        }
        if (inserts.length > 0) await this.#memories.insertMany(inserts, { session, ...timeout(options) });
        return results;
      });
    } finally {
      await session.endSession();
    }
  }

  /** The memory an earlier creation with this request id made, when there was one; `RequestIdReusedError` for other content. */
  async #earlierRequest(memory: NewMemory, index: number, options: OperationOptions | undefined, session?: ClientSession): Promise<MemoryRecord | undefined> {
    if (memory.requestId === undefined) return undefined;
    const earlier = await this.#memories.findOne({ user_id: memory.userId, request_key: memory.requestId }, { session, ...timeout(options) });
    if (!earlier) return undefined;
    if (earlier.request_fingerprint !== requestFingerprint(memory)) throw new RequestIdReusedError(memory.requestId, index);
    return toRecord(earlier);
  }

  /** The newest update time among the user's memories (see `timeAfter`). */
  async #latestUpdate(userId: string, options: OperationOptions | undefined, session?: ClientSession): Promise<number | undefined> {
    const latest = await this.#memories.findOne(
      { user_id: userId },
      { sort: { update_us: -1 }, projection: { update_us: 1 }, session, ...timeout(options) },
    );
    return latest?.update_us;
  }

  /**
   * The latest update time of each user a batch writes to, read once per
   * user: within the batch the process clock keeps the entries in order.
   */
  async #latestUpdates(memories: readonly NewMemory[], options: OperationOptions | undefined, session?: ClientSession) {
    const latest = new Map<string, number | undefined>();
    for (const { userId } of memories) {
      if (!latest.has(userId)) latest.set(userId, await this.#latestUpdate(userId, options, session));
    }
    return latest;
  }

  #newRecord(memory: NewMemory, latest: number | undefined): MemoryRecord {
    const now = timeAfter(latest);
    return {
      userId: memory.userId,
      memoryId: memory.memoryId ?? newMemoryId(),
      memory: memory.memory,
      topics: memory.topics,
      input: memory.input,
      createTime: now,
      updateTime: now,
      etag: newEtag(),
    };
  }

  /** Refuses a batch whose client-chosen ids exist before inserting anything. */
  async #checkIdsFree(memories: readonly NewMemory[], options: OperationOptions | undefined, session?: ClientSession): Promise<void> {
    const wanted = memories.flatMap((m, index) => (m.memoryId === undefined ? [] : [{ index, userId: m.userId, memoryId: m.memoryId }]));
    if (wanted.length === 0) return;
    const taken = await this.#memories
      .find(
        { $or: wanted.map((w) => ({ user_id: w.userId, memory_id: w.memoryId })) },
        { projection: { user_id: 1, memory_id: 1, request_key: 1 }, session, ...timeout(options) },
      )
      .toArray();
    for (const w of wanted) {
      const hit = taken.find((doc) => doc.user_id === w.userId && doc.memory_id === w.memoryId);
      // A retried entry finds its own memory, which the request id path then returns.
      if (hit && hit.request_key !== memories[w.index]!.requestId) throw new AlreadyExistsError(w.userId, w.memoryId, w.index);
    }
  }

  async #addOne(
    memory: NewMemory,
    index: number,
    latest: number | undefined,
    options: OperationOptions | undefined,
  ): Promise<{ record: MemoryRecord; inserted?: MemoryDocument }> {
    const record = this.#newRecord(memory, latest);
    const fingerprint = memory.requestId === undefined ? undefined : requestFingerprint(memory);
    const doc = toDocument(record, memory.requestId, fingerprint);
    try {
      await this.#memories.insertOne(doc, timeout(options));
      return { record, inserted: doc };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Which unique index refused it: the request id (a retry) or the memory id?
      const earlier = await this.#earlierRequest(memory, index, options);
      if (earlier) return { record: earlier };
      throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
    }
  }

  async importMemories(records: readonly MemoryRecord[], options?: OperationOptions): Promise<number> {
    if (records.length === 0) return 0;
    const operations = records.map((record) => {
      const doc = toDocument({ ...record, etag: newEtag() }, undefined, undefined);
      const { user_id, memory_id, ...rest } = doc;
      return { updateOne: { filter: { user_id, memory_id }, update: { $setOnInsert: rest }, upsert: true } };
    });
    const result = await this.#run(() => this.#memories.bulkWrite(operations, { ordered: false, ...timeout(options) }));
    return result.upsertedCount;
  }

  async get(userId: string, memoryId: string, options?: OperationOptions): Promise<MemoryRecord> {
    const doc = await this.#run(() => this.#memories.findOne({ user_id: userId, memory_id: memoryId }, timeout(options)));
    if (!doc) throw new NotFoundError(userId, memoryId);
    return toRecord(doc);
  }

  async list(query: ListQuery, options?: OperationOptions): Promise<Page> {
    const newest = query.direction === "newest";
    const filter: Filter<MemoryDocument> = { user_id: query.userId };
    if (query.after) filter.$or = after("create_us", newest, query.after);
    if (query.anyTopics.length) filter.topics = { $in: [...query.anyTopics] };
    const dir = newest ? -1 : 1;
    const docs = await this.#run(() =>
      this.#memories
        .find(filter, timeout(options))
        .sort({ create_us: dir, memory_id: dir })
        .limit(query.pageSize + 1)
        .toArray(),
    );
    return toPage(docs, query.pageSize, toRecord);
  }

  async search(query: SearchQuery, options?: OperationOptions): Promise<Page> {
    const filter: Filter<MemoryDocument> = { user_id: query.userId };
    if (query.text !== "") filter.memory_folded = { $regex: escapeRegex(foldForSearch(query.text)) };
    if (query.anyTopics.length) filter.topics = { $in: [...query.anyTopics] };
    if (query.after) filter.$or = after("update_us", query.direction === "newest", query.after);
    const dir = query.direction === "newest" ? -1 : 1;
    const docs = await this.#run(() =>
      this.#memories
        .find(filter, timeout(options))
        .sort({ update_us: dir, memory_id: dir })
        .limit(query.limit + 1)
        .toArray(),
    );
    return toPage(docs, query.limit, toRecord, byUpdateTime);
  }

  async replace(replacement: MemoryReplacement, options?: OperationOptions): Promise<MemoryRecord> {
    const { userId, memoryId } = replacement;
    const latest = await this.#run(() => this.#latestUpdate(userId, options));
    const record: MemoryRecord = {
      userId,
      memoryId,
      memory: replacement.memory,
      topics: replacement.topics,
      input: replacement.input,
      createTime: 0, // kept by the database, read back below
      updateTime: timeAfter(latest),
      etag: newEtag(),
    };
    const update: Document = { $set: contentFields(record) };
    if (record.input === undefined) update.$unset = { input: "" };
    else update.$set.input = record.input;
    const upsert = replacement.allowMissing && replacement.etag === undefined;
    if (upsert) {
      const created = toDocument({ ...record, createTime: record.updateTime }, undefined, undefined);
      update.$setOnInsert = { create_time: created.create_time, create_us: created.create_us, request_key: created.request_key };
    }
    const filter: Filter<MemoryDocument> = { user_id: userId, memory_id: memoryId };
    if (replacement.etag !== undefined) filter.etag = replacement.etag;

    return this.#run(() =>
      this.#conditionally(userId, memoryId, replacement.etag, options, async () => {
        const write = () => this.#memories.findOneAndUpdate(filter, update, { upsert, returnDocument: "after", ...timeout(options) });
        // Two concurrent upserts of a missing memory: one inserts, the other hits
        // the unique index and, retried, updates.
        const doc = await write().catch((err) => (upsert && isDuplicateKey(err) ? write() : Promise.reject(err)));
        if (doc) return toRecord(doc);
        const exists = await this.#memories.countDocuments({ user_id: userId, memory_id: memoryId }, { limit: 1, ...timeout(options) });
        if (exists || replacement.allowMissing) throw new EtagMismatchError(userId, memoryId);
        throw new NotFoundError(userId, memoryId);
      }),
    );
  }

  async delete(deletion: MemoryDeletion, options?: OperationOptions): Promise<void> {
    const { userId, memoryId } = deletion;
    const filter: Filter<MemoryDocument> = { user_id: userId, memory_id: memoryId };
    if (deletion.etag !== undefined) filter.etag = deletion.etag;
    await this.#run(() =>
      this.#conditionally(userId, memoryId, deletion.etag, options, async () => {
        const { deletedCount } = await this.#memories.deleteOne(filter, timeout(options));
        if (deletedCount > 0) return;
        if (await this.#memories.countDocuments({ user_id: userId, memory_id: memoryId }, { limit: 1, ...timeout(options) })) {
          throw new EtagMismatchError(userId, memoryId);
        }
        if (!deletion.allowMissing) throw new NotFoundError(userId, memoryId);
      }),
    );
  }

  /**
   * Runs a write that is conditional on `etag`. MongoDB applies a filtered
   * single-document update atomically, so there this just runs it. FerretDB
   * 1.x does not (measured: 16 of 16 concurrent writers with the same etag
   * all "won"), but it does enforce unique indexes: there a writer first
   * claims the etag it replaces with an insert into the claims collection,
   * and only the one insert that succeeds may write. Claims are removed
   * afterwards; one left behind by a crash is taken over once it is older
   * than CLAIM_TIMEOUT_MS.
   */
  async #conditionally<T>(userId: string, memoryId: string, etag: string | undefined, options: OperationOptions | undefined, write: () => Promise<T>): Promise<T> {
    const claims = this.#claims;
    if (!claims || etag === undefined) return write();
    const claim = { user_id: userId, memory_id: memoryId, etag };
    try {
      await claims.insertOne({ ...claim, at: new Date() }, timeout(options));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const stale = await claims.deleteOne({ ...claim, at: { $lt: new Date(Date.now() - CLAIM_TIMEOUT_MS) } }, timeout(options));
      if (stale.deletedCount === 0) throw new EtagMismatchError(userId, memoryId); // another writer holds it
      await claims.insertOne({ ...claim, at: new Date() }, timeout(options)).catch((retryError) => {
        throw isDuplicateKey(retryError) ? new EtagMismatchError(userId, memoryId) : retryError;
      });
    }
    try {
      return await write();
    } finally {
      await claims.deleteOne(claim).catch(() => {}); // a leftover claim only blocks an etag that is already spent
    }
  }

  async clear(scope: ClearScope, options?: OperationOptions): Promise<number> {
    const filter = "allUsers" in scope ? {} : { user_id: scope.userId };
    const { deletedCount } = await this.#run(() => this.#memories.deleteMany(filter, timeout(options)));
    return deletedCount;
  }

  async ping(options?: OperationOptions): Promise<void> {
    remainingMs(options);
    try {
      await this.#run(() => this.#memories.db.command({ ping: 1 }));
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      await this.#reconnect();
      throw err; // this probe failed; the next one uses the new client
    }
  }

  poolStats(): PoolStats {
    return { ...this.#connection.pool };
  }

  async close(): Promise<void> {
    await this.#connection.client.close();
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    const connection = this.#connection;
    connection.active++;
    try {
      return await operation();
    } catch (err) {
      throw translate(err);
    } finally {
      if (--connection.active === 0 && connection.replaced) void connection.client.close().catch(() => {});
    }
  }
}
