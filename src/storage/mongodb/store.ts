/**
 * The MongoDB backend (official driver). Tested against FerretDB 1.x, which
 * speaks the MongoDB wire protocol, and against a real MongoDB through
 * MONGODB_URL.
 *
 * Single-document writes are atomic in MongoDB, so replace and delete put
 * the etag in the filter and upserts are one `findOneAndUpdate`. (FerretDB's
 * are not; there conditional writes also claim their etag first, see
 * etag-claims.ts.)
 *
 * A batch is one multi-document transaction where the deployment has them
 * (a replica set or a sharded cluster). Elsewhere (FerretDB, a standalone
 * mongod) ids are checked up front, and when an insert still fails the
 * entries this batch created are deleted again before the error is
 * reported: a reader can see such entries for that instant, and a crash in
 * between can leave them (the proto's BatchAddUserMemories states this;
 * `capabilities.atomicBatch` is false).
 *
 * A write's time comes after the newest update time the user's memories
 * carry (one indexed read before the write, see `timeAfter`), so the order
 * of a user's memories follows the order of writes across replicas.
 *
 * @module
 */
import type { ClientSession, Document, Filter } from "mongodb";
import { timeAfter } from "../clock.js";
import { remainingMs } from "../deadline.js";
import { AlreadyExistsError, NotFoundError, RequestIdReusedError, UnavailableError } from "../errors.js";
import { missedWriteError } from "../missed-write.js";
import { byUpdateTime, toPage } from "../pages.js";
import { newEtag, newRecord, recordFromColumns, replacedRecord, requestFingerprint } from "../records.js";
import type * as Store from "../store.js";
import { foldForSearch } from "../text-search.js";
import { type Connection, Connections } from "./connection.js";
import { after, contentFields, escapeRegex, INDEXES, type MemoryDocument, toDocument } from "./documents.js";
import { isDuplicateKey, translate } from "./errors.js";
import type { MongoDbOptions } from "./url.js";

/** The driver's per-operation timeout (client-side operation timeout) from the caller's deadline. */
function timeout(options: Store.OperationOptions | undefined): { timeoutMS?: number } {
  const left = remainingMs(options);
  return left === undefined ? {} : { timeoutMS: left };
}

export class MongoDbStore implements Store.MemoryStore {
  readonly backend = "mongodb";
  readonly #connections: Connections;

  private constructor(connections: Connections) {
    this.#connections = connections;
  }

  get capabilities(): Store.StoreCapabilities {
    return { atomicBatch: this.#connections.current.transactions };
  }

  /** Connects and creates the collection's indexes if missing. */
  static async open(options: MongoDbOptions): Promise<MongoDbStore> {
    const connections = await Connections.open(options);
    const { memories, claims } = connections.current;
    try {
      // One index per command: FerretDB 1.24 drops the connection when one
      // createIndexes command names several indexes that all exist already.
      for (const index of INDEXES) await memories.createIndexes([index]);
      await claims?.createIndexes();
      return new MongoDbStore(connections);
    } catch (err) {
      await connections.close().catch(() => {});
      throw translate(err);
    }
  }

  async add(memories: readonly Store.NewMemory[], options?: Store.OperationOptions): Promise<Store.MemoryRecord[]> {
    return this.#connections.run(async (connection) => {
      if (memories.length > 1 && connection.transactions) return this.#addInTransaction(connection, memories, options);
      if (memories.length > 1) await this.#checkIdsFree(connection, memories, options);
      const latest = await this.#latestUpdates(connection, memories, options);
      const created: MemoryDocument[] = [];
      try {
        const results: Store.MemoryRecord[] = [];
        for (const [index, memory] of memories.entries()) {
          const { record, inserted } = await this.#addOne(connection, memory, index, latest.get(memory.userId), options);
          if (inserted) created.push(inserted);
          results.push(record);
        }
        return results;
      } catch (err) {
        // Undo this batch's inserts (matched by etag, so nothing newer is touched).
        // Without a deadline: the undo must not be cut short by the one that just passed.
        if (created.length > 0) {
          await connection.memories.deleteMany({ $or: created.map(({ user_id, memory_id, etag }) => ({ user_id, memory_id, etag })) });
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
  async #addInTransaction(
    connection: Connection,
    memories: readonly Store.NewMemory[],
    options: Store.OperationOptions | undefined,
  ): Promise<Store.MemoryRecord[]> {
    const session = connection.client.startSession();
    try {
      return await session.withTransaction(async () => {
        await this.#checkIdsFree(connection, memories, options, session);
        const latest = await this.#latestUpdates(connection, memories, options, session);
        const results: Store.MemoryRecord[] = [];
        const inserts: MemoryDocument[] = [];
        for (const [index, memory] of memories.entries()) {
          const earlier = await this.#earlierRequest(connection, memory, index, options, session);
          if (earlier) {
            results.push(earlier);
            continue;
          }
          const record = newRecord(memory, timeAfter(latest.get(memory.userId)));
          latest.set(memory.userId, record.updateTime);
          inserts.push(toDocument(record, memory.requestId, memory.requestId === undefined ? undefined : requestFingerprint(memory)));
          results.push(record);
        }
        if (inserts.length > 0) await connection.memories.insertMany(inserts, { session, ...timeout(options) });
        return results;
      });
    } finally {
      await session.endSession();
    }
  }

  /** The memory an earlier creation with this request id made, when there was one; `RequestIdReusedError` for other content. */
  async #earlierRequest(
    connection: Connection,
    memory: Store.NewMemory,
    index: number,
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ): Promise<Store.MemoryRecord | undefined> {
    if (memory.requestId === undefined) return undefined;
    const earlier = await connection.memories.findOne(
      { user_id: memory.userId, request_key: memory.requestId },
      { session, ...timeout(options) },
    );
    if (!earlier) return undefined;
    if (earlier.request_fingerprint !== requestFingerprint(memory)) throw new RequestIdReusedError(memory.requestId, index);
    return recordFromColumns(earlier);
  }

  /** The newest update time among the user's memories (see `timeAfter`). */
  async #latestUpdate(
    connection: Connection,
    userId: string,
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ): Promise<number | undefined> {
    const latest = await connection.memories.findOne(
      { user_id: userId },
      { sort: { update_us: -1 }, projection: { update_us: 1 }, session, ...timeout(options) },
    );
    return latest?.update_us;
  }

  /**
   * The latest update time of each user a batch writes to, read once per
   * user: within the batch the process clock keeps the entries in order.
   */
  async #latestUpdates(
    connection: Connection,
    memories: readonly Store.NewMemory[],
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ) {
    const latest = new Map<string, number | undefined>();
    for (const { userId } of memories) {
      if (!latest.has(userId)) latest.set(userId, await this.#latestUpdate(connection, userId, options, session));
    }
    return latest;
  }

  /** Refuses a batch whose client-chosen ids exist before inserting anything. */
  async #checkIdsFree(
    connection: Connection,
    memories: readonly Store.NewMemory[],
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ): Promise<void> {
    const wanted = memories.flatMap((m, index) => (m.memoryId === undefined ? [] : [{ index, userId: m.userId, memoryId: m.memoryId }]));
    if (wanted.length === 0) return;
    const taken = await connection.memories
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
    connection: Connection,
    memory: Store.NewMemory,
    index: number,
    latest: number | undefined,
    options: Store.OperationOptions | undefined,
  ): Promise<{ record: Store.MemoryRecord; inserted?: MemoryDocument }> {
    const record = newRecord(memory, timeAfter(latest));
    const fingerprint = memory.requestId === undefined ? undefined : requestFingerprint(memory);
    const doc = toDocument(record, memory.requestId, fingerprint);
    try {
      await connection.memories.insertOne(doc, timeout(options));
      return { record, inserted: doc };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Which unique index refused it: the request id (a retry) or the memory id?
      const earlier = await this.#earlierRequest(connection, memory, index, options);
      if (earlier) return { record: earlier };
      throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
    }
  }

  async importMemories(records: readonly Store.MemoryRecord[], options?: Store.OperationOptions): Promise<number> {
    if (records.length === 0) return 0;
    const operations = records.map((record) => {
      const doc = toDocument({ ...record, etag: newEtag() }, undefined, undefined);
      const { user_id, memory_id, ...rest } = doc;
      return { updateOne: { filter: { user_id, memory_id }, update: { $setOnInsert: rest }, upsert: true } };
    });
    const result = await this.#connections.run(({ memories }) => memories.bulkWrite(operations, { ordered: false, ...timeout(options) }));
    return result.upsertedCount;
  }

  async get(userId: string, memoryId: string, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const doc = await this.#connections.run(({ memories }) => memories.findOne({ user_id: userId, memory_id: memoryId }, timeout(options)));
    if (!doc) throw new NotFoundError(userId, memoryId);
    return recordFromColumns(doc);
  }

  async list(query: Store.ListQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const newest = query.direction === "newest";
    const filter: Filter<MemoryDocument> = { user_id: query.userId };
    if (query.after) filter.$or = after("create_us", newest, query.after);
    if (query.anyTopics.length) filter.topics = { $in: [...query.anyTopics] };
    const dir = newest ? -1 : 1;
    const docs = await this.#connections.run(({ memories }) =>
      memories
        .find(filter, timeout(options))
        .sort({ create_us: dir, memory_id: dir })
        .limit(query.pageSize + 1)
        .toArray(),
    );
    return toPage(docs, query.pageSize, recordFromColumns);
  }

  async search(query: Store.SearchQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const filter: Filter<MemoryDocument> = { user_id: query.userId };
    if (query.text !== "") filter.memory_folded = { $regex: escapeRegex(foldForSearch(query.text)) };
    if (query.anyTopics.length) filter.topics = { $in: [...query.anyTopics] };
    if (query.after) filter.$or = after("update_us", query.direction === "newest", query.after);
    const dir = query.direction === "newest" ? -1 : 1;
    const docs = await this.#connections.run(({ memories }) =>
      memories
        .find(filter, timeout(options))
        .sort({ update_us: dir, memory_id: dir })
        .limit(query.limit + 1)
        .toArray(),
    );
    return toPage(docs, query.limit, recordFromColumns, byUpdateTime);
  }

  async replace(replacement: Store.MemoryReplacement, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { userId, memoryId, allowMissing, etag } = replacement;
    return this.#connections.run(async (connection) => {
      const record = replacedRecord(replacement, timeAfter(await this.#latestUpdate(connection, userId, options)));
      const update: Document = { $set: contentFields(record) };
      if (record.input === undefined) update.$unset = { input: "" };
      else update.$set.input = record.input;
      const upsert = allowMissing && etag === undefined;
      if (upsert) {
        const created = toDocument(record, undefined, undefined);
        update.$setOnInsert = { create_time: created.create_time, create_us: created.create_us, request_key: created.request_key };
      }
      const filter: Filter<MemoryDocument> = { user_id: userId, memory_id: memoryId };
      if (etag !== undefined) filter.etag = etag;
      return this.#conditionally(connection, userId, memoryId, etag, options, async () => {
        const write = () => connection.memories.findOneAndUpdate(filter, update, { upsert, returnDocument: "after", ...timeout(options) });
        // Two concurrent upserts of a missing memory: one inserts, the other hits
        // the unique index and, retried, updates.
        const doc = await write().catch((err) => (upsert && isDuplicateKey(err) ? write() : Promise.reject(err)));
        if (doc) return recordFromColumns(doc);
        throw missedWriteError({
          operation: "replace",
          userId,
          memoryId,
          allowMissing,
          exists: await this.#exists(connection, userId, memoryId, options),
        });
      });
    });
  }

  async delete(deletion: Store.MemoryDeletion, options?: Store.OperationOptions): Promise<void> {
    const { userId, memoryId, allowMissing, etag } = deletion;
    const filter: Filter<MemoryDocument> = { user_id: userId, memory_id: memoryId };
    if (etag !== undefined) filter.etag = etag;
    await this.#connections.run((connection) =>
      this.#conditionally(connection, userId, memoryId, etag, options, async () => {
        const { deletedCount } = await connection.memories.deleteOne(filter, timeout(options));
        if (deletedCount > 0) return;
        const exists = await this.#exists(connection, userId, memoryId, options);
        const error = missedWriteError({ operation: "delete", userId, memoryId, allowMissing, exists });
        if (error) throw error;
      }),
    );
  }

  /** Runs a write that is conditional on `etag`, through the etag claims where the server needs them (FerretDB). */
  #conditionally<T>(
    connection: Connection,
    userId: string,
    memoryId: string,
    etag: string | undefined,
    options: Store.OperationOptions | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    if (!connection.claims || etag === undefined) return write();
    return connection.claims.conditionally(userId, memoryId, etag, () => timeout(options), write);
  }

  async #exists(connection: Connection, userId: string, memoryId: string, options: Store.OperationOptions | undefined): Promise<boolean> {
    return (await connection.memories.countDocuments({ user_id: userId, memory_id: memoryId }, { limit: 1, ...timeout(options) })) > 0;
  }

  async clear(scope: Store.ClearScope, options?: Store.OperationOptions): Promise<number> {
    const filter = "allUsers" in scope ? {} : { user_id: scope.userId };
    const { deletedCount } = await this.#connections.run(({ memories }) => memories.deleteMany(filter, timeout(options)));
    return deletedCount;
  }

  async ping(options?: Store.OperationOptions): Promise<void> {
    remainingMs(options);
    try {
      await this.#connections.run(({ memories }) => memories.db.command({ ping: 1 }));
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      await this.#connections.reconnect();
      throw err; // this probe failed; the next one uses the new client
    }
  }

  poolStats(): Store.PoolStats {
    return { ...this.#connections.current.pool };
  }

  async close(): Promise<void> {
    await this.#connections.close();
  }
}
