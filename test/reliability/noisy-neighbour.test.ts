/**
 * One tenant's expensive reads on SQLite: a list or search whose filter
 * matches none of 100,000 memories examines every one of them. Such a call
 * must neither stall other tenants' calls (better-sqlite3 runs a statement
 * to its end without yielding, so it must not run on the event loop) nor
 * outlive the server's call limit. How much the others' latency moves under
 * that load is measured by the benchmark (`npm run bench -- --rpcs noisy`),
 * not here: these cases check order and outcome only.
 */
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server.js";
import { openStore } from "../../src/storage/open.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { failure, MemoryClient, statusDetails } from "../../testkit/client.js";
import { HealthClient } from "../helpers/health.js";
import { tempDir } from "../helpers/temp.js";

const NOISY = "noisy-tenant";
const MEMORIES = 100_000;
const TOPICS = Array.from({ length: 32 }, (_, i) => `topic-${i}`);
/** A filter that matches nothing: every memory of the user is examined. */
const ABSENT = Array.from({ length: 32 }, (_, i) => `absent-${i}`);

let store: MemoryStore;
const servers: RunningServer[] = [];
const clients: MemoryClient[] = [];

async function serve(maxCallDurationMs: number) {
  const server = await startServer({ listen: "127.0.0.1:0", store, log: pino({ level: "silent" }), maxCallDurationMs });
  servers.push(server);
  const client = new MemoryClient(`127.0.0.1:${server.port}`);
  clients.push(client);
  return { server, client, address: `127.0.0.1:${server.port}` };
}

beforeAll(async () => {
  store = await openStore(`sqlite://${join(tempDir(), "noisy.db")}`);
  for (let from = 0; from < MEMORIES; from += 5000) {
    await store.importMemories(
      Array.from({ length: 5000 }, (_, i) => ({
        userId: NOISY,
        memoryId: `m${from + i}`,
        memory: "a short note",
        topics: TOPICS,
        input: undefined,
        labels: {},
        createTime: from + i + 1,
        updateTime: from + i + 1,
        etag: "",
      })),
      "skip",
    );
  }
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) await server.drain({ delayMs: 0, graceMs: 1000 });
  await store?.close();
});

describe("a tenant's reads that examine 100,000 memories (SQLite)", () => {
  it("do not hold up other tenants' calls or health checks", async () => {
    const { client, address } = await serve(30_000);
    const { userMemory: mine } = await client.create({ userMemory: { userId: "quiet-tenant", memory: "mine" } });
    const health = new HealthClient(address);
    const finished: string[] = [];
    const heavy = [
      client.list({ userId: NOISY, filter: { anyTopics: ABSENT }, pageSize: 10 }).then(() => finished.push("noisy list")),
      client.search({ userId: NOISY, filter: { anyTopics: ABSENT }, pageSize: 10 }).then(() => finished.push("noisy search")),
    ];
    for (let i = 0; i < 5; i++) {
      await client.get({ userId: "quiet-tenant", memoryId: mine!.memoryId });
      finished.push(`quiet get ${i}`);
    }
    await health.check("");
    finished.push("health check");
    await Promise.all(heavy);
    health.close();
    // The quiet tenant's calls and the health check all answered while the noisy reads were still running.
    expect(finished.slice(0, 6)).toEqual(["quiet get 0", "quiet get 1", "quiet get 2", "quiet get 3", "quiet get 4", "health check"]);
  });

  it("end at the server's call limit with DEADLINE_EXCEEDED instead of running on", async () => {
    const { client } = await serve(40);
    for (const call of [
      () => client.list({ userId: NOISY, filter: { anyTopics: ABSENT }, pageSize: 10 }),
      () => client.search({ userId: NOISY, filter: { anyTopics: ABSENT }, query: "a short", pageSize: 10 }),
    ]) {
      const err = await failure(call());
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      // Answered by the server (with its details), not by the client giving up.
      expect(statusDetails(err).errorInfo?.reason).toBe("DEADLINE_EXCEEDED");
    }
  });
});
