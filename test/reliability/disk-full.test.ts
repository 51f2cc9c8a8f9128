/**
 * A full disk under SQLite: every write is answered from what happened to
 * it, and health does not flap. The database lives on a small tmpfs this
 * file mounts (it needs root, or a machine that lets it mount: otherwise
 * the cases are skipped with the reason).
 *
 * SQLite rolls back the whole transaction when a write hits SQLITE_FULL,
 * not just the failing statement, so a group commit that shares one
 * transaction among concurrent writes must not report the others as
 * committed (they were rolled back) nor as failed once they have been
 * stored after all.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, StorageFullError } from "../../src/storage/errors.js";
import { openStore } from "../../src/storage/open.js";
import type { MemoryRecord } from "../../src/storage/store.js";
import { failure, MemoryClient, statusDetails } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { HealthClient } from "../helpers/health.js";
import { tempDir } from "../helpers/temp.js";

const root = tempDir("memoryd-diskfull-");

/** Mounts a tmpfs of `size` at a fresh directory; the reason it could not, instead, when mounting is not allowed. */
function mountTmpfs(name: string, size: string): { dir: string } | { unavailable: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { encoding: "utf8" });
  if (mount.status !== 0) return { unavailable: `cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || "").trim()})` };
  afterAll(() => {
    execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
}

const text = (i: number) => `memory ${i}: ${"the quick brown fox jumps over the lazy dog ".repeat(180)}`; // ~8 KB

const storeFs = mountTmpfs("store", "8m");
const serverFs = mountTmpfs("server", "1m");

describe.skipIf("unavailable" in storeFs)(
  `SQLite on a full disk (${"unavailable" in storeFs ? storeFs.unavailable : "tmpfs of 8 MiB"})`,
  () => {
    it("answers every write of a group from what happened to it: acknowledged ones are stored, refused ones are not", async () => {
      const { dir } = storeFs as { dir: string };
      const path = join(dir, "full.db");
      // Room to free afterwards, so the file can be opened and checked once the disk has filled.
      writeFileSync(join(dir, "filler"), Buffer.alloc(1024 * 1024));
      // A small page cache: a large group spills to the WAL before COMMIT, so the disk fills while
      // the transaction is open and SQLite rolls back the whole group at once, not just one write.
      const store = await openStore(`sqlite://${path}?cache_kib=256`);
      const acknowledged: MemoryRecord[] = [];
      const refused: string[] = [];
      const unexpected: unknown[] = [];
      let replaced: MemoryRecord | undefined;
      const add = (memoryIds: string[]) =>
        store.add(memoryIds.map((memoryId, i) => ({ userId: "u", memoryId, memory: text(i), topics: ["t"], labels: {} }))).then(
          (records) => acknowledged.push(...records),
          (err) => (err instanceof StorageFullError ? refused.push(...memoryIds) : unexpected.push(err)),
        );
      // Rounds of concurrent writes, each round one group commit, until the disk refuses writes. Each
      // round starts with a batch larger than the page cache.
      for (let round = 0; round < 50 && refused.length < 400; round++) {
        const writes: Promise<unknown>[] = [add(Array.from({ length: 300 }, (_, i) => `batch-${round}-${i}`))];
        for (let i = 0; i < 6; i++) writes.push(add([`m-${round}-${i}`]));
        if (acknowledged.length > 0) {
          const target = acknowledged[0]!;
          writes.push(
            store
              .replace({ userId: "u", memoryId: target.memoryId, memory: text(-round), topics: [], labels: {}, allowMissing: false })
              .then(
                (record) => (replaced = record),
                (err) => (err instanceof StorageFullError ? undefined : unexpected.push(err)),
              ),
          );
        }
        await Promise.all(writes);
      }
      console.log(
        `full disk, store: ${acknowledged.length} writes acknowledged, ${refused.length} refused (STORAGE_FULL), ${unexpected.length} other outcomes`,
      );
      expect(unexpected).toEqual([]);
      expect(refused.length, "the disk never filled up").toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(0);
      await store.close();
      rmSync(join(dir, "filler"));

      // Read back from the same file after closing: what was acknowledged is there, what was refused is not.
      const reopened = await openStore(`sqlite://${path}`);
      for (const record of acknowledged) {
        const stored = await reopened.get("u", record.memoryId);
        if (record.memoryId === replaced?.memoryId) expect(stored).toEqual(replaced);
        else expect(stored).toEqual(record);
      }
      for (const memoryId of refused) await expect(reopened.get("u", memoryId)).rejects.toBeInstanceOf(NotFoundError);
      await reopened.close();
    });
  },
);

describe.skipIf("unavailable" in serverFs)(
  `memoryd on a full disk (${"unavailable" in serverFs ? serverFs.unavailable : "tmpfs of 1 MiB"})`,
  () => {
    let server: ServerProcess;
    let client: MemoryClient;
    let health: HealthClient;

    beforeAll(async () => {
      const storage = `sqlite://${join((serverFs as { dir: string }).dir, "memoryd.db")}`;
      server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", storage, "--health-probe-interval-ms", "100"] });
      client = new MemoryClient(server.address);
      health = new HealthClient(server.address);
    });
    afterAll(async () => {
      client?.close();
      health?.close();
      await server?.stop();
    });

    it("answers writes RESOURCE_EXHAUSTED with STORAGE_FULL, keeps serving reads, and health does not flap", async () => {
      const watch = health.watch("memoryd.v1.MemoryService");
      await watch.until("SERVING");
      const codes = new Map<string, number>();
      const started = Date.now();
      let i = 0;
      let firstStored: string | undefined;
      // Five seconds of writes, most of them into a full disk.
      while (Date.now() - started < 5000) {
        const calls = Array.from({ length: 4 }, () =>
          client.create({ userMemory: { userId: "u", memory: text(i++) } }).then(
            ({ userMemory }) => {
              firstStored ??= userMemory!.memoryId;
              return "OK";
            },
            (err) => {
              if (err.code === status.RESOURCE_EXHAUSTED)
                expect(statusDetails(err).errorInfo).toMatchObject({ reason: "STORAGE_FULL", domain: "memoryd.dev" });
              return status[err.code]!;
            },
          ),
        );
        for (const code of await Promise.all(calls)) codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      console.log(
        `full disk, server: 5 s of writes answered ${JSON.stringify(Object.fromEntries(codes))}; health statuses seen: ${watch.seen.join(", ")}`,
      );
      expect([...codes.keys()].sort()).toEqual(["OK", "RESOURCE_EXHAUSTED"]);
      expect(codes.get("RESOURCE_EXHAUSTED")).toBeGreaterThan(10);
      // A full disk does not make the database unreachable: reads go on, health stays SERVING.
      expect((await client.get({ userId: "u", memoryId: firstStored! })).userMemory?.memoryId).toBe(firstStored);
      expect(watch.seen).toEqual(["SERVING"]);
      expect(server.logs.filter((line) => line.msg === "storage unreachable" || line.msg === "storage reachable")).toEqual([]);
      watch.cancel();
      const err = await failure(client.create({ userMemory: { userId: "u", memory: text(0) } }));
      expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    });
  },
);
