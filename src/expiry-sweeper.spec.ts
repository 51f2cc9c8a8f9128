import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, expect, it } from "vitest";
import { startExpirySweeper, sweepExpired } from "./expiry-sweeper.js";
import { wallClockMicros } from "./storage/clock.js";
import { openStore } from "./storage/open.js";
import { type ListQuery, NO_FILTER } from "./storage/store.js";

const dir = mkdtempSync(join(tmpdir(), "memoryd-sweeper-"));
const store = await openStore(`sqlite://${join(dir, "memoryd.db")}`);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const everything = (userId: string): ListQuery => ({
  userId,
  orderBy: "createTime",
  direction: "oldest",
  filter: { ...NO_FILTER, showExpired: true },
  text: "",
  pageSize: 1000,
  skip: 0,
  after: undefined,
  withTotal: false,
});

async function addMemories(userId: string, expired: number, live: number): Promise<void> {
  const past = wallClockMicros() - 1_000_000;
  const memory = (i: number, expireTime?: number) => ({ userId, memory: `m${i}`, topics: [], labels: {}, expireTime });
  await store.add([
    ...Array.from({ length: expired }, (_, i) => memory(i, past)),
    ...Array.from({ length: live }, (_, i) => memory(expired + i, past + 3_600_000_000)),
  ]);
}

it("removes every expired memory in batches and leaves the others", async () => {
  await addMemories("sweep-batches", 7, 2);
  expect((await store.list(everything("sweep-batches"))).memories).toHaveLength(9);
  expect(await sweepExpired(store, { batchSize: 3, callTimeoutMs: 5_000 })).toBe(7);
  const left = (await store.list(everything("sweep-batches"))).memories;
  expect(left.map((m) => m.memory)).toEqual(["m7", "m8"]);
  expect(await sweepExpired(store, { batchSize: 3, callTimeoutMs: 5_000 })).toBe(0);
});

it("sweeps on its interval until stopped", async () => {
  await addMemories("sweep-interval", 2, 1);
  const stop = startExpirySweeper(store, { intervalMs: 20, batchSize: 10, callTimeoutMs: 5_000 }, pino({ level: "silent" }));
  await expect.poll(async () => (await store.list(everything("sweep-interval"))).memories.length, { timeout: 5_000 }).toBe(1);
  await stop();
  await addMemories("sweep-interval", 1, 0);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect((await store.list(everything("sweep-interval"))).memories).toHaveLength(2);
});
