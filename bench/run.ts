/**
 * `npm run bench`: throughput and latency of memoryd's RPCs against the
 * ceiling of the same gRPC server with no-op handlers, measured in the same
 * run. See the README's "Performance" section for the figures and commands.
 *
 * The server (bench/server.ts) runs in its own process; several client
 * processes (bench/worker.ts) keep a fixed number of calls in flight, since
 * one Node client process saturates a core before the server does. For each
 * RPC the real method and its no-op twin are driven with the same requests,
 * one after the other, and the ratio of their throughputs is printed.
 *
 * `--rpcs noisy` adds the noisy-neighbour scenario (see `noisyNeighbours`):
 * other tenants' latency while one tenant runs the worst searches the API
 * allows, beside the same tenants' latency with nobody else.
 */
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { Command, Option } from "commander";
import {
  BatchCreateUserMemoriesRequest,
  BatchCreateUserMemoriesResponse,
  CreateUserMemoryRequest,
  GetUserMemoryRequest,
  ListUserMemoriesRequest,
  ListUserMemoriesResponse,
  SearchUserMemoriesRequest,
} from "../gen/ts/memoryd/v1/memory_service.js";
import { type BackendName, TEST_BACKENDS } from "../testkit/backends.js";
import { prng } from "../testkit/prng.js";
import { goTool } from "../testkit/tools.js";
import { longMemoryText, MAX_QUERY_BYTES, worstQueries } from "./noisy.js";
import { NOOP_SERVICE } from "./noop.js";
import { cleanUpOnInterrupt, RESULTS_DIR, ROOT, rssBytes } from "./process.js";
import { benchStorage } from "./storage.js";
import type { CallResult, WorkerCalls, WorkerResult, WorkerTask } from "./worker.js";

// add comes last: it grows the target user the others read.
const RPCS = ["get", "list", "list-filtered", "list-deep", "search", "search-rare", "add"] as const;
type Rpc = (typeof RPCS)[number];
/** Scenarios that `--rpcs` selects besides the RPCs, run after them; not in the default selection. */
const SCENARIOS = ["noisy"] as const;
/** The other tenants' calls in the noisy-neighbour scenario, made in turn. */
const MIX = ["get", "list", "add"] as const;

interface Options {
  backend: BackendName;
  storage?: string;
  storageParams?: string;
  duration: number;
  warmup: number;
  concurrency: number;
  workers: number;
  users: number;
  memoriesPerUser: number;
  targetMemories: number;
  rpcs: string;
  rounds: number;
  out?: string;
  baseline?: string;
  cpuProf: boolean;
  ghz: boolean;
  noisyMemories: number;
  noisyMemoryBytes: number;
  noisyClients: number;
  mixInFlight: number;
  mix: string;
}

/** A descriptor set of bench/proto with proto/, built by buf into a temporary directory. */
function noopProtoset(): string {
  const dir = mkdtempSync(join(tmpdir(), "memoryd-bench-proto-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, "proto"), dir, { recursive: true });
  cpSync(join(ROOT, "bench", "proto"), dir, { recursive: true });
  execFileSync(join(ROOT, "node_modules", ".bin", "buf"), ["build", dir, "--output", join(dir, "noop.binpb")]);
  return join(dir, "noop.binpb");
}

const program = new Command("bench")
  .description("measure memoryd's RPCs against a no-op handler on the same server")
  .addOption(new Option("--backend <name>", "storage backend").choices(TEST_BACKENDS.map((b) => b.name)).default("sqlite"))
  .option("--storage <url>", "storage URL instead of a fresh database (POSTGRES_URL / MONGODB_URL are honoured too)")
  .option(
    "--storage-params <params>",
    "URL parameters added to the storage URL, fresh or given: readers=0 runs SQLite's searches on the event loop",
  )
  .option("--duration <s>", "measured seconds per round, for the RPC and for its ceiling each", Number, 5)
  .option("--warmup <s>", "unmeasured seconds before each measurement", Number, 2)
  .option("--concurrency <n>", "calls in flight, over all client processes", Number, 64)
  .option("--workers <n>", "client processes", Number, 2)
  .option("--users <n>", "background users", Number, 100)
  .option("--memories-per-user <n>", "memories of each background user", Number, 100)
  .option("--target-memories <n>", "memories of the user that get, list and search read", Number, 100)
  .option("--rpcs <list>", `comma-separated, of ${RPCS.join(", ")}, and the scenario ${SCENARIOS.join(", ")}`, RPCS.join(","))
  .option("--rounds <n>", "alternating rounds of RPC and ceiling, pooled (evens out drift on a busy machine)", Number, 3)
  .option("--out <file>", "JSON results (default bench/results/<backend>-<time>.json)")
  .option("--baseline <file>", "earlier results to compare p99 latencies with (flat cost with size)")
  .option("--cpu-prof", "write a V8 CPU profile of the server (node --cpu-prof) into bench/results", false)
  .option("--ghz", "also drive GetUserMemory with ghz (same concurrency and duration) to compare load generators", false)
  .option("--noisy-memories <n>", "noisy: memories of the noisy user", Number, 10_000)
  .option("--noisy-memory-bytes <n>", "noisy: average size of the noisy user's memories (each ±25%)", Number, 8000)
  .option("--noisy-clients <n>", "noisy: worst-case searches in flight on the noisy user", Number, 4)
  .option("--mix-in-flight <n>", "noisy: the other tenants' Get/List/Add calls in flight (--concurrency is not used)", Number, 4)
  .option("--mix <list>", `noisy: the other tenants' calls, comma-separated, of ${MIX.join(", ")}`, MIX.join(","))
  .parse();
const options = program.opts<Options>();
const selected = options.rpcs.split(",").map((r) => r.trim());
for (const rpc of selected)
  if (!(RPCS as readonly string[]).includes(rpc) && !(SCENARIOS as readonly string[]).includes(rpc)) program.error(`unknown RPC ${rpc}`);
const rpcs = selected.filter((r): r is Rpc => (RPCS as readonly string[]).includes(r));
const noisy = selected.includes("noisy");
const mixLabels = options.mix.split(",").map((m) => m.trim());
for (const label of mixLabels) if (!(MIX as readonly string[]).includes(label)) program.error(`unknown --mix call ${label}`);

const cleanups: (() => Promise<void> | void)[] = [];
cleanUpOnInterrupt(cleanups);

// ---------------------------------------------------------------- data

const WORDS = (
  "user prefers dark mode light theme concise answers english german coffee tea morning evening works remote office " +
  "team lead engineer designer manager python typescript golang rust java project deadline meeting weekly daily " +
  "travel berlin paris tokyo london vegetarian vegan allergic peanuts gluten cats dogs hiking cycling running music " +
  "jazz classical podcasts books novels history science fiction privacy notifications email slack calendar timezone " +
  "utc pacific central budget invoice customer support billing subscription premium trial feedback keyboard shortcuts"
).split(" ");
const TOPICS = ["preferences", "ui", "work", "food", "travel", "health", "hobbies", "schedule", "billing", "language"];
/** In about one memory in ten thousand: what the rare search looks for. */
const RARE_WORD = "quetzalcoatl";

function memoryText(random: () => number): string {
  const words = Array.from({ length: 8 + Math.floor(random() * 22) }, () => WORDS[Math.floor(random() * WORDS.length)]!);
  if (random() < 0.0001) words.splice(Math.floor(random() * words.length), 0, RARE_WORD);
  const text = words.join(" ");
  return `${text[0]!.toUpperCase() + text.slice(1)}.`;
}

function topics(random: () => number): string[] {
  return Array.from(new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => TOPICS[Math.floor(random() * TOPICS.length)]!)));
}

/** Every memory gets one of four agents and one of three sources: what list-filtered filters on. */
const AGENTS = ["planner", "support", "coach", "scribe"];
const SOURCES = ["chat", "email", "import"];
/** The list-filtered filter: one agent, either of two topics, one label value (about 4% of a user's memories). */
const FILTER = { agentId: "support", anyTopics: ["work", "food"], labels: new Map([["source", "chat"]]) };

function scopes(random: () => number) {
  return {
    agentId: AGENTS[Math.floor(random() * AGENTS.length)]!,
    labels: new Map([["source", SOURCES[Math.floor(random() * SOURCES.length)]!]]),
  };
}

// ---------------------------------------------------------------- processes

async function startStorage(): Promise<string> {
  const url = await benchStorage(options.backend, options.storage, cleanups);
  return options.storageParams ? `${url}${url.includes("?") ? "&" : "?"}${options.storageParams}` : url;
}

interface BenchServer {
  child: ChildProcess;
  address: string;
  rss(): number;
  /** CPU time the server process has used, in milliseconds (user + system). */
  cpuMs(): number;
  /** The main thread's (the event loop's) CPU time and time spent runnable but waiting for a CPU, milliseconds (Linux schedstat). */
  eventLoop(): { cpuMs: number; waitMs: number };
}

async function startServer(storage: string): Promise<BenchServer> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const nodeArgs = options.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${RESULTS_DIR}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, "dist", "bench", "server.js"), "127.0.0.1:0", storage], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const ready = /\{"msg":"bench server ready".*\}/.exec(stderr);
      if (ready) resolve(JSON.parse(ready[0]).port);
    });
    child.on("exit", (code) => reject(new Error(`bench server exited with ${code}: ${stderr}`)));
  });
  cleanups.unshift(async () => {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  });
  return {
    child,
    address: `127.0.0.1:${port}`,
    rss: () => rssBytes(child.pid!),
    cpuMs: () => {
      // Fields 14 and 15 of /proc/<pid>/stat: utime and stime in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    eventLoop: () => {
      const [cpuNs, waitNs] = readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, "utf8").split(" ").map(Number);
      return { cpuMs: cpuNs! / 1e6, waitMs: waitNs! / 1e6 };
    },
  };
}

// ---------------------------------------------------------------- calls

function unary(client: Client, path: string, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      request,
      new Metadata(),
      { deadline: Date.now() + 120_000 },
      (err, res) => (err ? reject(err) : resolve(res!)),
    ),
  );
}

const method = (rpc: string) => `/memoryd.v1.MemoryService/${rpc}`;

async function preload(client: Client, users: { id: string; count: number }[]): Promise<void> {
  const random = prng(42);
  const total = users.reduce((n, u) => n + u.count, 0);
  let done = 0;
  let lastReport = Date.now();
  const batches: Uint8Array[] = [];
  for (const user of users) {
    for (let i = 0; i < user.count; i += 500) {
      const requests = Array.from({ length: Math.min(500, user.count - i) }, () => ({
        userMemory: { userId: user.id, memory: memoryText(random), topics: topics(random), ...scopes(random) },
      }));
      batches.push(BatchCreateUserMemoriesRequest.encode(BatchCreateUserMemoriesRequest.fromPartial({ requests })).finish());
    }
  }
  const queue = batches.entries();
  const load = async () => {
    for (const [, batch] of queue) {
      const response = BatchCreateUserMemoriesResponse.decode(await unary(client, method("BatchCreateUserMemories"), batch));
      done += response.userMemories.length;
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        console.log(`  preloaded ${done} / ${total}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, load));
}

// ---------------------------------------------------------------- measuring

interface Measurement {
  callsPerSecond: number;
  /** Server CPU time per completed call, microseconds: the server's own cost, whoever limits throughput. */
  serverCpuUsPerCall: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  errorCodes: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Window {
  results: WorkerResult[];
  calls: number;
  cpuMs: number;
}

interface WorkersWindow {
  results: WorkerResult[];
  /** Server CPU time over the measured part, all threads. */
  cpuMs: number;
  /** The server's main thread over the measured part: CPU time, and time runnable but not running. */
  eventLoop: { cpuMs: number; waitMs: number };
}

/** A client process's task, less what every window shares. */
type Task = Omit<WorkerTask, "address" | "warmupMs" | "durationMs">;

/**
 * One warm-up plus one measured window: each task in a client process of
 * its own, all at once; with the server's CPU time over the measured part.
 */
async function workersWindow(server: BenchServer, tasks: Task[]): Promise<WorkersWindow> {
  const cpu: number[] = [];
  const loop: { cpuMs: number; waitMs: number }[] = [];
  const window = [options.warmup * 1000, (options.warmup + options.duration) * 1000].map((at) =>
    setTimeout(() => {
      cpu.push(server.cpuMs());
      loop.push(server.eventLoop());
    }, at),
  );
  const results = await Promise.all(
    tasks.map((task) => {
      const worker = fork(join(ROOT, "dist", "bench", "worker.js"), { serialization: "advanced" });
      worker.send({
        ...task,
        address: server.address,
        warmupMs: options.warmup * 1000,
        durationMs: options.duration * 1000,
      } satisfies WorkerTask);
      return new Promise<WorkerResult>((resolve, reject) => {
        worker.once("message", (result) => resolve(result as WorkerResult));
        worker.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
      });
    }),
  );
  for (const timer of window) clearTimeout(timer);
  const measured = cpu.length === 2;
  return {
    results,
    cpuMs: measured ? cpu[1]! - cpu[0]! : Number.NaN,
    eventLoop: measured
      ? { cpuMs: loop[1]!.cpuMs - loop[0]!.cpuMs, waitMs: loop[1]!.waitMs - loop[0]!.waitMs }
      : { cpuMs: Number.NaN, waitMs: Number.NaN },
  };
}

/** One warm-up plus one measured window of load on `path`. */
async function loadWindow(server: BenchServer, path: string, requests: Uint8Array[]): Promise<Window> {
  const encoded = requests.map((r) => Buffer.from(r).toString("base64"));
  const perWorker = Math.max(1, Math.round(options.concurrency / options.workers));
  const task: Task = { calls: [{ label: "rpc", path, requests: encoded }], inFlight: perWorker };
  const { results, cpuMs } = await workersWindow(
    server,
    Array.from({ length: options.workers }, () => task),
  );
  return { results, calls: results.reduce((n, r) => n + r.calls, 0), cpuMs };
}

/** The measured seconds of `windows`: each lasts until its slowest client process's last answer. */
function measuredSeconds(windows: { results: WorkerResult[] }[]): number {
  return windows.reduce((s, w) => s + Math.max(options.duration * 1000, ...w.results.map((r) => r.measuredMs)), 0) / 1000;
}

function summarize(windows: Window[]): Measurement {
  const results = windows.flatMap((w) => w.results);
  const calls = windows.reduce((n, w) => n + w.calls, 0);
  const latencies = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
  const errorCodes: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    callsPerSecond: Math.round((calls / measuredSeconds(windows)) * 10) / 10,
    serverCpuUsPerCall: Math.round((windows.reduce((ms, w) => ms + w.cpuMs, 0) * 1000) / calls),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    errors: results.reduce((n, r) => n + r.errors, 0),
    errorCodes,
  };
}

/** The RPC and its no-op twin, in alternating rounds (ABBA...), pooled. */
async function measure(server: BenchServer, rpcPath: string, noopPath: string, requests: Uint8Array[]) {
  const real: Window[] = [];
  const noop: Window[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const order: [string, Window[]][] = [
      [rpcPath, real],
      [noopPath, noop],
    ];
    if (round % 2) order.reverse();
    for (const [path, windows] of order) windows.push(await loadWindow(server, path, requests));
  }
  return { real: summarize(real), ceiling: summarize(noop) };
}

// ---------------------------------------------------------------- noisy neighbours

/** Latency figures of one kind of call, pooled over windows. */
interface Latency {
  calls: number;
  callsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  errorCodes: Record<string, number>;
}

function latency(results: CallResult[], seconds: number): Latency {
  const latencies = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
  const errorCodes: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    calls: latencies.length,
    callsPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    errors: results.reduce((n, r) => n + r.errors, 0),
    errorCodes,
  };
}

/** Adds `texts` to `userId` in batches of at most 500 memories and 1 MiB (responses echo them; 4 MiB is the limit). */
async function addAll(client: Client, userId: string, texts: string[], random: () => number): Promise<void> {
  const batches: Uint8Array[] = [];
  for (let i = 0; i < texts.length; ) {
    const requests = [];
    for (let bytes = 0; i < texts.length && requests.length < 500 && bytes + texts[i]!.length <= 1 << 20; bytes += texts[i++]!.length) {
      requests.push({ userMemory: { userId, memory: texts[i]!, topics: topics(random) } });
    }
    batches.push(BatchCreateUserMemoriesRequest.encode(BatchCreateUserMemoriesRequest.fromPartial({ requests })).finish());
  }
  const queue = batches.values();
  let done = 0;
  let lastReport = Date.now();
  const load = async () => {
    for (const batch of queue) {
      done += BatchCreateUserMemoriesResponse.decode(await unary(client, method("BatchCreateUserMemories"), batch)).userMemories.length;
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        console.log(`  noisy user: ${done} / ${texts.length}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 2 }, load));
}

const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
/** Paced health checks: one in flight, this long between an answer and the next check. */
const HEALTH_PAUSE_MS = 50;
const base64 = (r: Uint8Array) => Buffer.from(r).toString("base64");

/**
 * The noisy-neighbour scenario. One tenant (the noisy user) holds
 * `--noisy-memories` long memories; other tenants (background users) run a
 * mix of Get, List (first page of 20) and Add with `--mix-in-flight` calls
 * in flight, and a health check runs every HEALTH_PAUSE_MS. Idle windows
 * run just that; loaded windows add `--noisy-clients` clients searching the
 * noisy user without pause with the worst queries (see bench/noisy.ts),
 * limit 1000. Idle and loaded windows alternate (ABBA...) over `--rounds`
 * and are pooled. The noisy clients set no deadline: the server's own call
 * limit applies, and DEADLINE_EXCEEDED from it is counted, not an error.
 *
 * The defaults, 10,000 memories of about 8,000 bytes (half the API's
 * limit), make one worst search take about 200 ms of SQLite's time on the
 * 2-core VM of the README's figures (`readers=0`; 4,000 bytes gave ~120 ms,
 * near the bottom of the range the issue reports stalls in).
 */
async function noisyNeighbours(benchServer: BenchServer, client: Client, others: { id: string; memoryIds: string[] }[]) {
  const random = prng(11);
  const noisyUser = `noisy-${randomUUID().slice(0, 8)}`;
  const texts = Array.from({ length: options.noisyMemories }, () => longMemoryText(random, options.noisyMemoryBytes));
  const averageBytes = Math.round(texts.reduce((n, t) => n + t.length, 0) / Math.max(1, texts.length));
  console.log(`\nnoisy neighbours: adding ${options.noisyMemories} memories of ~${options.noisyMemoryBytes} bytes to ${noisyUser}`);
  const started = Date.now();
  await addAll(client, noisyUser, texts, random);
  console.log(`  added in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  const worst = worstQueries(texts, 16, random);
  const queryBytes = worst.queries.map((q) => Buffer.byteLength(q));
  const setup = {
    noisyMemories: options.noisyMemories,
    averageMemoryBytes: averageBytes,
    queries: worst.queries.length,
    queryBytes: { min: Math.min(...queryBytes), max: Math.max(...queryBytes), limit: MAX_QUERY_BYTES },
    queryWords: worst.words,
    wordThreshold: worst.threshold,
    candidateShare: Math.round(worst.candidateShare * 1000) / 1000,
    exampleQuery: worst.queries[0]!,
    noisyClients: options.noisyClients,
    mixInFlight: options.mixInFlight,
    mix: mixLabels,
    othersUsers: others.length,
  };
  console.log(
    `  ${options.noisyMemories} memories of ${averageBytes} bytes on average; ${worst.queries.length} queries of ${setup.queryBytes.min}–${setup.queryBytes.max} bytes ` +
      `(limit ${MAX_QUERY_BYTES}) from ${worst.words} words each in ≥${worst.threshold * 100}% of the memories, matching none; ` +
      `${(worst.candidateShare * 100).toFixed(0)}% of the memories hold every trigram of a query`,
  );

  const searches = worst.queries.map((query) =>
    base64(SearchUserMemoriesRequest.encode(SearchUserMemoriesRequest.fromPartial({ userId: noisyUser, query, pageSize: 1000 })).finish()),
  );
  const pickOther = () => others[Math.floor(random() * others.length)]!;
  const withIds = others.filter((o) => o.memoryIds.length > 0);
  if (withIds.length === 0) throw new Error("noisy: the other tenants have no memories to get (--memories-per-user 0?)");
  const mixCalls: WorkerCalls[] = [
    {
      label: "get",
      path: method("GetUserMemory"),
      requests: Array.from({ length: 2000 }, () => {
        const o = withIds[Math.floor(random() * withIds.length)]!;
        return base64(
          GetUserMemoryRequest.encode({ userId: o.id, memoryId: o.memoryIds[Math.floor(random() * o.memoryIds.length)]! }).finish(),
        );
      }),
    },
    {
      label: "list",
      path: method("ListUserMemories"),
      requests: others.map((o) =>
        base64(ListUserMemoriesRequest.encode(ListUserMemoriesRequest.fromPartial({ userId: o.id, pageSize: 20 })).finish()),
      ),
    },
    {
      label: "add",
      path: method("CreateUserMemory"),
      requests: Array.from({ length: 2000 }, () =>
        base64(
          CreateUserMemoryRequest.encode(
            CreateUserMemoryRequest.fromPartial({
              userMemory: { userId: pickOther().id, memory: memoryText(random), topics: topics(random) },
            }),
          ).finish(),
        ),
      ),
    },
  ];
  const mix: Task = { calls: mixCalls.filter((c) => mixLabels.includes(c.label)), inFlight: options.mixInFlight };
  const health: Task = { calls: [{ label: "health", path: HEALTH_CHECK, requests: [""] }], inFlight: 1, pauseMs: HEALTH_PAUSE_MS };
  const noisyTask = (inFlight: number): Task => ({
    calls: [{ label: "search", path: method("SearchUserMemories"), requests: searches }],
    inFlight,
  });

  // A worst search with nothing else running: what one call costs.
  const aloneWindow = await workersWindow(benchServer, [noisyTask(1)]);
  const alone = latency(aloneWindow.results, measuredSeconds([aloneWindow]));
  console.log(`  a worst search alone: p50 ${alone.p50} ms, p99 ${alone.p99} ms (${alone.callsPerSecond} calls/s, one in flight)`);

  // Other work on the machine shares its cores with the server: say how much there was.
  const loadBefore = loadavg()[0]!;
  const idle: WorkersWindow[] = [];
  const loaded: WorkersWindow[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const order: [Task[], typeof idle][] = [
      [[mix, health], idle],
      [[mix, health, noisyTask(options.noisyClients)], loaded],
    ];
    if (round % 2) order.reverse();
    for (const [tasks, windows] of order) windows.push(await workersWindow(benchServer, tasks));
  }
  const pooled = (windows: typeof idle, label: string) =>
    latency(
      windows.flatMap((w) => w.results.map((r) => r.byLabel[label]).filter((r): r is CallResult => r !== undefined)),
      measuredSeconds(windows),
    );
  // Milliseconds per second of the measured windows, i.e. thousandths of a core.
  const perSecond = (windows: WorkersWindow[], ms: (w: WorkersWindow) => number) =>
    Math.round(windows.reduce((sum, w) => sum + ms(w), 0) / (windows.length * options.duration));
  const server = (windows: WorkersWindow[]) => ({
    cpuMsPerSecond: perSecond(windows, (w) => w.cpuMs),
    eventLoopCpuMsPerSecond: perSecond(windows, (w) => w.eventLoop.cpuMs),
    eventLoopWaitMsPerSecond: perSecond(windows, (w) => w.eventLoop.waitMs),
    // The mix's client process is the first of each window's tasks.
    mixClientWaitMsPerSecond: perSecond(windows, (w) => w.results[0]!.thread?.waitMs ?? Number.NaN),
  });
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const labels = [...mixLabels, "health"];
  const tenants: Record<string, { idle: Latency; loaded: Latency; p50Ratio: number; p99Ratio: number }> = {};
  for (const label of labels) {
    const i = pooled(idle, label);
    const l = pooled(loaded, label);
    tenants[label] = { idle: i, loaded: l, p50Ratio: ratio(l.p50, i.p50), p99Ratio: ratio(l.p99, i.p99) };
  }
  const search = pooled(loaded, "search");
  const statuses: Record<string, number> = { OK: search.calls - search.errors, ...search.errorCodes };
  const ratios = mixLabels.flatMap((l) => [tenants[l]!.p50Ratio, tenants[l]!.p99Ratio]);
  // null: no call of some kind finished in the idle or the loaded windows, so there is no ratio to judge by.
  const withinTwiceIdle = ratios.some((r) => !Number.isFinite(r)) ? null : ratios.every((r) => r <= 2);
  const unexpectedErrors =
    mixLabels.reduce((n, l) => n + tenants[l]!.idle.errors + tenants[l]!.loaded.errors, 0) +
    tenants.health!.idle.errors +
    tenants.health!.loaded.errors +
    Object.entries(statuses).reduce((n, [code, count]) => n + (code === "OK" || code === "DEADLINE_EXCEEDED" ? 0 : count), 0);

  const cell = (m: Latency) => `${m.p50} / ${m.p99}`.padStart(17);
  console.log(
    `\n${"others".padEnd(8)} ${"idle p50 / p99 ms".padStart(17)} ${`${options.noisyClients} noisy: p50 / p99`.padStart(20)} ${"×p50".padStart(6)} ${"×p99".padStart(6)} ${"calls/s idle, noisy".padStart(20)} errors`,
  );
  for (const label of labels) {
    const o = tenants[label]!;
    const errors = o.idle.errors + o.loaded.errors;
    console.log(
      `${(label === "health" ? `health*` : label).padEnd(8)} ${cell(o.idle)} ${cell(o.loaded).padStart(20)} ${o.p50Ratio.toFixed(2).padStart(6)} ${o.p99Ratio.toFixed(2).padStart(6)} ` +
        `${`${o.idle.callsPerSecond}, ${o.loaded.callsPerSecond}`.padStart(20)} ${errors ? `${errors} ${JSON.stringify({ ...o.idle.errorCodes, ...o.loaded.errorCodes })}` : "0"}`,
    );
  }
  console.log(`* one health check at a time, ${HEALTH_PAUSE_MS} ms apart`);
  console.log(
    `noisy searches: ${search.callsPerSecond} calls/s, p50 ${search.p50} ms, p99 ${search.p99} ms, statuses ${JSON.stringify(statuses)} (DEADLINE_EXCEEDED: the server's call limit, not an error)`,
  );
  const loadAverage = { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0]! * 100) / 100 };
  const serverIdle = server(idle);
  const serverLoaded = server(loaded);
  const serverLine = (s: ReturnType<typeof server>) =>
    `CPU ${s.cpuMsPerSecond} ms/s (event loop ${s.eventLoopCpuMsPerSecond}, other threads ${s.cpuMsPerSecond - s.eventLoopCpuMsPerSecond}), event loop waiting for a core ${s.eventLoopWaitMsPerSecond} ms/s; the mix's client process waiting for a core ${s.mixClientWaitMsPerSecond} ms/s`;
  console.log(`server idle: ${serverLine(serverIdle)}`);
  console.log(`server loaded: ${serverLine(serverLoaded)}`);
  console.log(
    `machine load average: ${loadAverage.before} before, ${loadAverage.after} after (${cpus().length} cores, shared with anything else running)`,
  );
  console.log(
    `others within 2× of idle (p50 and p99 of ${mixLabels.join(", ")}): ` +
      (withinTwiceIdle === null
        ? "no figures (some calls did not finish within a window)"
        : withinTwiceIdle
          ? "yes"
          : `NO (worst ×${Math.max(...ratios)})`),
  );
  if (unexpectedErrors) console.log(`unexpected errors: ${unexpectedErrors}`);
  return {
    setup,
    alone,
    others: tenants,
    noisySearches: { ...search, statuses },
    server: { idle: serverIdle, loaded: serverLoaded },
    loadAverage,
    withinTwiceIdle,
    unexpectedErrors,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const storage = await startStorage();
  if (options.storageParams) console.log(`storage parameters: ${options.storageParams}`);
  const server = await startServer(storage);
  const client = new Client(server.address, credentials.createInsecure(), { "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  const target = `target-${randomUUID().slice(0, 8)}`;
  const background = Array.from({ length: options.users }, (_, i) => ({
    id: `user-${String(i).padStart(6, "0")}`,
    count: options.memoriesPerUser,
  }));
  const total = options.users * options.memoriesPerUser + options.targetMemories;
  console.log(
    `memoryd bench: backend ${options.backend}, ${total} memories (${options.users} users × ${options.memoriesPerUser} + target user ${options.targetMemories}), ` +
      `${options.concurrency} in flight from ${options.workers} client processes, ${options.warmup}s warm-up + ${options.duration}s per measurement`,
  );
  const preloadStarted = Date.now();
  await preload(client, [...background, { id: target, count: options.targetMemories }]);
  console.log(`  preloaded in ${((Date.now() - preloadStarted) / 1000).toFixed(1)}s`);

  // The target user's memories, newest first: ids for get, a cursor halfway down for the deep page.
  const ids: string[] = [];
  let deepToken = "";
  for (let token = ""; ; ) {
    const page = ListUserMemoriesResponse.decode(
      await unary(
        client,
        method("ListUserMemories"),
        ListUserMemoriesRequest.encode(ListUserMemoriesRequest.fromPartial({ userId: target, pageSize: 1000, pageToken: token })).finish(),
      ),
    );
    ids.push(...page.userMemories.map((m) => m.memoryId));
    if (!deepToken && ids.length >= options.targetMemories / 2) deepToken = page.nextPageToken;
    token = page.nextPageToken;
    if (!token) break;
  }

  const random = prng(7);
  const sample = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));
  const requests: Record<Rpc, Uint8Array[]> = {
    add: sample(2000, () =>
      CreateUserMemoryRequest.encode(
        CreateUserMemoryRequest.fromPartial({ userMemory: { userId: target, memory: memoryText(random), topics: topics(random) } }),
      ).finish(),
    ),
    get: sample(2000, () => GetUserMemoryRequest.encode({ userId: target, memoryId: ids[Math.floor(random() * ids.length)]! }).finish()),
    list: [ListUserMemoriesRequest.encode(ListUserMemoriesRequest.fromPartial({ userId: target, pageSize: 20 })).finish()],
    "list-filtered": [
      ListUserMemoriesRequest.encode(ListUserMemoriesRequest.fromPartial({ userId: target, pageSize: 20, filter: FILTER })).finish(),
    ],
    "list-deep": [
      ListUserMemoriesRequest.encode(
        ListUserMemoriesRequest.fromPartial({
          userId: target,
          pageSize: 20,
          pageToken: deepToken,
        }),
      ).finish(),
    ],
    search: sample(50, () =>
      SearchUserMemoriesRequest.encode(
        SearchUserMemoriesRequest.fromPartial({
          userId: target,
          query: WORDS[Math.floor(random() * WORDS.length)]!.toUpperCase(),
          pageSize: 10,
        }),
      ).finish(),
    ),
    "search-rare": [
      SearchUserMemoriesRequest.encode(SearchUserMemoriesRequest.fromPartial({ userId: target, query: RARE_WORD, pageSize: 10 })).finish(),
    ],
  };
  const rpcMethod: Record<Rpc, string> = {
    add: "CreateUserMemory",
    get: "GetUserMemory",
    list: "ListUserMemories",
    "list-filtered": "ListUserMemories",
    "list-deep": "ListUserMemories",
    search: "SearchUserMemories",
    "search-rare": "SearchUserMemories",
  };

  const rssStart = server.rss();
  const results: Record<string, { rpc: Measurement; ceiling: Measurement; ratio: number }> = {};
  if (rpcs.length)
    console.log(
      `\n${"rpc".padEnd(12)} ${"calls/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(6)} | ` +
        `${"ceiling/s".padStart(9)} ${"p99 ms".padStart(8)} | ratio | server CPU µs/call: rpc, no-op`,
    );
  for (const rpc of rpcs) {
    const { real, ceiling } = await measure(server, method(rpcMethod[rpc]), `/${NOOP_SERVICE}/${rpcMethod[rpc]}`, requests[rpc]);
    // Kept to 4 significant digits, not rounded to 2 decimals: a slow backend's ratio (FerretDB, under
    // 0.005) must not read as 0.
    const ratio = Number((real.callsPerSecond / ceiling.callsPerSecond).toPrecision(4));
    results[rpc] = { rpc: real, ceiling, ratio };
    const errors = real.errors ? `${real.errors} ${JSON.stringify(real.errorCodes)}` : "0";
    console.log(
      `${rpc.padEnd(12)} ${String(real.callsPerSecond).padStart(8)} ${String(real.p50).padStart(8)} ${String(real.p95).padStart(8)} ${String(real.p99).padStart(8)} ${errors.padStart(6)} | ` +
        `${String(ceiling.callsPerSecond).padStart(9)} ${String(ceiling.p99).padStart(8)} | ${ratio.toFixed(2).padStart(5)} | ${real.serverCpuUsPerCall}, ${ceiling.serverCpuUsPerCall}`,
    );
  }
  const [filtered, unfiltered] = [results["list-filtered"]?.rpc, results.list?.rpc];
  if (filtered && unfiltered)
    console.log(
      `list-filtered p99 ${filtered.p99} ms against list p99 ${unfiltered.p99} ms: ×${(filtered.p99 / unfiltered.p99).toFixed(2)} (target: within ×1.5)`,
    );
  if (options.ghz) {
    // The same concurrency and duration as one round above, against the real
    // method (found through server reflection) and its no-op twin (declared
    // in bench/noop.proto), so ghz yields a ratio of its own.
    const get = GetUserMemoryRequest.decode(requests.get[0]!);
    const ghz = (call: string, protoArgs: string[]) => {
      const cpuBefore = server.cpuMs();
      const report = JSON.parse(
        execFileSync(
          goTool("ghz"),
          [
            "--insecure",
            "--format",
            "json",
            "--call",
            call,
            ...protoArgs,
            "-d",
            JSON.stringify({ user_id: get.userId, memory_id: get.memoryId }),
            "-c",
            String(options.concurrency),
            "-z",
            `${options.duration}s`,
            server.address,
          ],
          { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
        ),
      ) as { rps: number; latencyDistribution: { percentage: number; latency: number }[]; statusCodeDistribution: Record<string, number> };
      const calls = Object.values(report.statusCodeDistribution).reduce((sum, n) => sum + n, 0);
      const p = (q: number) => Math.round((report.latencyDistribution.find((d) => d.percentage === q)?.latency ?? Number.NaN) / 1e3) / 1e3;
      // Server CPU per call does not depend on how much CPU the load generator leaves the server.
      return {
        callsPerSecond: Math.round(report.rps),
        p50: p(50),
        p99: p(99),
        cpuUsPerCall: Math.round(((server.cpuMs() - cpuBefore) * 1000) / calls),
        codes: report.statusCodeDistribution,
      };
    };
    const real = ghz("memoryd.v1.MemoryService/GetUserMemory", []);
    const noop = ghz(`${NOOP_SERVICE}/GetUserMemory`, ["--protoset", noopProtoset()]);
    const line = (label: string, m: { callsPerSecond: number; p50: number; p99: number }, ceiling: number, cpu: number) =>
      console.log(
        `${label.padEnd(8)} GetUserMemory ${String(m.callsPerSecond).padStart(6)} calls/s, p50 ${m.p50} ms, p99 ${m.p99} ms | ceiling ${ceiling} calls/s | ratio ${(m.callsPerSecond / ceiling).toFixed(2)} | server CPU ${cpu} µs/call`,
      );
    console.log("");
    const harness = results.get;
    if (harness) line("harness", harness.rpc, harness.ceiling.callsPerSecond, harness.rpc.serverCpuUsPerCall);
    line("ghz", real, noop.callsPerSecond, real.cpuUsPerCall);
    // ghz counts the calls still in flight when -z ends as "Unavailable" (transport closing).
    console.log(`ghz status codes: ${JSON.stringify(real.codes)}, no-op ${JSON.stringify(noop.codes)}`);
  }

  let noisyResults: Awaited<ReturnType<typeof noisyNeighbours>> | undefined;
  if (noisy) {
    // The other tenants: up to 20 background users (the target user when there are none), with their memories' ids for Get.
    const others = [];
    for (const user of background.length ? background.slice(0, 20) : [{ id: target }]) {
      const page = ListUserMemoriesResponse.decode(
        await unary(
          client,
          method("ListUserMemories"),
          ListUserMemoriesRequest.encode(ListUserMemoriesRequest.fromPartial({ userId: user.id, pageSize: 1000 })).finish(),
        ),
      );
      others.push({ id: user.id, memoryIds: page.userMemories.map((m) => m.memoryId) });
    }
    noisyResults = await noisyNeighbours(server, client, others);
  }

  const rssEnd = server.rss();
  console.log(`\nserver RSS: ${(rssStart / 2 ** 20).toFixed(0)} MiB after preload, ${(rssEnd / 2 ** 20).toFixed(0)} MiB at the end`);

  if (options.baseline) {
    const baseline = JSON.parse(readFileSync(options.baseline, "utf8")) as {
      results: typeof results;
      totalMemories: number;
      targetMemories: number;
    };
    console.log(`\np99 against ${options.baseline} (target user ${baseline.targetMemories} memories, ${baseline.totalMemories} in total):`);
    for (const rpc of rpcs) {
      const before = baseline.results[rpc]?.rpc.p99;
      if (before)
        console.log(`  ${rpc.padEnd(12)} ${before} ms -> ${results[rpc]!.rpc.p99} ms: x${(results[rpc]!.rpc.p99 / before).toFixed(2)}`);
    }
  }

  const out = options.out ?? join(RESULTS_DIR, `${options.backend}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        options,
        totalMemories: total,
        targetMemories: options.targetMemories,
        rssBytes: { afterPreload: rssStart, end: rssEnd },
        results,
        ...(noisyResults && { noisy: noisyResults }),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`results: ${out}`);
  client.close();
}

try {
  await main();
} finally {
  for (const cleanup of cleanups) await cleanup();
}
