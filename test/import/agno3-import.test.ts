/**
 * `memoryd import` on stores written by the real Agno 3.1.10 (its SqliteDb,
 * PostgresDb and MongoDb, default table agno_memories), run twice: every
 * field read back from memoryd's store, then a second run that imports
 * nothing. Plus format detection by columns and a row it must refuse.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { tempDir } from "../helpers/temp.js";
import { backend } from "../support/backends.js";
import { memorydImport, postgresSource, runFixture } from "./run-import.js";

const python = join(import.meta.dirname, "..", "..", ".venv-agno3", "bin", "python");
const dir = tempDir();

/** A memory as agno3_fixture.py says Agno 3 stored it. */
interface Stored {
  memory_id: string;
  user_id: string | null;
  memory: string;
  topics: string[] | null;
  input: string | null;
  feedback: string | null;
  agent_id: string | null;
  team_id: string | null;
  created_at: number | null;
  updated_at: number | null;
  dropped: string[];
}

const summary = (imported: number, present: number, invalid: number, table: string) =>
  new RegExp(
    `^imported ${imported} memor(y|ies) \\(${present} already present, ${invalid} invalid\\) from \\S+ \\(Agno 3, ${table.replace(".", "\\.")}\\) in \\d+\\.\\d s$`,
    "m",
  );

async function expectImported(storage: string, stored: Stored[]) {
  const store = await openStore(storage);
  try {
    for (const s of stored) {
      const r = await store.get(s.user_id ?? "default", s.memory_id);
      const created = (s.created_at ?? s.updated_at)! * 1_000_000;
      expect({
        memory: r.memory,
        topics: r.topics,
        input: r.input,
        feedback: r.feedback,
        agentId: r.agentId,
        teamId: r.teamId,
        createTime: r.createTime,
        updateTime: r.updateTime,
      }).toEqual({
        memory: s.memory,
        topics: s.topics ?? [],
        input: s.input ?? undefined,
        feedback: s.feedback ?? undefined,
        agentId: s.agent_id ?? undefined,
        teamId: s.team_id ?? undefined,
        createTime: created,
        updateTime: Math.max(created, (s.updated_at ?? 0) * 1_000_000),
      });
    }
  } finally {
    await store.close();
  }
}

const sources: { name: string; unavailable?: string; table: string; write: () => Stored[]; args: () => string[] }[] = [];
{
  const file = join(dir, "agno3.db");
  sources.push({
    name: "SqliteDb",
    table: "agno_memories",
    write: () => runFixture(python, "agno3_fixture.py", ["sqlite", file]),
    args: () => ["--from", `sqlite://${file}`],
  });
}
{
  const postgres = postgresSource();
  const schema = `agno3_${Date.now()}`;
  sources.push({
    name: "PostgresDb",
    unavailable: postgres.unavailable,
    table: `${schema}.agno_memories`,
    write: () => runFixture(python, "agno3_fixture.py", ["postgres", postgres.sqlalchemyUrl, schema]),
    args: () => ["--from", postgres.url, "--schema", schema],
  });
}
{
  const mongodb = backend("mongodb");
  const url = mongodb.unavailable ? "" : mongodb.storageUrl();
  const database = url.slice(url.lastIndexOf("/") + 1).split("?")[0]!;
  sources.push({
    name: "MongoDb",
    unavailable: mongodb.unavailable,
    table: `${database}.agno_memories`,
    write: () => runFixture(python, "agno3_fixture.py", ["mongodb", url, database]),
    // The explicit form, where auto-detection finds the same.
    args: () => ["--from", url, "--format", "agno3", "--table", "agno_memories"],
  });
}

for (const source of sources) {
  describe.skipIf(source.unavailable)(`memoryd import from Agno 3's ${source.name}`, () => {
    it("copies every field and both times, and a second run changes nothing", async () => {
      const stored = source.write();
      expect(stored).toHaveLength(5);
      const storage = backend("sqlite").storageUrl();
      const first = memorydImport(source.args(), storage);
      expect(first, first.stderr).toMatchObject({
        status: 0,
        report: { format: "agno3", table: source.table, read: 5, imported: 5, alreadyPresent: 0, invalid: [] },
      });
      expect(first.stderr).toMatch(summary(5, 0, 0, source.table));
      expect(first.stderr, "no progress bar when stderr is not a terminal").not.toContain("\r");
      await expectImported(storage, stored);
      const second = memorydImport(source.args(), storage);
      expect(second).toMatchObject({ status: 0, report: { read: 5, imported: 0, alreadyPresent: 5, invalid: [] } });
      expect(second.stderr).toMatch(summary(0, 5, 0, source.table));
      await expectImported(storage, stored);
    });
  });
}

describe("memoryd import of Agno 3 tables by their columns", () => {
  it("reads a renamed Agno 3 table as Agno 3, reporting the rows it refuses", async () => {
    const Database = (await import("better-sqlite3")).default;
    const file = join(dir, "renamed.db");
    const db = new Database(file);
    db.exec(`CREATE TABLE team_memories (memory_id VARCHAR PRIMARY KEY, memory JSON NOT NULL, input VARCHAR, agent_id VARCHAR,
      team_id VARCHAR, user_id VARCHAR, topics JSON, feedback VARCHAR, created_at BIGINT NOT NULL, updated_at BIGINT)`);
    const insert = db.prepare("INSERT INTO team_memories VALUES (?, ?, NULL, NULL, 'red', 'u', ?, NULL, 1700000000, NULL)");
    insert.run("good", '"fine"', '["t"]');
    insert.run("not-text", '{"memory": "a dict"}', "null");
    insert.run("not-json", "fine", "null");
    db.close();
    const storage = backend("sqlite").storageUrl();
    const result = memorydImport(["--from", `sqlite://${file}`, "--table", "team_memories"], storage);
    expect(result.status).toBe(2);
    expect(result.report).toMatchObject({ format: "agno3", read: 3, imported: 1 });
    expect(result.report.invalid.map((i: { id: string }) => i.id).sort()).toEqual(["not-json", "not-text"]);
    expect(result.stderr).toMatch(summary(1, 0, 2, "team_memories"));
    const store = await openStore(storage);
    expect(await store.get("u", "good")).toMatchObject({ memory: "fine", topics: ["t"], teamId: "red", createTime: 1_700_000_000_000_000 });
    await store.close();
  });
});
