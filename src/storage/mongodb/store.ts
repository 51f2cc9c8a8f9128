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
 * between can leave them (the proto's BatchCreateUserMemories states this;
 * `capabilities.atomicBatch` is false).
 *
 * A write's time comes after the newest update time the user's memories
 * carry (one indexed read before the write, see `timeAfter`), so the order
 * of a user's memories follows the order of writes across replicas.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ClientSession, Document, Filter } from "mongodb";
import { timeAfter, wallClockMicros } from "../clock.js";
import { remainingMs } from "../deadline.js";
import {
  AlreadyExistsError,
  ConflictError,
  EtagMismatchError,
  NotFoundError,
  RequestIdReusedError,
  requireAllFound,
  UnavailableError,
} from "../errors.js";
import { missedWriteError } from "../missed-write.js";
import { toPage } from "../pages.js";
import { newEtag, newRecord, replacedRecord, requestFingerprint, updatedContent } from "../records.js";
import * as Store from "../store.js";
import { foldForSearch } from "../text-search.js";
import { type Connection, Connections } from "./connection.js";
import {
  after,
  contentUpdate,
  expired,
  fromDocument,
  INDEXES,
  live,
  type MemoryDocument,
  selection,
  TIME_FIELD,
  toDocument,
} from "./documents.js";
import { isDuplicateKey, translate } from "./errors.js";
import type { MongoDbOptions } from "./url.js";

/**
 * How often an update without an etag reads again after a concurrent write
 * changed the memory under it, and how long it waits first: a read that
 * comes before the other writer's write lands sees the etag that writer
 * holds the claim on, so reading again at once only loses again.
 */
const UPDATE_ATTEMPTS = 8;
const updateBackoffMs = (attempt: number) => Math.random() * Math.min(100, 2 ** attempt);

/** `$set` and `$unset` of a record's content, without an empty `$unset` (older servers refuse one). */
function contentModifiers(record: Store.MemoryRecord): Document {
  const { $set, $unset } = contentUpdate(record);
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

/** The driver's per-operation timeout (client-side operation timeout) from the caller's deadline. */
/** The memories of a batch deletion that have not expired. */
function liveIds(deletion: Store.BatchDeletion): Filter<MemoryDocument> {
  return { user_id: deletion.userId, memory_id: { $in: [...deletion.memoryIds] }, ...live(wallClockMicros()) };
}

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
    return this.#inTransaction(connection, (session) => this.#insertInTransaction(connection, memories, options, session));
  }

  /** Inserts a batch (the rules of `#addInTransaction`) in a transaction that may hold other writes too. */
  async #insertInTransaction(
    connection: Connection,
    memories: readonly Store.NewMemory[],
    options: Store.OperationOptions | undefined,
    session: ClientSession,
  ): Promise<Store.MemoryRecord[]> {
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
  }

  /** Runs `work` in one multi-document transaction. */
  async #inTransaction<T>(connection: Connection, work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = connection.client.startSession();
    try {
      return await session.withTransaction(() => work(session));
    } finally {
      await session.endSession();
    }
  }

  /**
   * The memory an earlier creation with this request id made, when there
   * was one and it has not expired (an expired one is removed, so that the
   * request id is free again); `RequestIdReusedError` for other content.
   */
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
    const now = wallClockMicros();
    if (earlier.expire_us !== undefined && earlier.expire_us <= now) {
      await connection.memories.deleteOne({ _id: earlier._id, ...expired(now) }, { session, ...timeout(options) });
      return undefined;
    }
    if (earlier.request_fingerprint !== requestFingerprint(memory)) throw new RequestIdReusedError(memory.requestId, index);
    return fromDocument(earlier);
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
    memories: readonly { userId: string }[],
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ) {
    const latest = new Map<string, number | undefined>();
    for (const { userId } of memories) {
      if (!latest.has(userId)) latest.set(userId, await this.#latestUpdate(connection, userId, options, session));
    }
    return latest;
  }

  /**
   * Refuses a batch whose client-chosen ids exist before inserting anything;
   * memories with those ids that have expired are removed first.
   */
  async #checkIdsFree(
    connection: Connection,
    memories: readonly Store.NewMemory[],
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ): Promise<void> {
    const wanted = memories.flatMap((m, index) => (m.memoryId === undefined ? [] : [{ index, userId: m.userId, memoryId: m.memoryId }]));
    if (wanted.length === 0) return;
    const ids = { $or: wanted.map((w) => ({ user_id: w.userId, memory_id: w.memoryId })) };
    await connection.memories.deleteMany({ ...ids, ...expired(wallClockMicros()) }, { session, ...timeout(options) });
    const taken = await connection.memories
      .find(ids, { projection: { user_id: 1, memory_id: 1, request_key: 1 }, session, ...timeout(options) })
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
    retried = false,
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
      if (!retried) {
        // An expired memory with the id (or the request id, removed just now) is as good as deleted.
        const filter = { user_id: record.userId, memory_id: record.memoryId, ...expired(wallClockMicros()) };
        await connection.memories.deleteOne(filter, timeout(options));
        return this.#addOne(connection, memory, index, latest, options, true);
      }
      throw new AlreadyExistsError(record.userId, record.memoryId, index, { cause: err });
    }
  }

  async importMemories(
    records: readonly Store.MemoryRecord[],
    onConflict: Store.ImportConflict,
    options?: Store.OperationOptions,
  ): Promise<{ records: Store.MemoryRecord[]; written: number }> {
    return this.#connections.run(async (connection) => {
      const write = async (session?: ClientSession) => {
        const stored = records.map((record) => ({ ...record, etag: newEtag() }));
        const ids = { $or: stored.map((r) => ({ user_id: r.userId, memory_id: r.memoryId })) };
        await connection.memories.deleteMany({ ...ids, ...expired(wallClockMicros()) }, { session, ...timeout(options) });
        const operations = stored.map((record) => {
          const { user_id, memory_id, ...rest } = toDocument(record, undefined, undefined);
          const filter = { user_id, memory_id };
          return onConflict === "skip"
            ? { updateOne: { filter, update: { $setOnInsert: rest }, upsert: true } }
            : { replaceOne: { filter, replacement: { user_id, memory_id, ...rest }, upsert: true } };
        });
        const result = await connection.memories.bulkWrite(operations, { ordered: false, session, ...timeout(options) });
        if (onConflict === "overwrite") return { records: stored, written: stored.length };
        // Skipped entries answer with what is stored.
        const inserted = new Set(Object.keys(result.upsertedIds).map(Number));
        const kept = await connection.memories.find(ids, { session, ...timeout(options) }).toArray();
        const byId = new Map(kept.map((doc) => [JSON.stringify([doc.user_id, doc.memory_id]), doc]));
        const answers = stored.map((record, i) =>
          inserted.has(i) ? record : fromDocument(byId.get(JSON.stringify([record.userId, record.memoryId]))!),
        );
        return { records: answers, written: result.upsertedCount };
      };
      return connection.transactions ? this.#inTransaction(connection, write) : write();
    });
  }

  async get(userId: string, memoryId: string, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const filter = { user_id: userId, memory_id: memoryId, ...live(wallClockMicros()) };
    const doc = await this.#connections.run(({ memories }) => memories.findOne(filter, timeout(options)));
    if (!doc) throw new NotFoundError(userId, memoryId);
    return fromDocument(doc);
  }

  async list(query: Store.ListQuery, options?: Store.OperationOptions): Promise<Store.Page> {
    const newest = query.direction === "newest";
    const field = TIME_FIELD[query.orderBy];
    const matching = selection(query.userId, query.filter, foldForSearch(query.text), wallClockMicros());
    const filter: Filter<MemoryDocument> = query.after ? { $and: [matching, after(field, newest, query.after)] } : matching;
    const dir = newest ? -1 : 1;
    const { docs, total } = await this.#connections.run(async ({ memories }) => {
      const docs = await memories
        .find(filter, timeout(options))
        .sort(query.userId === undefined ? { [field]: dir, memory_id: dir, user_id: dir } : { [field]: dir, memory_id: dir })
        .skip(query.skip)
        .limit(query.pageSize + 1)
        .toArray();
      const total = query.withTotal ? await memories.countDocuments(matching, timeout(options)) : undefined;
      return { docs, total };
    });
    return toPage(docs, query, fromDocument, total);
  }

  async replace(replacement: Store.MemoryReplacement, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { userId, memoryId, allowMissing, etag } = replacement;
    return this.#connections.run(async (connection) => {
      const record = replacedRecord(replacement, timeAfter(await this.#latestUpdate(connection, userId, options)));
      const upsert = allowMissing && etag === undefined;
      const now = wallClockMicros();
      const update = contentModifiers(record);
      if (upsert) {
        // An expired memory is as good as deleted: the upsert creates anew.
        await connection.memories.deleteOne({ user_id: userId, memory_id: memoryId, ...expired(now) }, timeout(options));
        const created = toDocument(record, undefined, undefined);
        update.$setOnInsert = { create_time: created.create_time, create_us: created.create_us, request_key: created.request_key };
      }
      const filter: Filter<MemoryDocument> = { user_id: userId, memory_id: memoryId };
      if (!upsert) Object.assign(filter, live(now));
      if (etag !== undefined) filter.etag = etag;
      return this.#conditionally(connection, userId, memoryId, etag, options, async () => {
        const write = () => connection.memories.findOneAndUpdate(filter, update, { upsert, returnDocument: "after", ...timeout(options) });
        // Two concurrent upserts of a missing memory: one inserts, the other hits
        // the unique index and, retried, updates.
        const doc = await write().catch((err) => (upsert && isDuplicateKey(err) ? write() : Promise.reject(err)));
        if (doc) return fromDocument(doc);
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

  async update(update: Store.MemoryUpdate, options?: Store.OperationOptions): Promise<Store.MemoryRecord> {
    const { userId, memoryId } = update;
    return this.#connections.run(async (connection) => {
      // Read, merge, and write only if nobody wrote in between (the etag read); else read again.
      for (let attempt = 1; ; attempt++) {
        const filter = { user_id: userId, memory_id: memoryId, ...live(wallClockMicros()) };
        const doc = await connection.memories.findOne(filter, timeout(options));
        if (!doc) throw new NotFoundError(userId, memoryId);
        const stored = fromDocument(doc);
        if (update.etag !== undefined && update.etag !== stored.etag) throw new EtagMismatchError(userId, memoryId);
        const time = timeAfter(await this.#latestUpdate(connection, userId, options));
        const record = { ...stored, ...updatedContent(stored, update), updateTime: time, etag: newEtag() };
        try {
          const written = await this.#conditionally(connection, userId, memoryId, stored.etag, options, () =>
            connection.memories.findOneAndUpdate({ ...filter, etag: stored.etag }, contentModifiers(record), {
              returnDocument: "after",
              ...timeout(options),
            }),
          );
          if (written) return fromDocument(written);
        } catch (err) {
          if (!(err instanceof EtagMismatchError)) throw err; // another writer holds the etag's claim
        }
        if (update.etag !== undefined) {
          const exists = await this.#exists(connection, userId, memoryId, options);
          throw missedWriteError({ operation: "replace", userId, memoryId, allowMissing: false, exists })!;
        }
        if (attempt === UPDATE_ATTEMPTS) throw new ConflictError(`memory "${memoryId}" kept changing under the update`);
        await sleep(updateBackoffMs(attempt));
      }
    });
  }

  async delete(deletion: Store.MemoryDeletion, options?: Store.OperationOptions): Promise<void> {
    const { userId, memoryId, allowMissing, etag } = deletion;
    const filter: Filter<MemoryDocument> = { user_id: userId, memory_id: memoryId, ...live(wallClockMicros()) };
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

  async deleteMany(deletion: Store.BatchDeletion, options?: Store.OperationOptions): Promise<number> {
    return this.#connections.run(async (connection) => {
      const work = async (session?: ClientSession) => {
        await this.#assertAllPresent(connection, deletion, options, session);
        return this.#deleteLive(connection, deletion, options, session);
      };
      return connection.transactions ? this.#inTransaction(connection, work) : work();
    });
  }

  /** Unless `allowMissing`: `NotFoundError` for the first id the user lacks (checked first: without a transaction nothing could be put back). */
  async #assertAllPresent(
    connection: Connection,
    deletion: Store.BatchDeletion,
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ): Promise<void> {
    if (deletion.allowMissing) return;
    const found = await connection.memories
      .find(liveIds(deletion), { projection: { memory_id: 1 }, session, ...timeout(options) })
      .toArray();
    requireAllFound(deletion, new Set(found.map((doc) => doc.memory_id)));
  }

  async #deleteLive(
    connection: Connection,
    deletion: Store.BatchDeletion,
    options: Store.OperationOptions | undefined,
    session?: ClientSession,
  ): Promise<number> {
    return (await connection.memories.deleteMany(liveIds(deletion), { session, ...timeout(options) })).deletedCount;
  }

  async consolidate(
    consolidation: Store.Consolidation,
    options?: Store.OperationOptions,
  ): Promise<{ records: Store.MemoryRecord[]; deleted: number }> {
    return this.#connections.run(async (connection) => {
      if (connection.transactions) {
        return this.#inTransaction(connection, async (session) => {
          await this.#assertAllPresent(connection, consolidation, options, session);
          const deleted = await this.#deleteLive(connection, consolidation, options, session);
          const records = await this.#insertInTransaction(connection, consolidation.memories, options, session);
          return { records, deleted };
        });
      }
      // No transactions: create first, then delete, so that a crash in between leaves both, never neither.
      await this.#assertAllPresent(connection, consolidation, options);
      const records = consolidation.memories.length > 0 ? await this.add(consolidation.memories, options) : [];
      return { records, deleted: await this.#deleteLive(connection, consolidation, options) };
    });
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
    const filter = { user_id: userId, memory_id: memoryId, ...live(wallClockMicros()) };
    return (await connection.memories.countDocuments(filter, { limit: 1, ...timeout(options) })) > 0;
  }

  async clear(scope: Store.ClearScope, options?: Store.OperationOptions): Promise<number> {
    const filter = "allUsers" in scope ? {} : { user_id: scope.userId };
    return this.#connections.run(async ({ memories }) => {
      // Expired memories go first, uncounted; the count is then what this delete removed
      // (a count taken beforehand would also count what a concurrent clear removes).
      await memories.deleteMany({ ...filter, ...expired(wallClockMicros()) }, timeout(options));
      return (await memories.deleteMany(filter, timeout(options))).deletedCount;
    });
  }

  async listTopics(query: Store.TopicsQuery, options?: Store.OperationOptions): Promise<Store.TopicsPage> {
    const match = selection(query.userId, { ...Store.NO_FILTER, agentId: query.agentId, teamId: query.teamId }, "", wallClockMicros());
    const pipeline: Document[] = [
      { $match: match },
      { $unwind: "$topics" },
      // Each memory once per topic, however often it lists the topic.
      { $group: { _id: { memory: "$_id", topic: "$topics" } } },
      { $group: { _id: "$_id.topic", count: { $sum: 1 } } },
    ];
    if (query.after !== undefined) pipeline.push({ $match: { _id: { $gt: query.after } } });
    pipeline.push({ $sort: { _id: 1 } }, { $limit: query.pageSize + 1 });
    const rows = await this.#connections.run(({ memories }) =>
      memories.aggregate<{ _id: string; count: number }>(pipeline, timeout(options)).toArray(),
    );
    const topics = rows.map((r) => ({ topic: r._id, memoryCount: r.count }));
    const more = topics.length > query.pageSize;
    const page = more ? topics.slice(0, query.pageSize) : topics;
    return { topics: page, next: more ? page.at(-1)!.topic : undefined };
  }

  /**
   * Per-user statistics. One user's come from an indexed count and the
   * newest memory; every user's from one pass over all memories that have
   * not expired (their user and update time only): MongoDB keeps no
   * counters here, and FerretDB's aggregation has no $max.
   */
  async listUserStats(query: Store.UserStatsQuery, options?: Store.OperationOptions): Promise<Store.UserStatsPage> {
    const match = selection(query.userId, Store.NO_FILTER, "", wallClockMicros());
    return this.#connections.run(async ({ memories }) => {
      const users: Store.UserStats[] = [];
      if (query.userId !== undefined) {
        const newest = await memories.findOne(match, { sort: { update_us: -1 }, projection: { update_us: 1 }, ...timeout(options) });
        if (newest) {
          const memoryCount = await memories.countDocuments(match, timeout(options));
          users.push({ userId: query.userId, memoryCount, lastUpdateTime: newest.update_us });
        }
      } else {
        const byUser = new Map<string, { memoryCount: number; lastUpdateTime: number }>();
        const cursor = memories.find(match, { projection: { user_id: 1, update_us: 1 }, ...timeout(options) });
        for await (const doc of cursor) {
          const seen = byUser.get(doc.user_id);
          if (!seen) byUser.set(doc.user_id, { memoryCount: 1, lastUpdateTime: doc.update_us });
          else {
            seen.memoryCount++;
            seen.lastUpdateTime = Math.max(seen.lastUpdateTime, doc.update_us);
          }
        }
        for (const [userId, stats] of byUser) users.push({ userId, ...stats });
      }
      // Most recently updated first, ties by user id descending; then the cursor, the skip and the page.
      users.sort((a, b) => b.lastUpdateTime - a.lastUpdateTime || (a.userId < b.userId ? 1 : a.userId > b.userId ? -1 : 0));
      const after = query.after;
      const from = after
        ? users.findIndex((u) => u.lastUpdateTime < after.time || (u.lastUpdateTime === after.time && u.userId < after.userId))
        : 0;
      const rest = from < 0 ? [] : users.slice(from + query.skip);
      const more = rest.length > query.pageSize;
      const page = more ? rest.slice(0, query.pageSize) : rest;
      const last = page.at(-1);
      const next = more && last ? { time: last.lastUpdateTime, userId: last.userId } : undefined;
      return query.withTotal ? { users: page, next, total: users.length } : { users: page, next };
    });
  }

  async purgeExpired(limit: number, options?: Store.OperationOptions): Promise<number> {
    return this.#connections.run(async ({ memories }) => {
      const doomed = await memories
        .find(expired(wallClockMicros()), { projection: { _id: 1 }, ...timeout(options) })
        .sort({ expire_us: 1 })
        .limit(limit)
        .toArray();
      if (doomed.length === 0) return 0;
      // By _id and still expired: a memory rewritten meanwhile (a new expiry) stays.
      const filter = { _id: { $in: doomed.map((doc) => doc._id) }, ...expired(wallClockMicros()) };
      return (await memories.deleteMany(filter, timeout(options))).deletedCount;
    });
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
