import type { AgnoFormat } from "./agno-format.js";
import { parsePythonLiteral } from "./python-literal.js";
import { fromEpochSeconds, fromSqliteTimestamp } from "./times.js";

/**
 * Agno 1.x's memory tables, as its SqliteMemoryDb, PostgresMemoryDb and
 * MongoMemoryDb write them: `id`, `user_id`, and the memory as
 * `UserMemory.to_dict()` in one `memory` column (memory, topics, input,
 * last_updated). SQLite stores that dict as a Python literal (`str(dict)`),
 * parsed here without eval; PostgreSQL as JSONB; MongoDB as a subdocument.
 * Times are SQLite UTC text, `timestamptz`, or epoch seconds on MongoDB.
 */
export const agno1: AgnoFormat = {
  name: "agno1",
  title: "Agno 1.x",
  // PostgresMemoryDb takes a table name and has no default.
  defaultTable: { sqlite: "memory", postgres: undefined, mongodb: "memory" },
  key: "id",
  columns: ["id", "user_id", "memory", "created_at", "updated_at"],
  row(raw, kind) {
    let memory = raw.memory;
    if (kind === "sqlite") {
      try {
        memory = parsePythonLiteral(String(memory));
      } catch (err) {
        throw new Error(`memory column is not a Python literal: ${(err as Error).message}`);
      }
    }
    if (typeof memory !== "object" || memory === null) throw new Error("memory is not a dict");
    const fields = memory as { memory?: unknown; topics?: unknown; input?: unknown; last_updated?: unknown };
    const time = kind === "sqlite" ? fromSqliteTimestamp : fromEpochSeconds; // fromEpochSeconds passes PostgreSQL's Dates through
    // PostgresMemoryDb never writes updated_at; the memory's own
    // last_updated (naive local time, as Agno writes it) stands in for it.
    const lastUpdated = typeof fields.last_updated === "string" ? new Date(fields.last_updated) : undefined;
    return {
      userId: raw.user_id,
      memory: fields.memory,
      topics: fields.topics,
      input: fields.input,
      createdAt: time(raw.created_at),
      updatedAt: time(raw.updated_at) ?? (lastUpdated && !Number.isNaN(lastUpdated.getTime()) ? lastUpdated : undefined),
    };
  },
};
