/** The no-op twin of memoryd.v1.MemoryService that bench/server.ts registers. */
export const NOOP_SERVICE = "memoryd.bench.v1.Noop";
