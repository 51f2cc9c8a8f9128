/**
 * `memoryd import` on stores written by the real Agno 1.8.4 (its
 * SqliteMemoryDb, PostgresMemoryDb and MongoMemoryDb), run twice.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { tempDir } from "../helpers/temp.js";
import { backend } from "../support/backends.js";
import { memorydImport, postgresSource, runFixture } from "./run-import.js";

const root = join(import.meta.dirname, "..", "..");
const python = join(root, ".venv", "bin", "python");
const dir = tempDir();

interface Written {
  id: string;
  user_id: string;
  memory: string;
  topics: string[];
  input: string | null;
  replaced?: boolean;
}

function agno(...args: string[]): Written[] {
  return runFixture<Written[]>(python, "agno_fixture.py", args);
}

async function expectImported(storage: string, written: Written[], startedAt: number, importedAt: number) {
  const store = await openStore(storage);
  try {
    for (const w of written) {
      const record = await store.get(w.user_id, w.id);
      expect(record).toMatchObject({ memory: w.memory, topics: w.topics, input: w.input ?? undefined });
      // Agno's own timestamps, not the time of the import.
      expect(record.createTime).toBeGreaterThanOrEqual((startedAt - 2000) * 1000);
      expect(record.createTime).toBeLessThanOrEqual(importedAt * 1000);
      if (w.replaced) expect(record.updateTime).toBeGreaterThan(record.createTime);
      else expect(record.updateTime - record.createTime).toBeLessThan(1_000_000);
    }
  } finally {
    await store.close();
  }
}

const sources: { name: string; unavailable?: string; write: () => Written[]; args: () => string[] }[] = [];
{
  const file = join(dir, "agno.db");
  sources.push({
    name: "SqliteMemoryDb",
    write: () => agno("sqlite", file, "user_memories"),
    args: () => ["--from", `sqlite://${file}`, "--table", "user_memories"],
  });
}
{
  const postgres = postgresSource();
  const table = `agno_memories_${Date.now()}`;
  sources.push({
    name: "PostgresMemoryDb",
    unavailable: postgres.unavailable,
    write: () => agno("postgres", postgres.sqlalchemyUrl, table),
    args: () => ["--from", postgres.url, "--schema", "ai", "--table", table],
  });
}
{
  const mongodb = backend("mongodb");
  const url = mongodb.unavailable ? "" : mongodb.storageUrl();
  const database = url.slice(url.lastIndexOf("/") + 1).split("?")[0]!;
  sources.push({
    name: "MongoMemoryDb",
    unavailable: mongodb.unavailable,
    write: () => agno("mongodb", url, "memory", database),
    args: () => ["--from", url],
  });
}

for (const source of sources) {
  describe.skipIf(source.unavailable)(`memoryd import from Agno's ${source.name}`, () => {
    it("copies ids, users, topics, input and timestamps, and a second run changes nothing", async () => {
      const startedAt = Date.now();
      const written = source.write();
      const storage = backend("sqlite").storageUrl();
      const importedAt = Date.now();
      const first = memorydImport(source.args(), storage);
      expect(first, first.stderr).toMatchObject({ status: 0, report: { read: 4, imported: 4, alreadyPresent: 0, invalid: [] } });
      await expectImported(storage, written, startedAt, importedAt);
      const second = memorydImport(source.args(), storage);
      expect(second).toMatchObject({ status: 0, report: { read: 4, imported: 0, alreadyPresent: 4, invalid: [] } });
      await expectImported(storage, written, startedAt, importedAt);
    });
  });
}

describe("memoryd import errors", () => {
  it("reports rows it cannot import and exits 2, importing the rest", async () => {
    const Database = (await import("better-sqlite3")).default;
    const file = join(dir, "broken.db");
    const db = new Database(file);
    db.exec("CREATE TABLE memory (id TEXT PRIMARY KEY, user_id TEXT, memory TEXT, created_at DATETIME, updated_at DATETIME)");
    const insert = db.prepare("INSERT INTO memory VALUES (?, ?, ?, '2025-01-02 03:04:05', NULL)");
    insert.run("good", "u", "{'memory': 'fine', 'topics': ['t']}");
    insert.run("code", "u", "__import__('os').system('echo pwned')");
    insert.run("empty", "u", "{'memory': ''}");
    db.close();
    const storage = backend("sqlite").storageUrl();
    const result = memorydImport(["--from", `sqlite://${file}`], storage);
    expect(result.status).toBe(2);
    expect(result.report.imported).toBe(1);
    expect(result.report.invalid.map((i: { id: string }) => i.id).sort()).toEqual(["code", "empty"]);
    const store = await openStore(storage);
    expect(await store.get("u", "good")).toMatchObject({ memory: "fine", createTime: Date.UTC(2025, 0, 2, 3, 4, 5) * 1000 });
    await store.close();
  });

  it("fails with exit 1 and a message for a source that does not exist", () => {
    const result = memorydImport(["--from", `sqlite://${join(dir, "missing.db")}`], backend("sqlite").storageUrl());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("memoryd import:");
  });
});
