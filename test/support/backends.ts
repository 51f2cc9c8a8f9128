/**
 * Per-test-file stores for each backend. Every test file gets its own
 * SQLite file, PostgreSQL schema or MongoDB database, so files running in
 * parallel never see each other's data (some cases clear every user).
 * They are removed when the file finishes, wherever storageUrl() was called.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import pg from "pg";
import { inject } from "vitest";
import { afterFile, tempDir } from "../helpers/temp.js";

export type BackendName = "sqlite" | "postgres" | "mongodb";

export interface Backend {
  readonly name: BackendName;
  /** Why this backend's tests are skipped; undefined when it is available. */
  readonly unavailable: string | undefined;
  /** A storage URL private to the calling test file. */
  storageUrl(): string;
}

const uniqueName = () => `memoryd_test_${randomBytes(6).toString("hex")}`;

function withParam(url: string, param: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${param}`;
}

/** `url` with its database path replaced (hosts and options kept). */
function withDatabase(url: string, database: string): string {
  const hostsStart = url.indexOf("://") + 3;
  const slash = url.indexOf("/", hostsStart);
  const query = url.indexOf("?");
  const hostsEnd = slash >= 0 ? slash : query >= 0 ? query : url.length;
  return `${url.slice(0, hostsEnd)}/${database}${query >= 0 ? url.slice(query) : ""}`;
}

export function backend(name: BackendName): Backend {
  switch (name) {
    case "sqlite": {
      let dir: string | undefined;
      return {
        name,
        unavailable: undefined,
        storageUrl: () => `sqlite://${join((dir ??= tempDir()), `${uniqueName()}.db`)}`,
      };
    }
    case "postgres": {
      const { url, description } = inject("postgres");
      return {
        name,
        unavailable: url ? undefined : description,
        storageUrl() {
          const schema = uniqueName();
          afterFile(async () => {
            const client = new pg.Client({ connectionString: url });
            await client.connect();
            await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
            await client.end();
          });
          return withParam(url!, `schema=${schema}`);
        },
      };
    }
    case "mongodb": {
      const { url, description } = inject("mongodb");
      return {
        name,
        unavailable: url ? undefined : description,
        storageUrl() {
          const database = uniqueName();
          afterFile(async () => {
            const client = new MongoClient(url!, { serverSelectionTimeoutMS: 5000 });
            await client.db(database).dropDatabase();
            await client.close();
          });
          return withDatabase(url!, database);
        },
      };
    }
  }
}
