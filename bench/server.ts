/**
 * The benchmark's server process: memoryd exactly as src/main.ts assembles
 * it (same startServer, interceptors, validation and store), plus a no-op
 * service on the same grpc-js server. The no-op methods decode the same
 * requests and encode responses of the same shape as MemoryService's, but
 * skip validation and storage: their throughput is the ceiling memoryd's
 * RPCs are compared with.
 *
 *   node dist/bench/server.js <listen> <storage url>
 */
import type { Server, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { UserMemory } from "../gen/ts/memoryd/v1/user_memory.js";
import { createProcessLogger } from "../src/logging.js";
import { Metrics } from "../src/metrics.js";
import { startServer } from "../src/server.js";
import { strictMemoryServiceDefinition } from "../src/service.js";
import { openStore } from "../src/storage/open.js";

import { NOOP_SERVICE } from "./noop.js";

function cannedMemory(i: number): UserMemory {
  const now = Date.now();
  return {
    memoryId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    userId: "bench-user-0001",
    memory: "The user prefers dark mode in every application and wants concise answers in English.",
    topics: ["preferences", "ui"],
    input: undefined,
    createTime: { seconds: Math.floor(now / 1000), nanos: 0 },
    updateTime: { seconds: Math.floor(now / 1000), nanos: 0 },
    etag: "0123456789abcdef0123",
    agentId: "",
    teamId: "",
    feedback: undefined,
    labels: new Map(),
    expiration: undefined,
  };
}

/** Responses shaped like MemoryService's: one memory, a page of 20, ten search hits. */
const CANNED: Record<string, unknown> = {
  CreateUserMemory: { userMemory: cannedMemory(0) },
  BatchCreateUserMemories: { userMemories: [cannedMemory(0)] },
  GetUserMemory: { userMemory: cannedMemory(0) },
  ListUserMemories: {
    userMemories: Array.from({ length: 20 }, (_, i) => cannedMemory(i)),
    nextPageToken: "WzEsMTc5NTU3ODg4MzY4NzAwMCwiMDAwMDAwMDAtMDAwMCIsImFiY2QiXQ",
  },
  SearchUserMemories: { userMemories: Array.from({ length: 10 }, (_, i) => cannedMemory(i)) },
  ReplaceUserMemory: { userMemory: cannedMemory(0) },
  DeleteUserMemory: {},
  ClearUserMemories: { deletedCount: 0 },
};

function registerNoop(server: Server): void {
  const definition: Record<string, ServiceDefinition[string]> = {};
  const handlers: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(strictMemoryServiceDefinition)) {
    const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
    definition[name] = { ...method, path: `/${NOOP_SERVICE}/${rpc}`, originalName: rpc } as ServiceDefinition[string];
    handlers[name] = (_call: unknown, callback: (err: null, response: unknown) => void) => callback(null, CANNED[rpc]);
  }
  server.addService(definition, handlers);
}

const [listen = "127.0.0.1:0", storage = "sqlite://./data/bench.db"] = process.argv.slice(2);
// Production logging (one line per call at info) goes to stdout, which the
// benchmark discards; the ready line goes to stderr.
const { log } = createProcessLogger(process.env.MEMORYD_LOG_LEVEL ?? "info");
const store = await openStore(storage);
const server = await startServer({ listen, log, store, metrics: new Metrics(), register: registerNoop });
server.health.watch(store, { intervalMs: 5000, timeoutMs: 2000 });
process.stderr.write(`${JSON.stringify({ msg: "bench server ready", port: server.port, backend: store.backend })}\n`);
process.on("SIGTERM", async () => {
  await server.drain({ delayMs: 0, graceMs: 2000 });
  await store.close();
  process.exit(0);
});
