import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openStore, parseSqliteUrl, StorageUrlError } from "../../src/storage/open.js";
import { SqliteStore } from "../../src/storage/sqlite.js";
import { describeStoreConformance } from "../conformance/store-conformance.js";
import { tempDir } from "../helpers/temp.js";

const dir = tempDir();

describeStoreConformance("sqlite", () => openStore(`sqlite://${join(dir, "conformance.db")}`));

describe("sqlite backend", () => {
  it("parses relative, absolute and in-memory URLs with options", () => {
    expect(parseSqliteUrl("sqlite://./data/memoryd.db")).toEqual({ path: "./data/memoryd.db", synchronous: "normal", busyTimeoutMs: 5000 });
    expect(parseSqliteUrl("sqlite:///var/lib/memoryd/m%20d.db?synchronous=full&busy_timeout_ms=100")).toEqual({
      path: "/var/lib/memoryd/m d.db",
      synchronous: "full",
      busyTimeoutMs: 100,
    });
    expect(parseSqliteUrl("sqlite://:memory:").path).toBe(":memory:");
    expect(() => parseSqliteUrl("sqlite://x.db?synchronous=off")).toThrow(StorageUrlError);
    expect(() => parseSqliteUrl("sqlite://")).toThrow(StorageUrlError);
  });

  it("refuses unknown storage URL schemes", async () => {
    await expect(openStore("redis://localhost")).rejects.toBeInstanceOf(StorageUrlError);
  });

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

  it("answers per-user reads from an index, never a table scan", () => {
    const path = join(dir, "plans.db");
    SqliteStore.open({ path, synchronous: "normal", busyTimeoutMs: 0 }).close();
    const raw = new Database(path);
    const plan = (sql: string) =>
      (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ u: "u", t: 1, m: "m", q: "x", l: 10 }) as { detail: string }[])
        .map((r) => r.detail)
        .join("; ");
    const listPlan = plan(
      "SELECT * FROM memories WHERE user_id = :u AND (create_time, memory_id) < (:t, :m) ORDER BY create_time DESC, memory_id DESC LIMIT :l",
    );
    expect(listPlan).toMatch(/SEARCH memories USING INDEX memories_by_create_time \(user_id=\? AND \(create_time,memory_id\)<\(\?,\?\)\)/);
    expect(listPlan).not.toMatch(/TEMP B-TREE/);
    const searchPlan = plan(
      "SELECT * FROM memories WHERE user_id = :u AND instr(memory_folded, :q) > 0 ORDER BY update_time DESC, memory_id DESC LIMIT :l",
    );
    expect(searchPlan).toMatch(/SEARCH memories USING INDEX memories_by_update_time \(user_id=\?\)/);
    expect(searchPlan).not.toMatch(/TEMP B-TREE/);
    raw.close();
  });
});
