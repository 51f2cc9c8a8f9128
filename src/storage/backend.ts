/**
 * What a storage backend registers: the URL schemes it answers to, how it
 * reads its URL, and how it opens a store. `open.ts` keeps the list.
 *
 * @module
 */
import type { MemoryStore } from "./store.js";

export interface StorageBackend<Options> {
  /** The name stores report (`MemoryStore.backend`), for logs and metrics. */
  readonly name: string;
  /** URL schemes, without "://". */
  readonly schemes: readonly string[];
  /** Reads a URL of one of `schemes`; throws `StorageUrlError`. */
  parse(url: string): Options;
  /** Opens the store, migrating its schema first. */
  open(options: Options): Promise<MemoryStore>;
}

/** Ties a backend's option type to its functions while keeping the registry's list uniform. */
export function storageBackend<Options>(backend: StorageBackend<Options>): StorageBackend<unknown> {
  return backend as StorageBackend<unknown>;
}
