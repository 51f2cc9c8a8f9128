/**
 * Concurrency through two server processes on one database (as replicas
 * run): etag races have exactly one winner, a request id creates exactly
 * one memory, and clearing one user never touches another's memories.
 */
import { randomUUID } from "node:crypto";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryClient } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { allBackends } from "../support/backends.js";

const CLIENTS = 16;

for (const storage of allBackends()) {
  const { name } = storage;
  describe.skipIf(storage.unavailable)(`concurrency on ${name}, two replicas`, () => {
    const servers: ServerProcess[] = [];
    const clients: MemoryClient[] = [];

    beforeAll(async () => {
      const url = storage.storageUrl();
      servers.push(...(await Promise.all([0, 1].map(() => spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", url] })))));
      for (let i = 0; i < CLIENTS; i++) clients.push(new MemoryClient(servers[i % 2]!.address));
    });
    afterAll(async () => {
      for (const client of clients) client.close();
      await Promise.all(servers.map((s) => s.stop()));
    });

    it("lets exactly one writer win per etag; the others get ABORTED and the winner's content stays", async () => {
      const userId = `race-${randomUUID()}`;
      let { userMemory: current } = await clients[0]!.create({ userMemory: { userId, memory: "round 0" } });
      for (let round = 1; round <= 5; round++) {
        const base = current!;
        const outcomes = await Promise.all(
          clients.map((client, i) =>
            client.replace({ userMemory: { ...base, memory: `round ${round} by ${i}` } }).then(
              (res) => ({ ok: true as const, memory: res.userMemory! }),
              (err: ServiceError) => ({ ok: false as const, code: err.code }),
            ),
          ),
        );
        const winners = outcomes.filter((o) => o.ok);
        expect(winners, `round ${round}`).toHaveLength(1);
        expect(outcomes.filter((o) => !o.ok).map((o) => !o.ok && status[o.code])).toEqual(Array(CLIENTS - 1).fill("ABORTED"));
        current = winners[0]!.ok ? winners[0]!.memory : undefined;
        const stored = await clients[5]!.get({ userId, memoryId: base.memoryId });
        expect(stored.userMemory).toEqual(current);
      }
    });

    it("creates exactly one memory for one request id sent by many clients at once", async () => {
      const userId = `request-${randomUUID()}`;
      const requestId = randomUUID();
      const responses = await Promise.all(
        clients.map((client) => client.create({ userMemory: { userId, memory: "only once" }, requestId })),
      );
      const ids = new Set(responses.map((r) => r.userMemory!.memoryId));
      expect(ids.size).toBe(1);
      const listed = await clients[3]!.list({ userId });
      expect(listed.userMemories.map((m) => m.memoryId)).toEqual([...ids]);
    });

    it("never lets clearing one user touch another user's memories", async () => {
      const [writer, cleared] = [`kept-${randomUUID()}`, `cleared-${randomUUID()}`];
      await clients[0]!.batchCreate({
        requests: Array.from({ length: 100 }, (_, i) => ({ userMemory: { userId: cleared, memory: `c${i}` } })),
      });
      let deleted = 0;
      await Promise.all([
        ...clients.slice(0, 8).map(async (client, c) => {
          for (let i = 0; i < 25; i++) await client.create({ userMemory: { userId: writer, memory: `w${c}-${i}` } });
        }),
        ...clients.slice(8, 12).map(async (client) => {
          for (let i = 0; i < 20; i++) {
            const { deletedCount } = await client.clear({ userId: cleared });
            deleted += Number(deletedCount);
          }
        }),
      ]);
      expect(deleted).toBe(100);
      const kept = new Set((await clients[1]!.listAll({ userId: writer, pageSize: 100 })).map((m) => m.memory));
      expect(kept.size).toBe(200);
      expect((await clients[2]!.list({ userId: cleared })).userMemories).toEqual([]);
    });
  });
}
