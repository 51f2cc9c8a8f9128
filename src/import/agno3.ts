import type { AgnoFormat } from "./agno-format.js";
import { fromEpochSeconds } from "./times.js";

/** A JSON column: text SQLite's JSON type holds, decoded already by the PostgreSQL (JSONB) and MongoDB drivers. */
function json(value: unknown, column: string, decode: boolean): unknown {
  if (!decode || typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`${column} column is not JSON`);
  }
}

/**
 * Agno 3's memory table (`agno_memories` by default), as its SqliteDb,
 * PostgresDb and MongoDb write it: one column a field (memory_id, memory
 * and topics as JSON, input, feedback, agent_id, team_id, user_id) and
 * `created_at` / `updated_at` in epoch seconds. MongoDb.upsert_user_memory,
 * the path MemoryManager takes, writes neither input, feedback nor
 * created_at: such a memory is imported without them and created when it
 * was last updated.
 */
export const agno3: AgnoFormat = {
  name: "agno3",
  title: "Agno 3",
  defaultTable: { sqlite: "agno_memories", postgres: "agno_memories", mongodb: "agno_memories" },
  key: "memory_id",
  columns: ["memory_id", "memory", "topics", "input", "feedback", "agent_id", "team_id", "user_id", "created_at", "updated_at"],
  row(raw, kind) {
    const decode = kind === "sqlite";
    return {
      userId: raw.user_id,
      memory: json(raw.memory, "memory", decode),
      topics: json(raw.topics, "topics", decode),
      input: raw.input,
      agentId: raw.agent_id,
      teamId: raw.team_id,
      feedback: raw.feedback,
      createdAt: fromEpochSeconds(raw.created_at),
      updatedAt: fromEpochSeconds(raw.updated_at),
    };
  },
};
