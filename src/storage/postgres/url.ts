/**
 * `postgres://user:password@host:port/database[?schema=memoryd&pool_max=10&connect_timeout_ms=5000&...]`;
 * every other parameter goes to pg unchanged (`sslmode`, `application_name`, `options`, ...).
 *
 * @module
 */
import { integerParam, takeParams } from "../url.js";

export interface PostgresOptions {
  /** libpq-style URL as pg understands it, without memoryd's own parameters. */
  readonly connectionString: string;
  /** Schema holding memoryd's tables; created when missing. */
  readonly schema: string;
  /** Most connections the pool opens. */
  readonly poolMax: number;
  /** How long a call waits for a connection before failing with UNAVAILABLE. */
  readonly connectTimeoutMs: number;
}

export function parsePostgresUrl(url: string): PostgresOptions {
  const { url: connectionString, params } = takeParams(url, ["schema", "pool_max", "connect_timeout_ms"]);
  return {
    connectionString,
    schema: params.get("schema") ?? "memoryd",
    poolMax: integerParam(params, "pool_max", 10, 1),
    connectTimeoutMs: integerParam(params, "connect_timeout_ms", 5000, 1),
  };
}
