/**
 * Database outage under load: the database server this file starts is
 * stopped while clients keep calling, then started again. Calls must fail
 * fast with UNAVAILABLE (never INTERNAL, never hanging to their deadline),
 * health must say NOT_SERVING, and the same memoryd process must recover
 * with every acknowledged write intact.
 */
import { randomUUID } from "node:crypto";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryClient } from "../../testkit/client.js";
import { FerretDbServer } from "../../testkit/ferretdb.js";
import { findPostgresBin, PostgresCluster } from "../../testkit/postgres.js";
import { spawnServer } from "../../testkit/server-process.js";
import { goToolOrReason } from "../../testkit/tools.js";
import { HealthClient } from "../helpers/health.js";

interface Database {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const pgBin = await findPostgresBin();
const ferretdb = goToolOrReason("ferretdb");
const databases: { name: string; unavailable?: string; create: () => Promise<Database> }[] = [
  {
    name: "PostgreSQL",
    unavailable: pgBin ? undefined : "no PostgreSQL binaries",
    create: async () => {
      const cluster = await PostgresCluster.create(pgBin!);
      return {
        url: `${cluster.url()}?connect_timeout_ms=1000`,
        stop: () => cluster.stop(),
        start: () => cluster.start(),
        destroy: () => cluster.destroy(),
      };
    },
  },
  {
    name: "MongoDB (FerretDB)",
    unavailable: ferretdb.unavailable,
    create: async () => {
      const server = await FerretDbServer.create(ferretdb.path!);
      return { url: server.url("outage"), stop: () => server.stop(), start: () => server.start(), destroy: () => server.destroy() };
    },
  },
];

// Above MongoDB's 1.5 s server selection: a call already waiting for a
// server when it goes away fails with UNAVAILABLE after that, not at its deadline.
const DEADLINE_MS = 3000;

for (const database of databases) {
  describe.skipIf(database.unavailable)(`database outage: ${database.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("fails fast with UNAVAILABLE while the database is down and recovers in the same process", async () => {
      const db = await database.create();
      cleanups.push(() => db.destroy());
      const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", db.url, "--health-probe-interval-ms", "200"] });
      cleanups.push(async () => void (await server.stop()));
      const health = new HealthClient(server.address);
      cleanups.push(async () => health.close());
      const watch = health.watch("memoryd.v1.MemoryService");
      await watch.until("SERVING");

      const userId = `outage-${randomUUID()}`;
      const acknowledged: string[] = [];
      const failures: { code: number; ms: number }[] = [];
      let calls = 0;
      let running = true;
      const clients = Array.from({ length: 4 }, () => new MemoryClient(server.address));
      cleanups.push(async () => {
        for (const c of clients) c.close();
      });
      const workers = clients.map(async (client) => {
        while (running) {
          const memoryId = randomUUID();
          const started = Date.now();
          calls++;
          try {
            await client.create({ userMemory: { userId, memoryId, memory: "written around an outage" } }, { deadlineMs: DEADLINE_MS });
            acknowledged.push(memoryId);
          } catch (err) {
            failures.push({ code: (err as ServiceError).code, ms: Date.now() - started });
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      });

      await new Promise((r) => setTimeout(r, 500));
      const before = acknowledged.length;
      await db.stop();
      await watch.until("NOT_SERVING", 10_000);
      await new Promise((r) => setTimeout(r, 2000));
      const failuresWhileDown = failures.filter((f) => f.code === status.UNAVAILABLE).length;
      await db.start();
      await watch.until("SERVING", 20_000);
      const recovered = acknowledged.length;
      await new Promise((r) => setTimeout(r, 500));
      running = false;
      await Promise.all(workers);

      expect(before).toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(recovered); // writes resumed after the database returned
      expect(failuresWhileDown).toBeGreaterThan(10);
      const unexpected = server.logs
        .filter((entry) => entry.msg === "unexpected error")
        .map((entry) => (entry.err as { message?: string })?.message);
      expect(new Set(failures.map((f) => status[f.code])), `server logged: ${unexpected.slice(0, 3).join("; ")}`).toEqual(
        new Set(["UNAVAILABLE"]),
      );
      // Fast: once health knew, calls were refused at once; none waited out its deadline.
      expect(Math.max(...failures.map((f) => f.ms))).toBeLessThan(DEADLINE_MS);
      const sorted = failures.map((f) => f.ms).sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(50);

      const stored = new Set((await clients[0]!.listAll({ userId })).map((m) => m.memoryId));
      for (const id of acknowledged) expect(stored.has(id), `acknowledged ${id} lost`).toBe(true);
      console.log(
        `${database.name}: ${calls} calls, ${acknowledged.length} acknowledged and all present after the outage, ` +
          `${failures.length} refused with UNAVAILABLE (median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms)`,
      );
    });
  });
}
