import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { listSql, searchSql } from "../../src/storage/sqlite/statements.js";
import { SqliteStore } from "../../src/storage/sqlite/store.js";
import { tempDir } from "../helpers/temp.js";

/** What is SQLite's own (files, WAL, migrations, plans); the contract every backend shares is in test/conformance/. */
const dir = tempDir();

describe("sqlite backend", () => {
  it("creates missing directories, uses WAL, and keeps data across reopen", async () => {
    const path = join(dir, "nested", "deeper", "persist.db");
    const first = await openStore(`sqlite://${path}`);
    const [created] = await first.add([{ userId: "u", memory: "persisted", topics: ["t"] }]);
    await first.close();
    const second = await openStore(`sqlite://${path}?synchronous=full`);
    expect(await second.get("u", created!.memoryId)).toEqual(created);
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(raw.pragma("user_version", { simple: true })).toBe(1);
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
    const page = { userId: "u", time: Number.MAX_SAFE_INTEGER, memoryId: "", topics: null, limit: 21 };
    for (const direction of ["newest", "oldest"] as const) {
      const listPlan = plan(listSql(direction), page);
      expect(listPlan).toMatch(
        /SEARCH memories USING INDEX memories_by_create_time \(user_id=\? AND \(create_time,memory_id\)[<>]\(\?,\?\)\)/,
      );
      expect(listPlan).not.toMatch(/TEMP B-TREE/);
      const search = searchSql(direction);
      const params = { userId: "u", text: "x", topics: null, limit: 10, time: Number.MAX_SAFE_INTEGER, memoryId: "" };
      const scanPlan = plan(search.scan, params);
      expect(scanPlan).toMatch(
        /SEARCH memories USING INDEX memories_by_update_time \(user_id=\? AND \(update_time,memory_id\)[<>]\(\?,\?\)\)/,
      );
      expect(scanPlan).not.toMatch(/TEMP B-TREE/);
      expect(plan(search.window, { ...params, window: 500 })).toMatch(
        /SEARCH memories USING INDEX memories_by_update_time \(user_id=\? AND \(update_time,memory_id\)[<>]\(\?,\?\)\)/,
      );
      expect(plan(search.index, { ...params, match: "x" })).toMatch(/SCAN memories_trigrams VIRTUAL TABLE/);
    }
    raw.close();
  });
});
