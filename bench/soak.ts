/**
 * `npm run soak`: a bounded run of the real server (dist/src/main.js) under
 * a mix of every RPC at high concurrency. Passes when no call fails
 * unexpectedly, resident memory grows less than 10% after warm-up, and
 * open file descriptors and database connections stay bounded. Prints the
 * figures; exits 1 when a limit is broken.
 *
 *   node dist/bench/soak.js [--backend sqlite|postgres|mongodb] [--duration 60] [--concurrency 48]
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ServiceError, status } from "@grpc/grpc-js";
import { Command, Option } from "commander";
import { MemoryClient } from "../test/helpers/client.js";
import { spawnServer } from "../test/helpers/process.js";
import { cleanUpOnInterrupt, RESULTS_DIR, rssBytes } from "./process.js";
import { type BackendName, benchStorage } from "./storage.js";

const options = new Command("soak")
  .addOption(new Option("--backend <name>", "storage backend").choices(["sqlite", "postgres", "mongodb"]).default("sqlite"))
  .option("--storage <url>", "storage URL instead of a fresh database")
  .option("--duration <s>", "seconds of load", Number, 60)
  .option("--concurrency <n>", "calls in flight", Number, 48)
  .option("--pool-max <n>", "PostgreSQL pool size the server is started with", Number, 10)
  .parse()
  .opts<{ backend: BackendName; storage?: string; duration: number; concurrency: number; poolMax: number }>();

const cleanups: (() => unknown)[] = [];
cleanUpOnInterrupt(cleanups);

interface Sample {
  atS: number;
  rssMiB: number;
  heapUsedMiB: number;
  fds: number;
  poolOpen: number;
}

async function main(): Promise<boolean> {
  let storage = await benchStorage(options.backend, options.storage, cleanups);
  if (options.backend === "postgres") storage += `${storage.includes("?") ? "&" : "?"}pool_max=${options.poolMax}`;
  // Production logging (a line per call) stays on; the lines are dropped unread.
  const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", storage, "--metrics-listen", "127.0.0.1:0"], keepCallLogs: false });
  cleanups.unshift(() => server.stop());
  const metricsPort = server.logs.find((l) => l.msg === "memoryd listening")!.metricsPort as number;
  const pid = server.child.pid!;
  const sample = async (atS: number): Promise<Sample> => {
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return {
      atS,
      rssMiB: Math.round((rssBytes(pid) / 2 ** 20) * 10) / 10,
      heapUsedMiB: Math.round(Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? 0) / 2 ** 20 * 10) / 10,
      fds: readdirSync(`/proc/${pid}/fd`).length,
      poolOpen: Number(/^memoryd_storage_pool_connections\{state="open"\} (\d+)/m.exec(metrics)?.[1] ?? 0),
    };
  };

  const started = Date.now();
  const stopAt = started + options.duration * 1000;
  const counts: Record<string, number> = {};
  const unexpected: string[] = [];
  const clients = Array.from({ length: 4 }, () => new MemoryClient(server.address));
  cleanups.unshift(() => clients.forEach((c) => c.close()));

  // Each worker owns one user, so its etags never race: any error is unexpected.
  const worker = async (w: number) => {
    const client = clients[w % clients.length]!;
    const userId = `soak-${w}-${randomUUID().slice(0, 8)}`;
    const mine = new Map<string, string>(); // memory id -> etag
    const text = () => `soak memory ${randomUUID()} about ${["tea", "dark mode", "berlin", "jazz"][Math.floor(Math.random() * 4)]}`;
    const any = () => [...mine.keys()][Math.floor(Math.random() * mine.size)]!;
    while (Date.now() < stopAt) {
      const roll = Math.random();
      const op =
        mine.size === 0 || roll < 0.3 ? "add" : roll < 0.5 ? "get" : roll < 0.6 ? "list" : roll < 0.7 ? "search" : roll < 0.82 ? "replace" : roll < 0.9 ? "delete" : roll < 0.98 ? "batch" : "clear";
      try {
        if (op === "add") {
          const { userMemory } = await client.add({ userMemory: { userId, memory: text(), topics: ["soak"] }, requestId: randomUUID() });
          mine.set(userMemory!.memoryId, userMemory!.etag);
        } else if (op === "get") await client.get({ userId, memoryId: any() });
        else if (op === "list") {
          const page = await client.list({ userId, pageSize: 20 });
          if (page.nextPageToken) await client.list({ userId, pageSize: 20, pageToken: page.nextPageToken });
        } else if (op === "search") await client.search({ userId, query: "DARK", limit: 10 });
        else if (op === "replace") {
          const memoryId = any();
          const { userMemory } = await client.replace({ userMemory: { userId, memoryId, memory: text(), etag: mine.get(memoryId) } });
          mine.set(memoryId, userMemory!.etag);
        } else if (op === "delete") {
          const memoryId = any();
          await client.delete({ userId, memoryId, etag: mine.get(memoryId) });
          mine.delete(memoryId);
        } else if (op === "batch") {
          const { userMemories } = await client.batchAdd({ requests: Array.from({ length: 5 }, () => ({ userMemory: { userId, memory: text() } })) });
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

  const samples: Sample[] = [await sample(0)];
  const sampler = setInterval(() => void sample(Math.round((Date.now() - started) / 1000)).then((s) => samples.push(s)), 1000);
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  clearInterval(sampler);
  samples.push(await sample(Math.round((Date.now() - started) / 1000)));

  // V8 grows its heap for a while under new load, and RSS saws up and down
  // with every collection: compare medians of a window just after warm-up
  // and of the last quarter, not single samples.
  const warmupS = Math.max(20, options.duration * 0.4);
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const window = (from: number, to: number) => samples.filter((s) => s.atS >= from && s.atS <= to).map((s) => s.rssMiB);
  const early = median(window(warmupS, warmupS + options.duration * 0.25));
  const late = median(window(options.duration * 0.75, options.duration + 5));
  const growth = (late - early) / early;
  const base = samples.find((s) => s.atS >= warmupS) ?? samples.at(-1)!;
  const maxFds = Math.max(...samples.map((s) => s.fds));
  const maxPool = Math.max(...samples.map((s) => s.poolOpen));
  const calls = Object.values(counts).reduce((a, b) => a + b, 0);
  const checks = [
    { name: "no unexpected errors", ok: unexpected.length === 0, detail: `${unexpected.length} ${unexpected.slice(0, 3).join(" | ")}` },
    {
      name: "RSS growth after warm-up < 10%",
      ok: growth < 0.1,
      detail: `median ${early} MiB just after warm-up (${Math.round(warmupS)}s), ${late} MiB in the last quarter: ${(growth * 100).toFixed(1)}%`,
    },
    { name: "open file descriptors bounded", ok: maxFds <= base.fds + 16, detail: `${base.fds} after warm-up, max ${maxFds}` },
    { name: "database connections within the pool", ok: maxPool <= options.poolMax, detail: `max ${maxPool} open (pool_max ${options.poolMax})` },
  ];
  console.log(`soak ${options.backend}: ${options.duration}s, ${options.concurrency} in flight, ${calls} calls (${Math.round(calls / options.duration)}/s) ${JSON.stringify(counts)}`);
  for (const s of samples) console.log(`  t=${String(s.atS).padStart(4)}s rss ${s.rssMiB} MiB, heap used ${s.heapUsedMiB} MiB, fds ${s.fds}, pool ${s.poolOpen}`);
  for (const c of checks) console.log(`${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  const out = join(RESULTS_DIR, `soak-${options.backend}.json`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(out, `${JSON.stringify({ options, calls, counts, samples, checks, unexpected: unexpected.slice(0, 20) }, null, 2)}\n`);
  return checks.every((c) => c.ok);
}

let passed = false;
try {
  passed = await main();
} finally {
  for (const cleanup of cleanups) await cleanup();
}
process.exit(passed ? 0 : 1);
