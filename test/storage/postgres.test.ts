/** What is PostgreSQL's own (migrations, plans, cancelling at deadlines); the contract every backend shares is in test/conformance/. */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { DeadlineExceededError, StorageError, UnavailableError } from "../../src/storage/errors.js";
import { openStore } from "../../src/storage/open.js";
import { startCursor } from "../../src/storage/pages.js";
import { listStatements } from "../../src/storage/postgres/statements.js";
import { parsePostgresUrl } from "../../src/storage/postgres/url.js";
import { type ListQuery, NO_FILTER } from "../../src/storage/store.js";
import { SEARCH_WINDOW } from "../../src/storage/text-search.js";
import { freePort } from "../../testkit/processes.js";
import { backend } from "../support/backends.js";

const postgres = backend("postgres");

it("reports an unreachable server as UnavailableError", async () => {
  const port = await freePort();
  await expect(openStore(`postgres://postgres@127.0.0.1:${port}/x?connect_timeout_ms=2000`)).rejects.toBeInstanceOf(UnavailableError);
});

describe.skipIf(postgres.unavailable)(`postgres backend (${postgres.unavailable ?? "available"})`, () => {
  /** Runs `fn` with a plain pg client on the schema of `url`. */
  async function withClient<T>(url: string, fn: (client: pg.Client, schema: string) => Promise<T>): Promise<T> {
    const { connectionString, schema } = parsePostgresUrl(url);
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return await fn(client, schema);
    } finally {
      await client.end();
    }
  }

  it("migrates once when several replicas start at the same time", async () => {
    const url = postgres.storageUrl();
    const stores = await Promise.all(Array.from({ length: 6 }, () => openStore(url)));
    await withClient(url, async (client, schema) => {
      const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations`);
      expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
      const indexes = await client.query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'memories' ORDER BY indexname",
        [schema],
      );
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        "memories_by_agent_create_time",
        "memories_by_agent_update_time",
        "memories_by_create_time",
        "memories_by_expire_time",
        "memories_by_memory_id",
        "memories_by_request_id",
        "memories_by_team_create_time",
        "memories_by_team_update_time",
        "memories_by_topic",
        "memories_by_trigram",
        "memories_by_update_time",
        "memories_pkey",
      ]);
      const columns = await client.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'memories' ORDER BY ordinal_position",
        [schema],
      );
      expect(Object.fromEntries(columns.rows.map((r) => [r.column_name, r.data_type]))).toMatchObject({
        memory: "text",
        topics: "ARRAY",
        create_time: "timestamp with time zone",
        update_time: "timestamp with time zone",
      });
    });
    await Promise.all(stores.map((store) => store.close()));
  });

  it("refuses a schema migrated by a newer memoryd", async () => {
    const url = postgres.storageUrl();
    await (await openStore(url)).close();
    await withClient(url, (client, schema) => client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES (99)`));
    await expect(openStore(url)).rejects.toThrow(/schema version 99 is newer/);
  });

  it("reports a failed write to the caller instead of swallowing it", async () => {
    const url = postgres.storageUrl();
    const store = await openStore(url);
    await withClient(url, (client, schema) =>
      client.query(`ALTER TABLE "${schema}".memories ADD CONSTRAINT refuse_boom CHECK (memory <> 'boom')`),
    );
    const err = await store.add([{ userId: "u", memory: "boom", topics: [], labels: {} }]).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.cause).toMatchObject({ code: "23514" });
    expect(
      (
        await store.list({
          userId: "u",
          orderBy: "createTime",
          direction: "newest",
          filter: NO_FILTER,
          text: "",
          pageSize: 10,
          skip: 0,
          after: undefined,
          withTotal: false,
        })
      ).memories,
    ).toEqual([]);
    await store.close();
  });

  it("gives a call blocked in the database only the time left before its deadline", async () => {
    const url = postgres.storageUrl();
    const store = await openStore(url);
    const [record] = await store.add([{ userId: "u", memory: "locked", topics: [], labels: {} }]);
    await withClient(url, async (locker, schema) => {
      await locker.query("BEGIN");
      await locker.query(`SELECT 1 FROM "${schema}".memories WHERE memory_id = $1 FOR UPDATE`, [record!.memoryId]);
      const started = Date.now();
      const replacement = { userId: "u", memoryId: record!.memoryId, memory: "blocked", topics: [], labels: {}, allowMissing: false };
      await expect(store.replace(replacement, { deadline: started + 300 })).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(2000);
      await locker.query("ROLLBACK");
    });
    // The pool recovers: the same store serves the next call.
    expect((await store.get("u", record!.memoryId)).memory).toBe("locked");
    await store.close();
  });

  it("lists from the (user_id, create_time, memory_id) index and searches text through an index", async () => {
    const url = postgres.storageUrl();
    const store = await openStore(url);
    for (let user = 0; user < 20; user++) {
      await store.add(
        Array.from({ length: 200 }, (_, i) => ({
          userId: `user-${user}`,
          memory: `memory ${i} about ${i % 7 ? "tea" : "a rare zebra"}`,
          topics: [`t${i % 5}`],
          labels: {},
        })),
      );
    }
    await withClient(url, async (client, schema) => {
      await client.query(`ANALYZE "${schema}".memories`);
      // The statements exactly as the store sends them, for a first page.
      const plan = async ({ text, values }: { text: string; values: unknown[] }) =>
        (await client.query(`EXPLAIN ${text}`, values)).rows.map((r) => r["QUERY PLAN"]).join("\n");
      const statementsFor = (changes: Partial<ListQuery>, text = "") => {
        const query: ListQuery = {
          userId: "user-3",
          orderBy: "createTime",
          direction: "newest",
          filter: NO_FILTER,
          text,
          pageSize: 20,
          skip: 0,
          after: undefined,
          withTotal: false,
          ...changes,
        };
        return listStatements(`"${schema}".memories`, query, startCursor(query.direction), text, Date.now() * 1000, SEARCH_WINDOW);
      };
      const listPlan = await plan(statementsFor({}).all);
      expect(listPlan).toMatch(/Index Scan Backward using memories_by_create_time/);
      expect(listPlan).not.toMatch(/Seq Scan|Sort/);
      expect(await plan(statementsFor({ direction: "oldest" }).all)).not.toMatch(/Seq Scan|Sort/);
      // A filtered page may not come straight off one index, but never from a table scan.
      expect(await plan(statementsFor({ filter: { ...NO_FILTER, anyTopics: ["t1"] } }).all)).not.toMatch(/Seq Scan/);
      expect(await plan(statementsFor({ filter: { ...NO_FILTER, agentId: "a", labels: { k: "v" } } }).all)).not.toMatch(/Seq Scan/);
      const lastN = await plan(statementsFor({ orderBy: "updateTime" }).all);
      expect(lastN).toMatch(/Index Scan Backward using memories_by_update_time/);
      expect(lastN).not.toMatch(/Seq Scan|Sort/);
      const search = statementsFor({ orderBy: "updateTime" }, "zebra");
      // Any index that starts with user_id (the planner's pick), never the table.
      for (const statement of [search.text, search.window]) {
        const searchPlan = await plan(statement);
        expect(searchPlan).toMatch(/Index Cond: \(user_id = /);
        expect(searchPlan).not.toMatch(/Seq Scan/);
      }
      expect(await plan(search.index)).not.toMatch(/Seq Scan/);
      // Agno 3 looks ids up without their user: across users, by memories_by_memory_id.
      const byId = await plan(statementsFor({ userId: undefined, filter: { ...NO_FILTER, memoryIds: ["x", "y"] } }).all);
      expect(byId).toMatch(/memories_by_memory_id/);
      expect(byId).not.toMatch(/Seq Scan/);
    });
    await store.close();
  });
});
