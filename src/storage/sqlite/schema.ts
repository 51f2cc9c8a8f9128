/**
 * SQLite's schema and its migrations.
 *
 * @module
 */
import type Database from "better-sqlite3";
import { assertKnownSchemaVersion } from "../schema-version.js";
import { trigramTokens } from "./trigram-index.js";

/**
 * Versioned schema migrations; `PRAGMA user_version` records how many have
 * run. Append only: a released migration is never edited.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE memories (
    -- A stable integer key for the full-text index: an implicit rowid may
    -- change under VACUUM, an INTEGER PRIMARY KEY never does.
    id                  INTEGER PRIMARY KEY,
    user_id             TEXT    NOT NULL,
    memory_id           TEXT    NOT NULL,
    memory              TEXT    NOT NULL,
    memory_folded       TEXT    NOT NULL, -- foldForSearch(memory)
    topics              TEXT    NOT NULL, -- JSON array of strings
    input               TEXT,
    create_time         INTEGER NOT NULL, -- microseconds since the epoch
    update_time         INTEGER NOT NULL,
    etag                TEXT    NOT NULL,
    request_id          TEXT,
    request_fingerprint TEXT,
    CONSTRAINT memories_user_memory UNIQUE (user_id, memory_id)
  ) STRICT;
  -- Every read is scoped to one user, so every index starts with user_id:
  -- the cost of a call does not depend on how much other users store.
  CREATE INDEX memories_by_create_time ON memories (user_id, create_time, memory_id);
  CREATE INDEX memories_by_update_time ON memories (user_id, update_time, memory_id);
  CREATE UNIQUE INDEX memories_by_request_id ON memories (user_id, request_id) WHERE request_id IS NOT NULL;
  -- Substring search: an inverted index of each memory's trigrams, whose
  -- tokens carry the owner (see trigram-index.ts), so a search reads only the
  -- caller's posting lists. Kept in step by triggers.
  CREATE VIRTUAL TABLE memories_trigrams USING fts5(
    tokens, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii'
  );
  CREATE TRIGGER memories_trigrams_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_trigrams (rowid, tokens) VALUES (new.id, memoryd_trigram_tokens(new.user_id, new.memory_folded));
  END;
  CREATE TRIGGER memories_trigrams_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memories_trigrams WHERE rowid = old.id;
  END;
  CREATE TRIGGER memories_trigrams_update AFTER UPDATE OF memory_folded ON memories BEGIN
    DELETE FROM memories_trigrams WHERE rowid = old.id;
    INSERT INTO memories_trigrams (rowid, tokens) VALUES (new.id, memoryd_trigram_tokens(new.user_id, new.memory_folded));
  END;
  `,
  // memoryd.v1: scopes, feedback, labels and expiry, and per-user counters.
  `
  ALTER TABLE memories ADD COLUMN agent_id TEXT;
  ALTER TABLE memories ADD COLUMN team_id TEXT;
  ALTER TABLE memories ADD COLUMN feedback TEXT;
  ALTER TABLE memories ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'; -- JSON object, keys in order
  ALTER TABLE memories ADD COLUMN expire_time INTEGER;              -- microseconds; NULL: never
  -- A list filtered by agent or team walks that scope's memories in order
  -- instead of all of the user's. Partial: unscoped memories pay nothing.
  CREATE INDEX memories_by_agent_create_time ON memories (user_id, agent_id, create_time, memory_id) WHERE agent_id IS NOT NULL;
  CREATE INDEX memories_by_agent_update_time ON memories (user_id, agent_id, update_time, memory_id) WHERE agent_id IS NOT NULL;
  CREATE INDEX memories_by_team_create_time ON memories (user_id, team_id, create_time, memory_id) WHERE team_id IS NOT NULL;
  CREATE INDEX memories_by_team_update_time ON memories (user_id, team_id, update_time, memory_id) WHERE team_id IS NOT NULL;
  -- Expired memories, oldest expiry first: what the purge removes, and what a count must leave out.
  CREATE INDEX memories_by_expire_time ON memories (expire_time, user_id) WHERE expire_time IS NOT NULL;
  -- How many memories each user has and their latest update time, kept in
  -- step by triggers: totals and per-user statistics without reading the
  -- memories, and users listed by latest update from an index.
  CREATE TABLE user_stats (
    user_id          TEXT    PRIMARY KEY,
    memory_count     INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX user_stats_by_last_update_time ON user_stats (last_update_time, user_id);
  INSERT INTO user_stats (user_id, memory_count, last_update_time)
    SELECT user_id, count(*), max(update_time) FROM memories GROUP BY user_id;
  CREATE TRIGGER user_stats_insert AFTER INSERT ON memories BEGIN
    INSERT INTO user_stats (user_id, memory_count, last_update_time) VALUES (new.user_id, 1, new.update_time)
      ON CONFLICT (user_id) DO UPDATE SET
        memory_count = memory_count + 1, last_update_time = max(last_update_time, excluded.last_update_time);
  END;
  CREATE TRIGGER user_stats_update AFTER UPDATE OF update_time ON memories BEGIN
    UPDATE user_stats SET last_update_time = CASE
        WHEN new.update_time >= last_update_time THEN new.update_time
        WHEN old.update_time < last_update_time THEN last_update_time
        ELSE (SELECT max(update_time) FROM memories WHERE user_id = new.user_id) END
      WHERE user_id = new.user_id;
  END;
  CREATE TRIGGER user_stats_delete AFTER DELETE ON memories BEGIN
    UPDATE user_stats SET memory_count = memory_count - 1, last_update_time = CASE
        WHEN old.update_time < last_update_time THEN last_update_time
        ELSE coalesce((SELECT max(update_time) FROM memories WHERE user_id = old.user_id), 0) END
      WHERE user_id = old.user_id;
    DELETE FROM user_stats WHERE user_id = old.user_id AND memory_count <= 0;
  END;
  `,
  // Agno 3's ids are global: a memory looked up or deleted by id alone, across
  // users, is found from this index instead of a scan of every memory.
  `
  CREATE INDEX memories_by_memory_id ON memories (memory_id);
  `,
];

/** How many migrations this memoryd knows; tests write older databases with `MIGRATIONS.slice(0, n)`. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The SQL functions the schema's triggers call; every connection that writes registers them. */
export function registerSchemaFunctions(db: Database.Database): void {
  db.function("memoryd_trigram_tokens", { deterministic: true }, (userId, folded) => trigramTokens(String(userId), String(folded)));
}

/**
 * Brings the schema up to `target` (by default, up to date) in one
 * transaction; refuses a database from a newer memoryd. Tests pass an
 * older target to write the databases earlier releases wrote.
 */
export function migrate(db: Database.Database, target = MIGRATIONS.length): void {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    assertKnownSchemaVersion(version, MIGRATIONS.length);
    if (version >= target) return; // nothing to write: a full disk must not stop a start
    for (const migration of MIGRATIONS.slice(version, target)) db.exec(migration);
    db.pragma(`user_version = ${target}`);
  }).immediate();
}
