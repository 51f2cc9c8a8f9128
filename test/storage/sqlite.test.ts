import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { startCursor } from "../../src/storage/pages.js";
import { SCHEMA_VERSION } from "../../src/storage/sqlite/schema.js";
import { listParams, listSql } from "../../src/storage/sqlite/statements.js";
import { SqliteStore } from "../../src/storage/sqlite/store.js";
import { type ListQuery, NO_FILTER } from "../../src/storage/store.js";
import { tempDir } from "../helpers/temp.js";

/** What is SQLite's own (files, WAL, migrations, plans); the contract every backend shares is in test/conformance/. */
const dir = tempDir();

describe("sqlite backend", () => {
  it("creates missing directories, uses WAL, and keeps data across reopen", async () => {
    const path = join(dir, "nested", "deeper", "persist.db");
    const first = await openStore(`sqlite://${path}`);
    const [created] = await first.add([{ userId: "u", memory: "persisted", topics: ["t"], labels: {} }]);
    await first.close();
    const second = await openStore(`sqlite://${path}?synchronous=full`);
    expect(await second.get("u", created!.memoryId)).toEqual(created);
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it("refuses a database written by a newer schema version", async () => {
    const path = join(dir, "future.db");
    const raw = new Database(path);
    raw.pragma("user_version = 99");
    raw.close();
    await expect(openStore(`sqlite://${path}`)).rejects.toThrow(/schema version 99 is newer/);
  });

  it("answers per-user reads from an index, never a table scan", async () => {
    const path = join(dir, "plans.db");
    (await SqliteStore.open({ path, synchronous: "normal", busyTimeoutMs: 0, readerThreads: 0, cacheKib: 2000 })).close();
    const raw = new Database(path);
    raw.function("memoryd_before_deadline", () => 1);
    // The statements exactly as the store prepares them.
    const plan = (sql: string, params: Record<string, unknown>) =>
      (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail).join("; ");
    const timeIndex = (column: string, index = `memories_by_${column}`) =>
      new RegExp(
        `SEARCH memories USING INDEX ${index} \\(user_id=\\? AND (agent_id=\\? AND )?\\(${column},memory_id\\)[<>]\\(\\?,\\?\\)\\)`,
      );
    for (const direction of ["newest", "oldest"] as const) {
      for (const [orderBy, column] of [
        ["createTime", "create_time"],
        ["updateTime", "update_time"],
      ] as const) {
        for (const filter of [NO_FILTER, { ...NO_FILTER, anyTopics: ["t"], labels: { k: "v" } }, { ...NO_FILTER, agentId: "a" }]) {
          const query: ListQuery = {
            userId: "u",
            orderBy,
            direction,
            filter,
            text: "",
            pageSize: 20,
            skip: 0,
            after: undefined,
            withTotal: false,
          };
          const after = startCursor(direction);
          const params = listParams(query, 0, { time: after.time, memoryId: after.memoryId, text: "x" });
          const sql = listSql(query);
          const index = filter.agentId ? `memories_by_agent_${column}` : `memories_by_${column}`;
          const scanPlan = plan(sql.scan, params);
          expect(scanPlan, `${orderBy} ${direction} ${JSON.stringify(filter)}`).toMatch(timeIndex(column, index));
          expect(scanPlan).not.toMatch(/TEMP B-TREE/);
          expect(plan(sql.window, { ...params, window: 500 })).toMatch(timeIndex(column, index));
          expect(plan(sql.index, { ...params, match: "x" })).toMatch(/SCAN memories_trigrams VIRTUAL TABLE/);
        }
      }
    }
    // Agno 3 looks ids up without their user: across users, by memories_by_memory_id.
    const byId: ListQuery = {
      userId: undefined,
      orderBy: "updateTime",
      direction: "newest",
      filter: { ...NO_FILTER, memoryIds: ["x", "y"] },
      text: "",
      pageSize: 1,
      skip: 0,
      after: undefined,
      withTotal: false,
    };
    const start = startCursor("newest");
    const byIdPlan = plan(listSql(byId).scan, listParams(byId, 0, { time: start.time, memoryId: start.memoryId, afterUserId: "" }));
    expect(byIdPlan).toMatch(/SEARCH memories USING INDEX memories_by_memory_id \(memory_id=\?\)/);
    raw.close();
  });
});
