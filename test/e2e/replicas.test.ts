/**
 * Several memoryd processes on one shared database, as replicas behind a
 * load balancer: started at the same moment (so their migrations race),
 * each sees what the others write.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { failure, MemoryClient } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { allBackends } from "../support/backends.js";

const CLOCK_SKEW = join(import.meta.dirname, "..", "support", "clock-skew.mjs");

// Replicas share a database server (concurrency.test.ts runs two processes on one SQLite file).
for (const shared of allBackends().filter((b) => b.name !== "sqlite")) {
  const { name } = shared;
  describe.skipIf(shared.unavailable)(`two memoryd replicas on one ${name} database`, () => {
    const replicas: ServerProcess[] = [];
    const clients: MemoryClient[] = [];
    afterAll(async () => {
      for (const client of clients) client.close();
      await Promise.all(replicas.map((replica) => replica.stop()));
    });

    it("reads through one replica what another wrote, with etags and pages that work across them", async () => {
      const storage = shared.storageUrl();
      // Replica B's clock runs 200 ms behind A's, as clocks of different hosts may.
      const skews = [0, -200];
      replicas.push(
        ...(await Promise.all(
          skews.map((skew) =>
            spawnServer({
              args: ["--listen", "127.0.0.1:0", "--storage", storage],
              env: { NODE_OPTIONS: `--import ${CLOCK_SKEW}`, MEMORYD_TEST_CLOCK_SKEW_MS: String(skew) },
            }),
          ),
        )),
      );
      const [a, b] = replicas.map((replica) => new MemoryClient(replica.address));
      clients.push(a!, b!);

      const userId = `replica-${randomUUID()}`;
      const { userMemory: written } = await a!.create({ userMemory: { userId, memory: "written through replica A", topics: ["x"] } });
      expect((await b!.get({ userId, memoryId: written!.memoryId })).userMemory).toEqual(written);

      const { userMemory: replaced } = await b!.replace({ userMemory: { ...written!, memory: "replaced through replica B" } });
      const stale = await failure(a!.replace({ userMemory: { ...written!, memory: "stale etag from A" } }));
      expect(stale.code).toBe(status.ABORTED);
      expect((await a!.get({ userId, memoryId: written!.memoryId })).userMemory).toEqual(replaced);

      for (let i = 0; i < 4; i++) await (i % 2 ? a! : b!).create({ userMemory: { userId, memory: `m${i}` } });
      const first = await a!.list({ userId, pageSize: 3 });
      const second = await b!.list({ userId, pageSize: 3, pageToken: first.nextPageToken });
      expect([...first.userMemories, ...second.userMemories].map((m) => m.memory)).toEqual([
        "m3",
        "m2",
        "m1",
        "m0",
        "replaced through replica B",
      ]);
      expect(second.nextPageToken).toBe("");
    });

    it("orders a user's memories by the order of writes, whichever replica took them, whatever its clock says", async () => {
      const [a, b] = clients;
      const userId = `order-${randomUUID()}`;
      // Alternating replicas whose clocks are 200 ms apart, with client-chosen ids that sort
      // against the order of writing (so that equal times would come out wrong too).
      const written: string[] = [];
      for (let i = 0; i < 60; i++) {
        const memoryId = `m-${String(999 - i).padStart(3, "0")}`;
        await (i % 2 ? a! : b!).create({ userMemory: { userId, memoryId, memory: `write ${i}` } });
        written.push(memoryId);
      }
      const listed = await a!.listAll({ userId, orderBy: "create_time" });
      expect(listed.map((m) => m.memoryId)).toEqual(written);
      // Replaces through alternating replicas: the most recently replaced comes first by update_time desc (Agno's last_n).
      const replacedOrder = [...written].reverse().slice(0, 20);
      for (const [i, memoryId] of replacedOrder.entries()) {
        await (i % 2 ? b! : a!).replace({ userMemory: { userId, memoryId, memory: `replaced ${i}` } });
      }
      const lastN = await b!.search({ userId, pageSize: 20, orderBy: "update_time desc" });
      expect(lastN.userMemories.map((m) => m.memoryId)).toEqual([...replacedOrder].reverse());
    });
  });
}
