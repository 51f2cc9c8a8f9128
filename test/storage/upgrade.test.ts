/**
 * A database written before memoryd.v1 (schema version 1 on the SQL
 * backends, documents without scopes, labels or expiry on MongoDB) is
 * upgraded when the new memoryd opens it, and every old memory reads back
 * unchanged. Each fixture is written here, with the old schema and the old
 * row shape, not shipped as a file.
 */
import Database from "better-sqlite3";
import { MongoClient } from "mongodb";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { dateFromMicros } from "../../src/storage/clock.js";
import { parseMongoDbUrl } from "../../src/storage/mongodb/url.js";
import { openStore } from "../../src/storage/open.js";
import { migrate as migratePostgres, SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION } from "../../src/storage/postgres/schema.js";
import { parsePostgresUrl } from "../../src/storage/postgres/url.js";
import {
  migrate as migrateSqlite,
  registerSchemaFunctions,
  SCHEMA_VERSION as SQLITE_SCHEMA_VERSION,
} from "../../src/storage/sqlite/schema.js";
import { parseSqliteUrl } from "../../src/storage/sqlite/url.js";
import { type MemoryRecord, type MemoryStore, NO_FILTER } from "../../src/storage/store.js";
import { foldForSearch } from "../../src/storage/text-search.js";
import { allBackends } from "../support/backends.js";

/** What the old release stored: no scopes, feedback, labels or expiry. */
type OldMemory = Pick<MemoryRecord, "userId" | "memoryId" | "memory" | "topics" | "input" | "createTime" | "updateTime" | "etag">;

const BASE = 1_750_000_000_000_000;
const OLD_MEMORIES: OldMemory[] = [
  {
    userId: "alice",
    memoryId: "a1",
    memory: "prefers dark mode",
    topics: ["ui"],
    input: "I like dark mode",
    createTime: BASE,
    updateTime: BASE,
    etag: "e-a1",
  },
  { userId: "alice", memoryId: "a2", memory: "Ünïcödé 🧠 tea", topics: [], createTime: BASE + 1, updateTime: BASE + 5, etag: "e-a2" },
  {
    userId: "bob",
    memoryId: "b1",
    memory: "'; DROP TABLE memories; --",
    topics: ["x", "y"],
    createTime: BASE + 2,
    updateTime: BASE + 2,
    etag: "e-b1",
  },
];

/** Writes `OLD_MEMORIES` the way the release before memoryd.v1 did, at `url`. */
const writeOldDatabase: Record<string, (url: string) => Promise<void>> = {
  async sqlite(url) {
    const db = new Database(parseSqliteUrl(url).path);
    try {
      registerSchemaFunctions(db);
      migrateSqlite(db, 1);
      const insert = db.prepare(
        `INSERT INTO memories (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const m of OLD_MEMORIES)
        insert.run(
          m.userId,
          m.memoryId,
          m.memory,
          foldForSearch(m.memory),
          JSON.stringify(m.topics),
          m.input ?? null,
          m.createTime,
          m.updateTime,
          m.etag,
        );
    } finally {
      db.close();
    }
  },
  async postgres(url) {
    const { connectionString, schema } = parsePostgresUrl(url);
    const pool = new pg.Pool({ connectionString, max: 1 });
    try {
      await migratePostgres(pool, schema, 1);
      const time = (n: number) => `timestamptz 'epoch' + ${n} * interval '1 microsecond'`;
      for (const m of OLD_MEMORIES)
        await pool.query(
          `INSERT INTO "${schema}".memories (user_id, memory_id, memory, memory_folded, topics, input, create_time, update_time, etag)
           VALUES ($1, $2, $3, $4, $5, $6, ${time(m.createTime)}, ${time(m.updateTime)}, $7)`,
          [m.userId, m.memoryId, m.memory, foldForSearch(m.memory), m.topics, m.input ?? null, m.etag],
        );
    } finally {
      await pool.end();
    }
  },
  async mongodb(url) {
    const { connectionString, database, collection } = parseMongoDbUrl(url);
    const client = new MongoClient(connectionString);
    try {
      const memories = client.db(database).collection(collection);
      await memories.createIndexes([
        { key: { user_id: 1, memory_id: 1 }, name: "memories_by_id", unique: true },
        { key: { user_id: 1, create_us: 1, memory_id: 1 }, name: "memories_by_create_time" },
        { key: { user_id: 1, update_us: 1, memory_id: 1 }, name: "memories_by_update_time" },
        { key: { user_id: 1, request_key: 1 }, name: "memories_by_request_id", unique: true },
      ]);
      await memories.insertMany(
        OLD_MEMORIES.map((m) => ({
          user_id: m.userId,
          memory_id: m.memoryId,
          memory: m.memory,
          memory_folded: foldForSearch(m.memory),
          topics: m.topics,
          ...(m.input !== undefined && { input: m.input }),
          create_time: dateFromMicros(m.createTime),
          update_time: dateFromMicros(m.updateTime),
          create_us: m.createTime,
          update_us: m.updateTime,
          etag: m.etag,
          request_key: `\u0001${m.memoryId}`,
        })),
      );
    } finally {
      await client.close();
    }
  },
};

const listAll = async (store: MemoryStore, userId: string) =>
  (
    await store.list({
      userId,
      orderBy: "createTime",
      direction: "oldest",
      filter: NO_FILTER,
      text: "",
      pageSize: 100,
      skip: 0,
      after: undefined,
      withTotal: true,
    })
  ).memories;

for (const { name, unavailable, storageUrl } of allBackends()) {
  describe.skipIf(unavailable)(`upgrading a ${name} database from before memoryd.v1`, () => {
    it("keeps every old memory as it was, and the new fields, filters and counts work on them", async () => {
      const url = storageUrl();
      await writeOldDatabase[name]!(url);
      const store = await openStore(url);
      try {
        const expected = OLD_MEMORIES.map((m) => ({ ...m, labels: {} }));
        for (const m of expected) expect(await store.get(m.userId, m.memoryId)).toEqual(m);
        expect(await listAll(store, "alice")).toEqual(expected.filter((m) => m.userId === "alice"));
        const found = await store.list({
          userId: "bob",
          orderBy: "updateTime",
          direction: "newest",
          filter: { ...NO_FILTER, anyTopics: ["y"] },
          text: "drop table",
          pageSize: 10,
          skip: 0,
          after: undefined,
          withTotal: true,
        });
        expect(found).toMatchObject({ memories: [expected[2]], total: 1 });
        const stats = await store.listUserStats({ userId: undefined, pageSize: 10, skip: 0, after: undefined, withTotal: false });
        expect(stats.users).toEqual(
          expect.arrayContaining([
            { userId: "alice", memoryCount: 2, lastUpdateTime: BASE + 5 },
            { userId: "bob", memoryCount: 1, lastUpdateTime: BASE + 2 },
          ]),
        );
        const updated = await store.update({ userId: "alice", memoryId: "a1", changes: { agentId: "agent", labels: { k: "v" } } });
        expect(updated).toMatchObject({
          ...expected[0],
          agentId: "agent",
          labels: { k: "v" },
          updateTime: expect.any(Number),
          etag: expect.any(String),
        });
        expect(updated.updateTime).toBeGreaterThan(BASE + 5);
      } finally {
        await store.close();
      }
      if (name === "sqlite") {
        const db = new Database(parseSqliteUrl(url).path, { readonly: true });
        expect(db.pragma("user_version", { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
        db.close();
      }
      if (name === "postgres") {
        const { connectionString, schema } = parsePostgresUrl(url);
        const client = new pg.Client({ connectionString });
        await client.connect();
        const { rows } = await client.query(`SELECT max(version) AS version FROM "${schema}".schema_migrations`);
        await client.end();
        expect(rows[0].version).toBe(POSTGRES_SCHEMA_VERSION);
      }
    });
  });
}
