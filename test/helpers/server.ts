import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { type RunningServer, type ServerOptions, startServer } from "../../src/server.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { MemoryClient } from "../../testkit/client.js";

export interface TestServer {
  readonly address: string;
  readonly client: MemoryClient;
  readonly server: RunningServer;
  readonly store: MemoryStore;
}

/**
 * A real memoryd gRPC server on a free loopback port for the current test
 * file, over the store `openStore` returns, with a client connected to it.
 * Access the fields inside tests and hooks, after `beforeAll` ran.
 */
export function useTestServer(
  openStore: () => Promise<MemoryStore>,
  options: Partial<Pick<ServerOptions, "connection" | "maxCallDurationMs">> = {},
): TestServer {
  const handle = {} as { -readonly [K in keyof TestServer]: TestServer[K] };
  beforeAll(async () => {
    handle.store = await openStore();
    handle.server = await startServer({ listen: "127.0.0.1:0", store: handle.store, log: pino({ level: "silent" }), ...options });
    handle.address = `127.0.0.1:${handle.server.port}`;
    handle.client = new MemoryClient(handle.address);
  });
  afterAll(async () => {
    handle.client?.close();
    await handle.server?.drain({ delayMs: 0, graceMs: 1000 });
    await handle.store?.close();
  });
  return handle;
}
