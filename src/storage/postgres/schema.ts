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
const MIGRATIONS: readonly string[] = [
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
];

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
 * once. Refuses a schema from a newer memoryd.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
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
    if (version < MIGRATIONS.length) {
      await client.query("CREATE EXTENSION IF NOT EXISTS pg_trgm");
      const ext = await client.query<{ schema: string }>(
        "SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_trgm'",
      );
      const trgmSchema = ext.rows[0]!.schema;
      for (const [index, migration] of MIGRATIONS.entries()) {
        if (index < version) continue;
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
