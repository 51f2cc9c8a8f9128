/**
 * Chooses and opens a backend from a storage URL. Each backend takes its
 * driver's own URL; memoryd's few extra settings ride along as query
 * parameters, which are removed before the URL reaches the driver (both pg
 * and the MongoDB driver reject or misread parameters they do not know).
 *
 * @module
 */
import { MongoStore, type MongoOptions } from "./mongodb.js";
import { PostgresStore, type PostgresOptions } from "./postgres.js";
import { SqliteStore, type SqliteOptions } from "./sqlite.js";
import type { MemoryStore } from "./store.js";

/** Thrown for a storage URL that names no known backend or has bad options. */
export class StorageUrlError extends Error {}

/** The URL with any user:password@ part masked, for messages that quote it. */
export function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@?#]*@/, "$1***@");
}

/**
 * Splits memoryd's own query parameters (`owned`) off a URL, leaving every
 * other character of it as written.
 */
function takeParams(url: string, owned: readonly string[]): { url: string; params: Map<string, string> } {
  const queryStart = url.indexOf("?");
  if (queryStart < 0) return { url, params: new Map() };
  const params = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of url.slice(queryStart + 1).split("&")) {
    if (pair === "") continue;
    const [key = "", value = ""] = pair.split(/=(.*)/s);
    const name = decodeURIComponent(key);
    if (owned.includes(name)) params.set(name, decodeURIComponent(value.replace(/\+/g, " ")));
    else kept.push(pair);
  }
  const base = url.slice(0, queryStart);
  return { url: kept.length ? `${base}?${kept.join("&")}` : base, params };
}

function integerParam(params: Map<string, string>, name: string, fallback: number, min: number): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new StorageUrlError(`${name} must be an integer of at least ${min}, not "${raw}"`);
  return value;
}

/**
 * Parses `sqlite://<path>[?synchronous=normal|full&busy_timeout_ms=N&readers=N&cache_kib=N]`.
 * The path is everything after `sqlite://`: `sqlite://./data/m.db` is
 * relative to the working directory, `sqlite:///var/lib/m.db` absolute, and
 * `sqlite://:memory:` a private in-memory database.
 */
export function parseSqliteUrl(url: string): SqliteOptions {
  if (!url.startsWith("sqlite://")) throw new StorageUrlError(`storage URL "${url}" must start with sqlite://`);
  const { url: rest, params } = takeParams(url.slice("sqlite://".length), ["synchronous", "busy_timeout_ms", "readers", "cache_kib"]);
  if (rest.includes("?")) throw new StorageUrlError(`unknown parameter in sqlite URL "${url}"`);
  const path = decodeURIComponent(rest);
  if (path === "") throw new StorageUrlError(`storage URL "${url}" has no file path`);
  const synchronous = params.get("synchronous") ?? "normal";
  if (synchronous !== "normal" && synchronous !== "full") {
    throw new StorageUrlError(`synchronous must be "normal" or "full", not "${synchronous}"`);
  }
  return {
    path,
    synchronous,
    busyTimeoutMs: integerParam(params, "busy_timeout_ms", 5000, 0),
    readerThreads: integerParam(params, "readers", 2, 0),
    cacheKib: integerParam(params, "cache_kib", 2000, 64),
  };
}

/**
 * Parses `postgres://user:password@host:port/database[?schema=memoryd&pool_max=10&connect_timeout_ms=5000&...]`;
 * every other parameter goes to pg unchanged (`sslmode`, `application_name`, ...).
 */
export function parsePostgresUrl(url: string): PostgresOptions {
  const { url: connectionString, params } = takeParams(url, ["schema", "pool_max", "connect_timeout_ms"]);
  return {
    connectionString,
    schema: params.get("schema") ?? "memoryd",
    poolMax: integerParam(params, "pool_max", 10, 1),
    connectTimeoutMs: integerParam(params, "connect_timeout_ms", 5000, 1),
  };
}

/**
 * Parses `mongodb://host:port[,host:port...]/database[?collection=memories&...]`
 * (or `mongodb+srv://`). The database defaults to `memoryd`; every other
 * parameter goes to the driver unchanged (`maxPoolSize`, `replicaSet`,
 * `serverSelectionTimeoutMS`, ...).
 */
export function parseMongoUrl(url: string, defaultDatabase = "memoryd"): MongoOptions {
  const { url: connectionString, params } = takeParams(url, ["collection"]);
  const afterScheme = connectionString.indexOf("://") + 3;
  const pathStart = connectionString.indexOf("/", afterScheme);
  const queryStart = connectionString.indexOf("?");
  const path = pathStart < 0 ? "" : connectionString.slice(pathStart + 1, queryStart < 0 ? undefined : queryStart);
  return {
    connectionString,
    database: decodeURIComponent(path) || defaultDatabase,
    collection: params.get("collection") ?? "memories",
  };
}

/** Opens the store a URL names; its schema is migrated before this resolves. */
export async function openStore(url: string): Promise<MemoryStore> {
  const scheme = url.slice(0, Math.max(0, url.indexOf("://")));
  switch (scheme) {
    case "sqlite":
      return SqliteStore.open(parseSqliteUrl(url));
    case "postgres":
    case "postgresql":
      return PostgresStore.open(parsePostgresUrl(url));
    case "mongodb":
    case "mongodb+srv":
      return MongoStore.open(parseMongoUrl(url));
    default:
      throw new StorageUrlError(`unsupported storage URL "${redactUrl(url)}": expected sqlite://, postgres:// or mongodb://`);
  }
}
