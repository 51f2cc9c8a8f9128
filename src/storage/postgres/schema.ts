/**
 * PostgreSQL's schema and its migrations, applied once across replicas.
 *
 * @module
 */
import type pg from "pg";
import { StorageError } from "../errors.js";
import { assertKnownSchemaVersion } from "../schema-version.js";
import { ignoreErrorEvent } from "./errors.js";

/**
 * Versioned migrations, applied in order under an advisory lock; the
 * schema's `schema_migrations` table records which ran. Append only. `%s`
 * stands for the quoted schema name, `%trgm` for the schema pg_trgm lives in.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE %s.memories (
    user_id             text COLLATE "C" NOT NULL,
    memory_id           text COLLATE "C" NOT NULL,
    memory              text NOT NULL,
    memory_folded       text NOT NULL, -- foldForSearch(memory)
    topics              text[] NOT NULL,
    input               text,
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    etag                text NOT NULL,
    request_id          text COLLATE "C",
    request_fingerprint text,
    PRIMARY KEY (user_id, memory_id)
  );
  -- Every read is scoped to one user, so the ordered indexes start with user_id.
  CREATE INDEX memories_by_create_time ON %s.memories (user_id, create_time, memory_id);
  CREATE INDEX memories_by_update_time ON %s.memories (user_id, update_time, memory_id);
  CREATE UNIQUE INDEX memories_by_request_id ON %s.memories (user_id, request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX memories_by_topic ON %s.memories USING gin (topics);
  CREATE INDEX memories_by_trigram ON %s.memories USING gin (memory_folded %trgm.gin_trgm_ops);
  `,
  // memoryd.v1: scopes, feedback, labels and expiry, and per-user counters.
  `
  ALTER TABLE %s.memories
    ADD COLUMN agent_id    text COLLATE "C",
    ADD COLUMN team_id     text COLLATE "C",
    ADD COLUMN feedback    text,
    ADD COLUMN labels      jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN expire_time timestamptz;
  -- A list filtered by agent or team walks that scope's memories in order
  -- instead of all of the user's. Partial: unscoped memories pay nothing.
  CREATE INDEX memories_by_agent_create_time ON %s.memories (user_id, agent_id, create_time, memory_id) WHERE agent_id IS NOT NULL;
  CREATE INDEX memories_by_agent_update_time ON %s.memories (user_id, agent_id, update_time, memory_id) WHERE agent_id IS NOT NULL;
  CREATE INDEX memories_by_team_create_time ON %s.memories (user_id, team_id, create_time, memory_id) WHERE team_id IS NOT NULL;
  CREATE INDEX memories_by_team_update_time ON %s.memories (user_id, team_id, update_time, memory_id) WHERE team_id IS NOT NULL;
  -- Expired memories, oldest expiry first: what the purge removes, and what a count must leave out.
  CREATE INDEX memories_by_expire_time ON %s.memories (expire_time, user_id) WHERE expire_time IS NOT NULL;
  -- How many memories each user has and their latest update time, kept in
  -- step by a trigger: totals and per-user statistics without reading the
  -- memories, and users listed by latest update from an index.
  CREATE TABLE %s.user_stats (
    user_id          text COLLATE "C" PRIMARY KEY,
    memory_count     bigint NOT NULL,
    last_update_time timestamptz NOT NULL
  );
  CREATE INDEX user_stats_by_last_update_time ON %s.user_stats (last_update_time, user_id);
  INSERT INTO %s.user_stats (user_id, memory_count, last_update_time)
    SELECT user_id, count(*), max(update_time) FROM %s.memories GROUP BY user_id;
  CREATE FUNCTION %s.memoryd_user_stats() RETURNS trigger LANGUAGE plpgsql AS $body$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO %s.user_stats AS s (user_id, memory_count, last_update_time) VALUES (NEW.user_id, 1, NEW.update_time)
        ON CONFLICT (user_id) DO UPDATE SET
          memory_count = s.memory_count + 1, last_update_time = greatest(s.last_update_time, EXCLUDED.last_update_time);
    ELSIF TG_OP = 'UPDATE' THEN
      UPDATE %s.user_stats AS s SET last_update_time = CASE
          WHEN NEW.update_time >= s.last_update_time THEN NEW.update_time
          WHEN OLD.update_time < s.last_update_time THEN s.last_update_time
          ELSE (SELECT max(update_time) FROM %s.memories WHERE user_id = NEW.user_id) END
        WHERE s.user_id = NEW.user_id;
    ELSE
      UPDATE %s.user_stats AS s SET memory_count = s.memory_count - 1, last_update_time = CASE
          WHEN OLD.update_time < s.last_update_time THEN s.last_update_time
          ELSE coalesce((SELECT max(update_time) FROM %s.memories WHERE user_id = OLD.user_id), 'epoch') END
        WHERE s.user_id = OLD.user_id;
      DELETE FROM %s.user_stats WHERE user_id = OLD.user_id AND memory_count <= 0;
    END IF;
    RETURN NULL;
  END
  $body$;
  CREATE TRIGGER memories_user_stats AFTER INSERT OR DELETE OR UPDATE OF update_time ON %s.memories
    FOR EACH ROW EXECUTE FUNCTION %s.memoryd_user_stats();
  `,
  // Agno 3's ids are global: a memory looked up or deleted by id alone, across
  // users, is found from this index instead of a scan of every memory.
  `
  CREATE INDEX memories_by_memory_id ON %s.memories (memory_id);
  `,
];

/** How many migrations this memoryd knows; tests write older schemas with `MIGRATIONS.slice(0, n)`. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Keys the advisory lock that serialises migrations of one schema across replicas. */
const MIGRATION_LOCK_NAMESPACE = "memoryd.migrations";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Refuses a schema name that could not be used unquoted-safe in the statements. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new StorageError(`schema "${schema}" must be a lowercase SQL identifier`);
}

/**
 * Creates the schema if missing and applies the migrations it lacks, in one
 * transaction holding an advisory lock: replicas starting together migrate
 * once. Refuses a schema from a newer memoryd. Tests pass an older
 * `target` to write the schemas earlier releases wrote.
 */
export async function migrate(pool: pg.Pool, schema: string, target = MIGRATIONS.length): Promise<void> {
  const client = await pool.connect();
  client.on("error", ignoreErrorEvent); // the failing query reports it
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${MIGRATION_LOCK_NAMESPACE}:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0) AS version FROM "${schema}".schema_migrations`,
    );
    const version = rows[0]!.version;
    assertKnownSchemaVersion(version, MIGRATIONS.length);
    if (version < target) {
      await client.query("CREATE EXTENSION IF NOT EXISTS pg_trgm");
      const ext = await client.query<{ schema: string }>(
        "SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_trgm'",
      );
      const trgmSchema = ext.rows[0]!.schema;
      for (const [index, migration] of MIGRATIONS.entries()) {
        if (index < version || index >= target) continue;
        await client.query(migration.replaceAll("%s", `"${schema}"`).replaceAll("%trgm", trgmSchema));
        await client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [index + 1]);
      }
    }
    await client.query("COMMIT");
    client.release();
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    client.release(true);
    throw err;
  }
}
