/**
 * grpc.health.v1 driven by storage and shutdown, against the real process
 * and a PostgreSQL cluster this file starts and stops itself.
 */
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure, MemoryClient } from "../../testkit/client.js";
import { findPostgresBin, PostgresCluster } from "../../testkit/postgres.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { HealthClient } from "../helpers/health.js";

const bin = await findPostgresBin();

describe.skipIf(!bin)(`health follows storage and shutdown (PostgreSQL ${bin ? "available" : "binaries not found"})`, () => {
  let cluster: PostgresCluster;
  let server: ServerProcess;
  let health: HealthClient;
  let client: MemoryClient;

  beforeAll(async () => {
    cluster = await PostgresCluster.create(bin!);
    await cluster.stop(); // memoryd starts before its database
  });
  afterAll(async () => {
    health?.close();
    client?.close();
    await server?.stop("SIGKILL");
    await cluster?.destroy();
  });

  it("is NOT_SERVING until storage opens, while liveness is SERVING from the start", async () => {
    server = await spawnServer({
      until: "listening",
      args: ["--listen", "127.0.0.1:0", "--storage", `${cluster.url()}?connect_timeout_ms=500`, "--health-probe-interval-ms", "200"],
    });
    health = new HealthClient(server.address);
    client = new MemoryClient(server.address);
    const watch = health.watch("memoryd.v1.MemoryService");
    expect(await health.check("")).toBe("NOT_SERVING");
    expect(await health.check("memoryd.v1.MemoryService")).toBe("NOT_SERVING");
    expect(await health.check("liveness")).toBe("SERVING");
    const early = await failure(client.get({ userId: "u", memoryId: "m" }));
    expect(early.code).toBe(status.UNAVAILABLE);

    await cluster.start();
    await server.waitForLog((line) => line.msg === "memoryd serving", 20_000);
    await watch.until("SERVING");
    expect(await health.check("")).toBe("SERVING");
    await client.create({ userMemory: { userId: "u", memory: "stored once the database came up" } });
    expect(watch.seen[0]).toBe("NOT_SERVING");
    watch.cancel();
  });

  it("goes NOT_SERVING while the database is down and SERVING again when it returns, in the same process", async () => {
    const watch = health.watch("");
    await watch.until("SERVING");
    await cluster.stop();
    await watch.until("NOT_SERVING");
    expect(await health.check("liveness")).toBe("SERVING");
    const during = await failure(client.list({ userId: "u" }));
    expect(during.code).toBe(status.UNAVAILABLE);

    await cluster.start();
    await watch.until("SERVING");
    expect((await client.list({ userId: "u" })).userMemories.map((m) => m.memory)).toEqual(["stored once the database came up"]);
    watch.cancel();
  });

  it("turns NOT_SERVING as the first step of shutdown, then exits 0", async () => {
    const watch = health.watch("memoryd.v1.MemoryService");
    await watch.until("SERVING");
    server.child.kill("SIGTERM");
    await watch.until("NOT_SERVING");
    expect(await server.exited).toBe(0);
    const lines = server.logs.map((line) => line.msg);
    expect(lines.indexOf("shutting down")).toBeLessThan(lines.indexOf("stopped"));
    // Open Watch streams are ended by the drain instead of holding it for the whole grace period.
    expect(lines).not.toContain("in-flight calls outlived the shutdown grace period; cancelling them");
  });
});
