/**
 * `mongodb://host:port[,host:port...]/database[?collection=memories&...]`
 * (or `mongodb+srv://`). The database defaults to `memoryd`; every other
 * parameter goes to the driver unchanged (`maxPoolSize`, `replicaSet`,
 * `serverSelectionTimeoutMS`, ...).
 *
 * @module
 */
import { takeParams } from "../url.js";

export interface MongoDbOptions {
  /** The driver's connection string, without memoryd's own parameters. */
  readonly connectionString: string;
  readonly database: string;
  readonly collection: string;
}

export function parseMongoDbUrl(url: string, defaultDatabase = "memoryd"): MongoDbOptions {
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

/** Driver options set in the URL, which must win over memoryd's defaults passed beside it. */
export function connectionStringOptions(url: string): Record<string, number> {
  const query = url.includes("?") ? new URLSearchParams(url.slice(url.indexOf("?") + 1)) : new URLSearchParams();
  const explicit: Record<string, number> = {};
  for (const name of ["serverSelectionTimeoutMS", "connectTimeoutMS"]) {
    const value = query.get(name) ?? query.get(name.toLowerCase());
    if (value !== null) explicit[name] = Number(value);
  }
  return explicit;
}
