/**
 * Crash durability: clients add, replace and delete while the server is
 * killed with SIGKILL at random moments, cycle after cycle. After every
 * restart each acknowledged write must be there and each acknowledged
 * delete gone; a call cut off by the kill may have happened or not, but
 * nothing else may appear, and every row must read back whole.
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { trigramTokens } from "../../src/storage/sqlite/trigram-index.js";
import { parseSqliteUrl } from "../../src/storage/sqlite/url.js";
import { MemoryClient } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { allBackends } from "../support/backends.js";

const CYCLES = 10;
const WRITERS = 4;
/** Ten kill-and-restart cycles: 28-29 s on the busy 2-core machine, so the 30 s default would cut it. */
const CRASH_TIMEOUT_MS = 180_000;

interface Content {
  memory: string;
  topics: string[];
}

/** What a writer knows about one memory: its last acknowledged state, and a write in flight at the kill. */
interface Known {
  acked: Content | undefined; // undefined: acknowledged as deleted, or never acknowledged as created
  inFlight?: { kind: "add" | "replace" | "delete"; content?: Content };
}

function randomContent(): Content {
  const words = ["tea", "coffee", "dark mode", "berlin", "jazz", "'; DROP TABLE memories; --", '{"$gt": ""}', "ünïcödé 🧠"];
  const pick = () => words[Math.floor(Math.random() * words.length)]!;
  return { memory: `${pick()} ${pick()} ${randomUUID()}`, topics: Math.random() < 0.5 ? [pick().slice(0, 10)] : [] };
}

/** Checks one writer's memories against what it knows, then takes what is stored as the new truth. */
async function verify(client: MemoryClient, userId: string, known: Map<string, Known>): Promise<{ checked: number }> {
  const stored = new Map((await client.listAll({ userId })).map((m) => [m.memoryId, m]));
  for (const [memoryId, memory] of stored) {
    expect(known.has(memoryId), `unknown memory ${memoryId} appeared`).toBe(true);
    expect(memory.userId).toBe(userId);
    expect(memory.etag).not.toBe("");
    expect(memory.createTime!.seconds).toBeGreaterThan(0);
  }
  let checked = 0;
  for (const [memoryId, entry] of known) {
    const actual = stored.get(memoryId);
    const actualContent = actual && { memory: actual.memory, topics: actual.topics };
    const allowed: (Content | undefined)[] = [entry.acked];
    if (entry.inFlight?.kind === "add" || entry.inFlight?.kind === "replace") allowed.push(entry.inFlight.content);
    if (entry.inFlight?.kind === "delete") allowed.push(undefined);
    expect(allowed, `memory ${memoryId}`).toContainEqual(actualContent);
    known.set(memoryId, { acked: actualContent });
    checked++;
  }
  return { checked };
}

/** Writes until the server goes away; returns how many writes were acknowledged. */
async function write(client: MemoryClient, userId: string, known: Map<string, Known>, until: () => boolean): Promise<number> {
  let acknowledged = 0;
  while (!until()) {
    const existing = [...known].filter(([, k]) => k.acked);
    const roll = Math.random();
    let memoryId: string;
    let entry: Known;
    try {
      if (existing.length === 0 || roll < 0.5) {
        memoryId = randomUUID();
        const content = randomContent();
        entry = { acked: undefined, inFlight: { kind: "add", content } };
        known.set(memoryId, entry);
        await client.create({ userMemory: { userId, memoryId, ...content } }, { deadlineMs: 5000 });
        known.set(memoryId, { acked: content });
      } else if (roll < 0.8) {
        [memoryId, entry] = existing[Math.floor(Math.random() * existing.length)]!;
        const content = randomContent();
        known.set(memoryId, { acked: entry.acked, inFlight: { kind: "replace", content } });
        await client.replace({ userMemory: { userId, memoryId, ...content } }, { deadlineMs: 5000 });
        known.set(memoryId, { acked: content });
      } else {
        [memoryId, entry] = existing[Math.floor(Math.random() * existing.length)]!;
        known.set(memoryId, { acked: entry.acked, inFlight: { kind: "delete" } });
        await client.delete({ userId, memoryId }, { deadlineMs: 5000 });
        known.set(memoryId, { acked: undefined });
      }
      acknowledged++;
    } catch {
      return acknowledged; // the server was killed; what was in flight stays marked as such
    }
  }
  return acknowledged;
}

for (const storage of allBackends()) {
  const { name } = storage;
  describe.skipIf(storage.unavailable)(`crash durability on ${name}`, () => {
    it(
      `keeps every acknowledged write through ${CYCLES} SIGKILLs at random moments`,
      async () => {
        const url = storage.storageUrl();
        const users = Array.from({ length: WRITERS }, (_, i) => `crash-${name}-${i}-${randomUUID().slice(0, 8)}`);
        const known = users.map(() => new Map<string, Known>());
        let acknowledged = 0;
        let checked = 0;
        const start = () => spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", url] });
        let server: ServerProcess = await start();
        for (let cycle = 0; cycle < CYCLES; cycle++) {
          const clients = users.map(() => new MemoryClient(server.address));
          let killed = false;
          const kill = new Promise<void>((resolve) =>
            setTimeout(
              () => {
                killed = true;
                server.child.kill("SIGKILL");
                resolve();
              },
              150 + Math.random() * 600,
            ),
          );
          const writes = await Promise.all(clients.map((client, i) => write(client, users[i]!, known[i]!, () => killed)));
          await kill;
          await server.exited;
          for (const client of clients) client.close();
          acknowledged += writes.reduce((a, b) => a + b, 0);

          server = await start();
          const verifier = new MemoryClient(server.address);
          for (const [i, userId] of users.entries()) checked += (await verify(verifier, userId, known[i]!)).checked;
          verifier.close();
        }
        expect(await server.stop()).toBe(0);
        if (name === "sqlite") {
          const db = new Database(parseSqliteUrl(url).path, { readonly: true });
          expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
          db.close();
          const fts = new Database(parseSqliteUrl(url).path);
          fts.function("memoryd_trigram_tokens", (u, f) => trigramTokens(String(u), String(f)));
          fts.exec("INSERT INTO memories_trigrams (memories_trigrams) VALUES ('integrity-check')"); // throws when the index is out of step
          fts.close();
        }
        console.log(
          `${name}: ${CYCLES} SIGKILL cycles survived, ${acknowledged} acknowledged writes, ${checked} memory checks, nothing lost`,
        );
        expect(acknowledged).toBeGreaterThan(CYCLES * 10);
      },
      CRASH_TIMEOUT_MS,
    );
  });
}
