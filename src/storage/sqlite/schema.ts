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
const MIGRATIONS: readonly string[] = [
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
];

/** The SQL functions the schema's triggers call; every connection that writes registers them. */
export function registerSchemaFunctions(db: Database.Database): void {
  db.function("memoryd_trigram_tokens", { deterministic: true }, (userId, folded) => trigramTokens(String(userId), String(folded)));
}

/** Brings the schema up to date in one transaction; refuses a database from a newer memoryd. */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    assertKnownSchemaVersion(version, MIGRATIONS.length);
    if (version === MIGRATIONS.length) return; // nothing to write: a full disk must not stop a start
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
