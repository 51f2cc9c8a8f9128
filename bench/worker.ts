/**
 * A load-generating client process for bench/run.ts. It keeps a fixed
 * number of calls in flight, sending pre-encoded request bytes and skipping
 * response decoding, so that the client spends as little CPU per call as
 * possible, and reports per-call latencies and status codes.
 *
 * A task names one method, or a mix of several (each loop then calls them
 * in turn, and the results are kept apart by label); with `pauseMs` each
 * loop waits between calls, a paced probe rather than a closed loop.
 *
 * Protocol (IPC): receives one `WorkerTask`, answers with one `WorkerResult`.
 */
import { readFileSync } from "node:fs";
import { Client, credentials, Metadata, status } from "@grpc/grpc-js";

export interface WorkerCalls {
  /** What the results are kept under. */
  label: string;
  path: string;
  /** Request messages, encoded; sent round-robin from a random start. */
  requests: string[]; // base64
}

export interface WorkerTask {
  address: string;
  /** Called in turn by each loop: [get, list, add] gives get, list, add, get, ... */
  calls: WorkerCalls[];
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  /** Wait this long after each answer before the loop's next call (default 0). */
  pauseMs?: number;
}

export interface CallResult {
  calls: number;
  errors: number;
  /** Error statuses of the measured calls by name (OK not included). */
  errorCodes: Record<string, number>;
  /** Latencies of the measured calls, milliseconds. */
  latencies: number[];
}

export interface WorkerResult extends CallResult {
  /** The same per label of `WorkerTask.calls`; the fields above sum them. */
  byLabel: Record<string, CallResult>;
  /**
   * From the window's start to its last answer, ms: at least the window, more when
   * the calls in flight at its end take longer (a slow backend's deep page).
   */
  measuredMs: number;
  /** This process's main thread over the measured window: CPU time and time runnable but waiting for a core, ms (Linux). */
  thread?: { cpuMs: number; waitMs: number };
}

/** CPU and run-queue wait of this process's main thread so far, ms; undefined where /proc has no schedstat. */
function schedstat(): { cpuMs: number; waitMs: number } | undefined {
  try {
    const [cpuNs, waitNs] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ").map(Number);
    return { cpuMs: cpuNs! / 1e6, waitMs: waitNs! / 1e6 };
  } catch {
    return undefined;
  }
}

const empty = (): CallResult => ({ calls: 0, errors: 0, errorCodes: {}, latencies: [] });

async function run(task: WorkerTask): Promise<WorkerResult> {
  const client = new Client(task.address, credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const kinds = task.calls.map((c) => ({
    label: c.label,
    path: c.path,
    requests: c.requests.map((r) => Buffer.from(r, "base64")),
    next: Math.floor(Math.random() * c.requests.length),
  }));
  const total = empty();
  const byLabel: Record<string, CallResult> = Object.fromEntries(task.calls.map((c) => [c.label, empty()]));
  const identity = (b: Buffer) => b;
  const metadata = new Metadata();
  const start = performance.now();
  const measureFrom = start + task.warmupMs;
  const stopAt = measureFrom + task.durationMs;
  const samples: ({ cpuMs: number; waitMs: number } | undefined)[] = [];
  const timers = [task.warmupMs, task.warmupMs + task.durationMs].map((at) => setTimeout(() => samples.push(schedstat()), at));
  let lastAnswer = stopAt;

  const loop = (offset: number) =>
    new Promise<void>((resolve) => {
      let turn = offset;
      const fire = () => {
        const sent = performance.now();
        if (sent >= stopAt) return resolve();
        const kind = kinds[turn++ % kinds.length]!;
        const request = kind.requests[kind.next++ % kind.requests.length]!;
        client.makeUnaryRequest(kind.path, identity, identity, request, metadata, {}, (err) => {
          const done = performance.now();
          // A call counts when it ends after the warm-up, whenever it started: no call
          // starts after the window, and those in flight at its end stretch it
          // (measuredMs), so calls slower than the window count too.
          if (done >= measureFrom) {
            lastAnswer = Math.max(lastAnswer, done);
            for (const r of [total, byLabel[kind.label]!]) {
              r.calls++;
              r.latencies.push(done - sent);
              if (err) {
                r.errors++;
                const name = status[err.code] ?? String(err.code);
                r.errorCodes[name] = (r.errorCodes[name] ?? 0) + 1;
              }
            }
          }
          if (task.pauseMs) setTimeout(fire, task.pauseMs);
          else fire();
        });
      };
      fire();
    });

  // Loops start at different points of the mix, so each method has calls in flight from the start.
  await Promise.all(Array.from({ length: task.inFlight }, (_, i) => loop(i)));
  client.close();
  for (const timer of timers) clearTimeout(timer);
  // The last calls may end before the closing sample's timer fires: take it now.
  if (samples.length === 1) samples.push(schedstat());
  const [from, to] = samples;
  return {
    ...total,
    byLabel,
    measuredMs: lastAnswer - measureFrom,
    ...(from && to && { thread: { cpuMs: to.cpuMs - from.cpuMs, waitMs: to.waitMs - from.waitMs } }),
  };
}

process.once("message", (task: WorkerTask) => {
  run(task).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
});
