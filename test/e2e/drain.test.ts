/**
 * Graceful drain: SIGTERM while clients keep calling. Every call the server
 * accepted must succeed; calls it refused must fail with UNAVAILABLE and
 * never have run. Request ids (x-request-id) tie client and server views.
 */
import { randomUUID } from "node:crypto";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { MemoryClient } from "../../testkit/client.js";
import { spawnServer } from "../../testkit/server-process.js";
import { allBackends } from "../support/backends.js";

// Drain is the server's, not the store's: the embedded backend and one with a connection pool are enough.
for (const storage of allBackends().filter((b) => b.name !== "mongodb")) {
  const { name } = storage;
  describe.skipIf(storage.unavailable)(`graceful drain on ${name}`, () => {
    it("finishes every accepted call, refuses the rest with UNAVAILABLE, and exits 0", async () => {
      const delayMs = 400;
      const server = await spawnServer({
        args: [
          "--listen",
          "127.0.0.1:0",
          "--storage",
          storage.storageUrl(),
          "--shutdown-delay-ms",
          String(delayMs),
          "--shutdown-grace-ms",
          "5000",
        ],
      });
      const clients = Array.from({ length: 4 }, () => new MemoryClient(server.address));
      const outcomes: { requestId: string; at: number; code: number }[] = [];
      let signalledAt = Infinity;

      const worker = async (client: MemoryClient, worker: number) => {
        for (let i = 0, failuresInRow = 0; failuresInRow < 3; i++) {
          const requestId = randomUUID();
          const metadata = new Metadata();
          metadata.set("x-request-id", requestId);
          try {
            await client.create({ userMemory: { userId: `drain-${worker}`, memory: `call ${i}` } }, { metadata, deadlineMs: 5000 });
            outcomes.push({ requestId, at: Date.now(), code: status.OK });
            failuresInRow = 0;
          } catch (err) {
            outcomes.push({ requestId, at: Date.now(), code: (err as ServiceError).code });
            failuresInRow++;
          }
        }
      };
      const running = clients.flatMap((client, c) => [0, 1].map((w) => worker(client, c * 2 + w)));
      setTimeout(() => {
        signalledAt = Date.now();
        server.child.kill("SIGTERM");
      }, 500);
      await Promise.all(running);
      expect(await server.exited).toBe(0);
      for (const client of clients) client.close();

      const accepted = new Map(
        server.logs
          .filter((l) => l.msg === "call" && l.method === "/memoryd.v1.MemoryService/CreateUserMemory")
          .map((l) => [l.request_id, l.code]),
      );
      const succeeded = outcomes.filter((o) => o.code === status.OK);
      const failed = outcomes.filter((o) => o.code !== status.OK);
      expect([...accepted.entries()].filter(([, code]) => code !== "OK")).toEqual([]);
      expect(
        succeeded.filter((o) => accepted.get(o.requestId) !== "OK").map((o) => ({ ...o, logged: accepted.get(o.requestId), signalledAt })),
      ).toEqual([]);
      expect(failed.map((o) => status[o.code])).toEqual(failed.map(() => "UNAVAILABLE"));
      expect(failed.some((o) => accepted.has(o.requestId))).toBe(false);
      expect(accepted.size).toBe(succeeded.length);
      expect(succeeded.length).toBeGreaterThan(50);
      // Calls kept being accepted through the delay after SIGTERM, then stopped.
      expect(succeeded.some((o) => o.at > signalledAt + delayMs / 2)).toBe(true);
      expect(failed.every((o) => o.at >= signalledAt)).toBe(true);
      const msgs = server.logs.map((l) => l.msg);
      expect(msgs.indexOf("shutting down")).toBeGreaterThan(-1);
      expect(msgs.at(-1)).toBe("stopped");
    });
  });
}
