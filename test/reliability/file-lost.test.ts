/**
 * The SQLite file deleted under a running server: writes would go on into
 * a file nobody will open again, and be lost at the next restart. The
 * server must notice (health NOT_SERVING, writes UNAVAILABLE) and say so
 * loudly in its log.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, expect, it } from "vitest";
import { failure, MemoryClient, statusDetails } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { HealthClient } from "../helpers/health.js";
import { tempDir } from "../helpers/temp.js";

const dir = tempDir();
let server: ServerProcess | undefined;
let client: MemoryClient | undefined;
let health: HealthClient | undefined;
afterAll(async () => {
  client?.close();
  health?.close();
  await server?.stop();
});

it("stops serving and refuses writes once its database file is deleted, and logs it as an error", async () => {
  const path = join(dir, "memoryd.db");
  server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${path}`, "--health-probe-interval-ms", "100"] });
  client = new MemoryClient(server.address);
  health = new HealthClient(server.address);
  await client.create({ userMemory: { userId: "u", memory: "written before the file went" } });
  const watch = health.watch("memoryd.v1.MemoryService");
  await watch.until("SERVING");

  for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });

  const refused = await failure(client.create({ userMemory: { userId: "u", memory: "written after" } }));
  expect(refused.code).toBe(status.UNAVAILABLE);
  expect(statusDetails(refused).errorInfo?.reason).toBe("STORAGE_UNAVAILABLE");
  await watch.until("NOT_SERVING");
  const lost = await server.waitForLog((line) => line.msg === "storage lost");
  expect(lost.level).toBe(50); // error
  expect(JSON.stringify(lost.err)).toContain("was deleted or replaced");
  // It stays that way: nothing the server could write there would survive a restart.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await health.check("memoryd.v1.MemoryService")).toBe("NOT_SERVING");
  expect((await failure(client.create({ userMemory: { userId: "u", memory: "still refused" } }))).code).toBe(status.UNAVAILABLE);
  watch.cancel();
});
