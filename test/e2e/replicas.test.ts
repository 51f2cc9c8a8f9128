/**
 * Several memoryd processes on one shared database, as replicas behind a
 * load balancer: started at the same moment (so their migrations race),
 * each sees what the others write.
 */
import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { failure, MemoryClient } from "../helpers/client.js";
import { type ServerProcess, spawnServer } from "../helpers/process.js";
import { type BackendName, backend } from "../support/backends.js";

for (const name of ["postgres", "mongodb"] as BackendName[]) {
  const shared = backend(name);
  describe.skipIf(shared.unavailable)(`two memoryd replicas on one ${name} database`, () => {
    const replicas: ServerProcess[] = [];
    const clients: MemoryClient[] = [];
    afterAll(async () => {
      for (const client of clients) client.close();
      await Promise.all(replicas.map((replica) => replica.stop()));
    });

    it("reads through one replica what another wrote, with etags and pages that work across them", async () => {
      const storage = shared.storageUrl();
      replicas.push(
        ...(await Promise.all([0, 1].map(() => spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", storage] })))),
      );
      const [a, b] = replicas.map((replica) => new MemoryClient(replica.address));
      clients.push(a!, b!);

      const userId = `replica-${randomUUID()}`;
      const { userMemory: written } = await a!.add({ userMemory: { userId, memory: "written through replica A", topics: ["x"] } });
      expect((await b!.get({ userId, memoryId: written!.memoryId })).userMemory).toEqual(written);

      const { userMemory: replaced } = await b!.replace({ userMemory: { ...written!, memory: "replaced through replica B" } });
      const stale = await failure(a!.replace({ userMemory: { ...written!, memory: "stale etag from A" } }));
      expect(stale.code).toBe(status.ABORTED);
      expect((await a!.get({ userId, memoryId: written!.memoryId })).userMemory).toEqual(replaced);

      for (let i = 0; i < 4; i++) await (i % 2 ? a! : b!).add({ userMemory: { userId, memory: `m${i}` } });
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
  });
}
