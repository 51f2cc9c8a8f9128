/**
 * The soak run and its pass/fail rules, importable: `bench/soak.ts` is the
 * command line around {@link runSoak}, and test/reliability/soak-leak.test.ts
 * runs the same code on a healthy and on a deliberately leaking server.
 *
 * What it measures, and why (a leak check that fails on a healthy build is
 * a defect, so each figure is one that only a leak moves):
 *
 * - Retained memory, read inside the server after full garbage collections
 *   (bench/heap-probe.mjs, preloaded with `node --expose-gc --import` and
 *   asked over an IPC channel; nothing in src/ knows of it): V8's heap plus
 *   the Buffers it accounts for, less compiled code (see {@link retained}).
 *   Resident memory (RSS) mostly follows how large V8 lets its heap grow
 *   between collections, which depends on load, CPU contention and time
 *   (a healthy 400,000-call run: +13% between the halves' medians): it is
 *   printed, as information, not judged.
 * - At fixed call counts, not times: a warm-up of `warmupCalls` calls
 *   (caches, JIT, pools), then `checkpoints` points evenly spaced up to
 *   `calls`. At each point every worker stops, so no call is in flight, the
 *   server's log output drains, the server collects garbage and reports,
 *   then the load resumes. A slow or busy machine takes longer but
 *   measures the same work.
 * - Growth per call, as the Theil–Sen slope of retained memory against
 *   calls over the checkpoints (the median of the slopes between every
 *   pair of points): one odd checkpoint (a pool connection or a timer's
 *   garbage coming or going) moves it little, whereas a leak raises every
 *   pair. It fails when the slope is above {@link LIMITS.heapBytesPerCall}
 *   AND the growth it implies over the measured calls is above
 *   {@link LIMITS.heapNoiseFloorBytes}. The slope keeps the rule
 *   independent of the run's length; the floor keeps a short run from
 *   failing on the ±0.2 MiB a healthy heap wanders by between checkpoints.
 *   Measured on 2 busy cores: healthy servers at 1.0–5.2 B/call over
 *   75,000 calls after 25,000 of warm-up (up to 22 B/call, 0.2 MiB, over
 *   the test's 10,000), still settling for the first 150,000 calls or so;
 *   keeping each request message (test/support/leak-requests.mjs) 415–445
 *   B/call. 32 B/call is less than any request message the server could
 *   keep (the smallest, a get's two ids, takes over 100 bytes).
 * - File descriptors (from /proc) at most a fixed number above those at the
 *   end of warm-up; database connections never above the pool's maximum,
 *   as the server's pool gauge reports them and, on PostgreSQL, as the
 *   database itself counts them (pg_stat_activity, by application_name).
 */
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import type { HeapCodeStatistics } from "node:v8";
import { type ServiceError, status } from "@grpc/grpc-js";
import pg from "pg";
import { MemoryClient } from "../testkit/client.js";
import { repositoryRoot } from "../testkit/paths.js";
import { type ServerProcess, spawnServer } from "../testkit/server-process.js";
import { rssBytes } from "./process.js";
import type { BackendName } from "./storage.js";

/** Preloaded into the server: answers heap requests over IPC after full collections. */
export const HEAP_PROBE = join(repositoryRoot(), "bench", "heap-probe.mjs");

/** The gate's bounds; see the module comment for why these figures. */
export const LIMITS = {
  /** Retained heap may grow by at most this much per call (Theil–Sen slope over the checkpoints)... */
  heapBytesPerCall: 32,
  /** ...unless the growth that slope implies over the measured calls stays under this noise floor. */
  heapNoiseFloorBytes: 2 ** 20,
  /** Open file descriptors above those at the end of warm-up. */
  extraFds: 16,
};

export interface SoakOptions {
  backend: BackendName;
  /** Storage URL; for PostgreSQL and MongoDB the pool size and a connection tag are appended. */
  storage: string;
  /** Calls in all, warm-up included. */
  calls: number;
  /** Calls before the first checkpoint. */
  warmupCalls: number;
  /** Checkpoints after warm-up (evenly spaced up to `calls`). */
  checkpoints: number;
  /** Calls in flight. */
  concurrency: number;
  /** Pool size the server is started with (PostgreSQL pool_max, MongoDB maxPoolSize), and the connections bound. */
  poolMax: number;
  /** More modules for the server to preload (`node --import`): the leaking build of the test. */
  serverImports?: string[];
  /** Registers what has to be stopped; called before anything is started. */
  cleanups: (() => unknown)[];
  /** Progress lines (one per checkpoint). */
  log?: (line: string) => void;
}

/** One reading under load (every second), for the descriptor and connection bounds and for RSS. */
export interface Sample {
  atS: number;
  rssMiB: number;
  fds: number;
  /** Open connections of the server's pool, as its gauge says (0 when the backend has no pool). */
  poolOpen: number;
  /** Connections the database counts for this server (PostgreSQL only). */
  dbConnections?: number;
}

/** A reading at a fixed call count, with no call in flight, after full garbage collections. */
export interface Checkpoint extends Sample {
  calls: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** Compiled code and bytecode with their metadata: part of heapUsedBytes. */
  codeBytes: number;
}

export interface Check {
  id: "errors" | "heap" | "fds" | "connections";
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakResult {
  options: Omit<SoakOptions, "cleanups" | "log" | "storage">;
  calls: number;
  counts: Record<string, number>;
  seconds: number;
  unexpected: string[];
  /** The first is before any load, the second at the end of warm-up. */
  checkpoints: Checkpoint[];
  samples: Sample[];
  heap: HeapTrend;
  checks: Check[];
  passed: boolean;
}

export interface HeapTrend {
  /** Theil–Sen slope of retained heap over calls, after warm-up. */
  bytesPerCall: number;
  /** What that slope implies over the measured calls. */
  growthBytes: number;
  /** Retained heap at the end of warm-up and at the last checkpoint. */
  firstBytes: number;
  lastBytes: number;
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
/** MiB with two decimals: the heap's noise is a tenth of one. */
const MiB2 = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

/** Median of the pairwise slopes (Theil–Sen): robust to a minority of odd points. */
export function theilSen(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  slopes.sort((a, b) => a - b);
  const mid = slopes.length / 2;
  return slopes.length === 0 ? Number.NaN : slopes.length % 2 ? slopes[Math.floor(mid)]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

/**
 * What the server retains after full collections: V8's heap plus the
 * memory outside it that V8 accounts for (Buffers, ArrayBuffers), so a
 * leak of either counts, less compiled code and bytecode. Those follow the
 * JIT, not the calls: they grow as functions are optimised (about 0.5 MiB
 * over the first 20,000 calls, still creeping after) and drop when V8
 * flushes the bytecode of functions that sat out a few collections (which
 * the probe's own collections bring about). Objects a leak creates are
 * data, and still counted.
 */
export const retained = (c: Checkpoint) => c.heapUsedBytes + c.externalBytes - c.codeBytes;

/** The retained-memory trend over the checkpoints from the end of warm-up on. */
export function heapTrend(measured: readonly Checkpoint[]): HeapTrend {
  const bytesPerCall = theilSen(measured.map((c) => ({ x: c.calls, y: retained(c) })));
  return {
    bytesPerCall,
    growthBytes: bytesPerCall * (measured.at(-1)!.calls - measured[0]!.calls),
    firstBytes: retained(measured[0]!),
    lastBytes: retained(measured.at(-1)!),
  };
}

/** The pass/fail rules, on what a run recorded. */
export function judge(
  run: { unexpected: string[]; checkpoints: Checkpoint[]; samples: Sample[] },
  poolMax: number,
): { heap: HeapTrend; checks: Check[] } {
  const measured = run.checkpoints.slice(1); // from the end of warm-up on
  const heap = heapTrend(measured);
  const base = measured[0]!;
  const after = [...measured, ...run.samples.filter((s) => s.atS >= base.atS)];
  const maxFds = Math.max(...after.map((s) => s.fds));
  const all = [...run.checkpoints, ...run.samples];
  const maxPool = Math.max(...all.map((s) => s.poolOpen));
  const dbCounts = all.flatMap((s) => (s.dbConnections === undefined ? [] : [s.dbConnections]));
  const maxDb = dbCounts.length ? Math.max(...dbCounts) : undefined;
  const heapOk = heap.bytesPerCall <= LIMITS.heapBytesPerCall || heap.growthBytes <= LIMITS.heapNoiseFloorBytes;
  const checks: Check[] = [
    {
      id: "errors",
      name: "no unexpected errors",
      ok: run.unexpected.length === 0,
      detail: `${run.unexpected.length} ${run.unexpected.slice(0, 3).join(" | ")}`,
    },
    {
      id: "heap",
      name: `retained memory after full GC not growing (≤ ${LIMITS.heapBytesPerCall} B/call, or ≤ ${MiB(LIMITS.heapNoiseFloorBytes)} MiB over the run)`,
      ok: heapOk,
      detail:
        `${heap.bytesPerCall.toFixed(1)} B/call (Theil–Sen over ${measured.length} checkpoints, ${base.calls}–${measured.at(-1)!.calls} calls), ` +
        `${MiB2(heap.growthBytes)} MiB implied; ${MiB2(heap.firstBytes)} → ${MiB2(heap.lastBytes)} MiB measured`,
    },
    {
      id: "fds",
      name: `open file descriptors bounded (≤ ${LIMITS.extraFds} above warm-up)`,
      ok: maxFds <= base.fds + LIMITS.extraFds,
      detail: `${base.fds} at the end of warm-up, max ${maxFds} after`,
    },
    {
      id: "connections",
      name: "database connections within the pool",
      ok: maxPool <= poolMax && (maxDb === undefined || maxDb <= poolMax),
      detail: `pool gauge max ${maxPool} open${maxDb === undefined ? "" : `, the database counted max ${maxDb}`} (pool max ${poolMax})`,
    },
  ];
  return { heap, checks };
}

/** The figures as printed lines: the checkpoints, RSS as information, then the checks. */
export function formatSoak(result: SoakResult): string[] {
  const { options, calls, seconds } = result;
  const lines = [
    `soak ${options.backend}: ${calls} calls (${options.warmupCalls} warm-up) in ${seconds.toFixed(1)} s (${Math.round(calls / seconds)}/s), ` +
      `${options.concurrency} in flight ${JSON.stringify(result.counts)}`,
    `    calls   after full GC: heap + external - code = retained    rss         fds  pool${result.checkpoints.some((c) => c.dbConnections !== undefined) ? "  db" : ""}`,
  ];
  for (const c of result.checkpoints) {
    lines.push(
      `  ${String(c.calls).padStart(7)}  ${MiB(c.heapUsedBytes).toFixed(1).padStart(19)} + ${MiB(c.externalBytes).toFixed(1).padStart(8)} - ` +
        `${MiB(c.codeBytes).toFixed(1).padStart(4)} = ` +
        `${MiB2(retained(c)).padStart(8)} MiB  ${c.rssMiB.toFixed(1).padStart(6)} MiB  ${String(c.fds).padStart(4)}  ${String(c.poolOpen).padStart(4)}` +
        (c.dbConnections === undefined ? "" : `  ${String(c.dbConnections).padStart(2)}`),
    );
  }
  const loaded = result.samples.filter((s) => s.atS >= result.checkpoints[1]!.atS);
  if (loaded.length > 0) {
    const rss = loaded.map((s) => s.rssMiB);
    const half = Math.ceil(rss.length / 2);
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    lines.push(
      `  RSS under load after warm-up (information, not a check): median ${median(rss.slice(0, half))} MiB in the first half, ` +
        `${median(rss.slice(half))} MiB in the second, max ${Math.max(...rss)} MiB`,
    );
  }
  for (const c of result.checks) lines.push(`${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  return lines;
}

function withParam(url: string, param: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${param}`;
}

/** A pg connection string for watching the database: memoryd's own URL parameters removed. */
function observerUrl(storage: string): string {
  const url = new URL(storage);
  for (const param of ["schema", "pool_max", "connect_timeout_ms", "application_name"]) url.searchParams.delete(param);
  url.searchParams.set("application_name", "memoryd-soak-observer");
  return url.toString();
}

type ProbeAnswer = NodeJS.MemoryUsage & HeapCodeStatistics;

/** Asks the heap probe in `server` for its memory after full collections. */
function probeHeap(server: ServerProcess, id: number): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error("the heap probe did not answer in 60 s")), 60_000);
    const onMessage = (message: { type?: string; id?: number } & ProbeAnswer) => {
      if (message?.type === "heap-probe" && message.id === id) done(undefined, message);
    };
    const onExit = () => done(new Error(`the server exited: ${server.stderr()}`));
    const done = (err?: Error, usage?: ProbeAnswer) => {
      clearTimeout(timer);
      server.child.off("message", onMessage);
      server.child.off("exit", onExit);
      if (err) reject(err);
      else resolve(usage!);
    };
    server.child.on("message", onMessage);
    server.child.once("exit", onExit);
    server.child.send({ type: "heap-probe", id });
  });
}

/** Starts the server with the heap probe, runs the mix of every RPC to `calls`, and judges it. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { cleanups } = options;
  const log = options.log ?? (() => {});
  if (!(options.warmupCalls > 0 && options.calls > options.warmupCalls && options.checkpoints >= 2)) {
    throw new Error("need warm-up calls > 0, calls > warm-up calls and at least 2 checkpoints");
  }
  const tag = `memoryd-soak-${randomUUID().slice(0, 8)}`;
  let storage = options.storage;
  if (options.backend === "postgres") storage = withParam(storage, `pool_max=${options.poolMax}&application_name=${tag}`);
  if (options.backend === "mongodb") storage = withParam(storage, `maxPoolSize=${options.poolMax}`);
  const preloads = [HEAP_PROBE, ...(options.serverImports ?? [])].flatMap((m) => ["--import", pathToFileURL(m).href]);
  // Production logging (a line per call) stays on; the lines are dropped unread.
  const server = await spawnServer({
    args: ["--listen", "127.0.0.1:0", "--storage", storage, "--metrics-listen", "127.0.0.1:0"],
    nodeArgs: ["--expose-gc", ...preloads],
    ipc: true,
    keepCallLogs: false,
  });
  cleanups.unshift(() => server.stop());
  let observer: pg.Client | undefined;
  if (options.backend === "postgres") {
    observer = new pg.Client({ connectionString: observerUrl(options.storage) });
    await observer.connect();
    cleanups.unshift(() => observer!.end().catch(() => {}));
  }
  const metricsPort = server.logs.find((l) => l.msg === "memoryd listening")!.metricsPort as number;
  const pid = server.child.pid!;
  const started = Date.now();
  const sample = async (): Promise<Sample> => {
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const db =
      observer && (await observer.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [tag]));
    return {
      atS: Math.round((Date.now() - started) / 100) / 10,
      rssMiB: MiB(rssBytes(pid)),
      fds: readdirSync(`/proc/${pid}/fd`).length,
      poolOpen: Number(/^memoryd_storage_pool_connections\{state="open"\} (\d+)/m.exec(metrics)?.[1] ?? 0),
      ...(db ? { dbConnections: Number(db.rows[0]!.n) } : {}),
    };
  };
  // The server's log lines (one per call) wait in a buffer until written,
  // at least every 200 ms, and the pipe is read by this busy process: wait
  // until it has been silent for a while (at most 5 s), so that no backlog
  // of lines is counted as heap.
  let lastOutput = Date.now();
  server.child.stdout!.on("data", () => (lastOutput = Date.now()));
  const drained = async () => {
    const giveUpAt = Date.now() + 5000;
    while (Date.now() - lastOutput < 300 && Date.now() < giveUpAt) await sleep(50);
  };
  const checkpoint = async (calls: number): Promise<Checkpoint> => {
    await drained();
    const usage = await probeHeap(server, calls);
    return {
      calls,
      ...(await sample()),
      heapUsedBytes: usage.heapUsed,
      externalBytes: usage.external,
      codeBytes: usage.code_and_metadata_size + usage.bytecode_and_metadata_size,
    };
  };

  const counts: Record<string, number> = {};
  const unexpected: string[] = [];
  const clients = Array.from({ length: 4 }, () => new MemoryClient(server.address));
  cleanups.unshift(() => {
    for (const c of clients) c.close();
  });
  let issued = 0;

  // Each worker owns one user, so its etags never race: any error is unexpected.
  const workers = Array.from({ length: options.concurrency }, (_, w) => ({
    client: clients[w % clients.length]!,
    userId: `soak-${w}-${randomUUID().slice(0, 8)}`,
    mine: new Map<string, string>(), // memory id -> etag
  }));
  const text = () => `soak memory ${randomUUID()} about ${["tea", "dark mode", "berlin", "jazz"][Math.floor(Math.random() * 4)]}`;
  /** Runs the worker's calls until `issued` reaches `until`; then it stops, so at `until` no call is in flight. */
  const work = async ({ client, userId, mine }: (typeof workers)[number], until: number) => {
    const any = () => [...mine.keys()][Math.floor(Math.random() * mine.size)]!;
    while (issued < until) {
      issued++;
      const roll = Math.random();
      const op =
        mine.size === 0 || roll < 0.3
          ? "add"
          : roll < 0.5
            ? "get"
            : roll < 0.6
              ? "list"
              : roll < 0.7
                ? "search"
                : roll < 0.82
                  ? "replace"
                  : roll < 0.9
                    ? "delete"
                    : roll < 0.98
                      ? "batch"
                      : "clear";
      try {
        if (op === "add") {
          const { userMemory } = await client.create({ userMemory: { userId, memory: text(), topics: ["soak"] }, requestId: randomUUID() });
          mine.set(userMemory!.memoryId, userMemory!.etag);
        } else if (op === "get") await client.get({ userId, memoryId: any() });
        else if (op === "list") {
          const page = await client.list({ userId, pageSize: 20 });
          if (page.nextPageToken) await client.list({ userId, pageSize: 20, pageToken: page.nextPageToken });
        } else if (op === "search") await client.search({ userId, query: "DARK", pageSize: 10 });
        else if (op === "replace") {
          const memoryId = any();
          const { userMemory } = await client.replace({ userMemory: { userId, memoryId, memory: text(), etag: mine.get(memoryId) } });
          mine.set(memoryId, userMemory!.etag);
        } else if (op === "delete") {
          const memoryId = any();
          await client.delete({ userId, memoryId, etag: mine.get(memoryId) });
          mine.delete(memoryId);
        } else if (op === "batch") {
          const { userMemories } = await client.batchCreate({
            requests: Array.from({ length: 5 }, () => ({ userMemory: { userId, memory: text() } })),
          });
          for (const m of userMemories) mine.set(m.memoryId, m.etag);
        } else {
          await client.clear({ userId });
          mine.clear();
        }
        counts[op] = (counts[op] ?? 0) + 1;
      } catch (err) {
        unexpected.push(`${op}: ${status[(err as ServiceError).code]} ${(err as ServiceError).details}`);
      }
    }
  };

  const samples: Sample[] = [];
  let loading = true;
  const sampler = (async () => {
    while (loading) {
      samples.push(await sample());
      await sleep(1000);
    }
  })().catch((err: Error) => err);
  const span = options.calls - options.warmupCalls;
  const points = [
    options.warmupCalls,
    ...Array.from({ length: options.checkpoints }, (_, i) => options.warmupCalls + Math.round((span * (i + 1)) / options.checkpoints)),
  ];
  const checkpoints = [await checkpoint(0)];
  try {
    for (const until of points) {
      await Promise.all(workers.map((w) => work(w, until)));
      checkpoints.push(await checkpoint(until));
      const c = checkpoints.at(-1)!;
      log(`  ${until} calls, ${c.atS} s: retained after full GC ${MiB2(retained(c))} MiB, rss ${c.rssMiB} MiB, fds ${c.fds}`);
    }
  } finally {
    loading = false;
  }
  const samplerError = await sampler;
  if (samplerError) throw samplerError;
  const seconds = (Date.now() - started) / 1000;
  const { heap, checks } = judge({ unexpected, checkpoints, samples }, options.poolMax);
  const { cleanups: _c, log: _l, storage: _s, ...shown } = options;
  return {
    options: shown,
    calls: issued,
    counts,
    seconds,
    unexpected: unexpected.slice(0, 20),
    checkpoints,
    samples,
    heap,
    checks,
    passed: checks.every((c) => c.ok),
  };
}
