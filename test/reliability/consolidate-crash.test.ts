/**
 * Atomic consolidation under SIGKILL: writers add memories and consolidate
 * them (ConsolidateUserMemories: the chosen memories replaced by a summary,
 * what Agno 3's memory optimisation does) while the server is killed at
 * spread-out moments. After each restart a user holds exactly the memories
 * from before the call that was cut off, or exactly those after it; where
 * the backend has transactions, nothing in between. Without transactions
 * (FerretDB) the summary is written before the old memories go, so a cut
 * leaves both, and the test asserts that weaker rule: never neither.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryClient } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { allBackends } from "../support/backends.js";

const CYCLES = 8;
const WRITERS = 3;
/** Kill moments spread over the first 0.8 s of each cycle, so some land inside a consolidation. */
const KILL_SPREAD_MS = 800;
const TIMEOUT_MS = 180_000;

/** A user's memories as id → text. */
type Memories = Map<string, string>;

interface Writer {
  userId: string;
  /** What the server last acknowledged. */
  acked: Memories;
  /** The state the call in flight at the kill would leave, if any. */
  pending?: Memories;
  /** Whether the call in flight is a consolidation (else an add). */
  consolidating: boolean;
  consolidations: number;
}

function describeState(memories: Memories): string {
  return JSON.stringify([...memories].sort());
}

/** The call's result, or undefined once the server has been killed under it. */
async function unlessKilled<T>(call: Promise<T>): Promise<T | undefined> {
  return call.catch(() => undefined);
}

/** Adds two memories, then consolidates everything the user has into one summary, until the server goes away. */
async function write(client: MemoryClient, writer: Writer, until: () => boolean): Promise<void> {
  const call = { deadlineMs: 5000 };
  while (!until()) {
    for (let i = 0; i < 2; i++) {
      const memoryId = randomUUID();
      const memory = `fact ${i} ${randomUUID()}`;
      writer.pending = new Map([...writer.acked, [memoryId, memory]]);
      if (!(await unlessKilled(client.create({ userMemory: { userId: writer.userId, memoryId, memory } }, call)))) return;
      writer.acked = writer.pending;
      writer.pending = undefined;
    }
    const summaryId = randomUUID();
    const summary = `summary of ${writer.acked.size} memories`;
    writer.pending = new Map([[summaryId, summary]]);
    writer.consolidating = true;
    const consolidation = {
      userId: writer.userId,
      memoryIds: [...writer.acked.keys()],
      userMemories: [{ memoryId: summaryId, memory: summary, topics: ["summary"] }],
    };
    const response = await unlessKilled(client.consolidate(consolidation, call));
    if (!response) return; // `pending` says what the cut-off call would have left
    expect(response.deletedCount).toBe(writer.acked.size);
    writer.acked = writer.pending;
    writer.pending = undefined;
    writer.consolidating = false;
    writer.consolidations++;
  }
}

async function stored(client: MemoryClient, userId: string): Promise<Memories> {
  return new Map((await client.listAll({ userId })).map((m) => [m.memoryId, m.memory]));
}

for (const storage of allBackends()) {
  const { name } = storage;
  const atomic = !storage.exceptions.includes("atomic-batch");
  describe.skipIf(storage.unavailable)(`consolidation under SIGKILL on ${name}`, () => {
    it(
      atomic ? "leaves the memories from before or after every cut-off call" : "leaves the old memories or the summary, never neither",
      async () => {
        const url = storage.storageUrl();
        const writers: Writer[] = Array.from({ length: WRITERS }, (_, i) => ({
          userId: `consolidate-crash-${name}-${i}-${randomUUID().slice(0, 8)}`,
          acked: new Map(),
          consolidating: false,
          consolidations: 0,
        }));
        const start = () => spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", url] });
        let server: ServerProcess = await start();
        let cutAdds = 0;
        let cutConsolidations = 0;
        for (let cycle = 0; cycle < CYCLES; cycle++) {
          const clients = writers.map(() => new MemoryClient(server.address));
          let killed = false;
          // Evenly spread kill moments, jittered, so the cut falls at different points of the calls.
          const delay = 100 + ((cycle + Math.random()) / CYCLES) * KILL_SPREAD_MS;
          const kill = new Promise<void>((resolve) =>
            setTimeout(() => {
              killed = true;
              server.child.kill("SIGKILL");
              resolve();
            }, delay),
          );
          await Promise.all(clients.map((client, i) => write(client, writers[i]!, () => killed)));
          await kill;
          await server.exited;
          for (const client of clients) client.close();

          server = await start();
          const reader = new MemoryClient(server.address);
          for (const writer of writers) {
            const actual = await stored(reader, writer.userId);
            const before = writer.acked;
            const after = writer.pending;
            if (after && writer.consolidating) cutConsolidations++;
            else if (after) cutAdds++;
            const isBefore = describeState(actual) === describeState(before);
            const isAfter = after !== undefined && describeState(actual) === describeState(after);
            if (atomic) {
              expect(isBefore || isAfter, `${writer.userId}: ${describeState(actual)}`).toBe(true);
            } else {
              const holds = (subset: Memories) => [...subset].every(([id, text]) => actual.get(id) === text);
              const union = new Map([...before, ...(after ?? [])]);
              expect(holds(before) || (after !== undefined && holds(after)), `${writer.userId} lost both`).toBe(true);
              expect(
                [...actual.keys()].every((id) => union.has(id)),
                `${writer.userId}: unknown memory`,
              ).toBe(true);
            }
            writer.acked = actual;
            writer.pending = undefined;
            writer.consolidating = false;
          }
          reader.close();
        }
        expect(await server.stop()).toBe(0);
        const consolidations = writers.reduce((sum, w) => sum + w.consolidations, 0);
        console.log(
          `${name}: ${CYCLES} SIGKILL cycles, ${consolidations} acknowledged consolidations, calls cut off: ${cutConsolidations} consolidations, ${cutAdds} adds`,
        );
        expect(consolidations).toBeGreaterThan(CYCLES);
      },
      TIMEOUT_MS,
    );
  });
}
