/**
 * The storage backends memoryd knows, by URL scheme, and `openStore`.
 * Adding a backend is one line here (see docs/architecture.md).
 *
 * @module
 */
import type { StorageBackend } from "./backend.js";
import { mongodbBackend } from "./mongodb/backend.js";
import { postgresBackend } from "./postgres/backend.js";
import { sqliteBackend } from "./sqlite/backend.js";
import type { MemoryStore } from "./store.js";
import { redactUrl, StorageUrlError, schemeOf } from "./url.js";

export const STORAGE_BACKENDS: readonly StorageBackend<unknown>[] = [sqliteBackend, postgresBackend, mongodbBackend];

/** The backend a URL's scheme names; throws `StorageUrlError` for none. */
export function backendFor(url: string): StorageBackend<unknown> {
  const scheme = schemeOf(url);
  const backend = STORAGE_BACKENDS.find((candidate) => candidate.schemes.includes(scheme));
  if (backend) return backend;
  const known = STORAGE_BACKENDS.flatMap((b) => b.schemes.map((s) => `${s}://`)).join(", ");
  throw new StorageUrlError(`unsupported storage URL "${redactUrl(url)}": expected one of ${known}`);
}

/** Opens the store a URL names; its schema is migrated before this resolves. */
export async function openStore(url: string): Promise<MemoryStore> {
  const backend = backendFor(url);
  return backend.open(backend.parse(url));
}

export { redactUrl, StorageUrlError };
