/**
 * A load-generating client process for bench/run.ts. It keeps a fixed
 * number of calls in flight against one method, sending pre-encoded request
 * bytes and skipping response decoding, so that the client spends as little
 * CPU per call as possible, and reports per-call latencies.
 *
 * Protocol (IPC): receives one `WorkerTask`, answers with one `WorkerResult`.
 */
import { credentials, Client, Metadata, status } from "@grpc/grpc-js";

export interface WorkerTask {
  address: string;
  path: string;
  /** Request messages, encoded; sent round-robin from a random start. */
  requests: string[]; // base64
  inFlight: number;
  warmupMs: number;
  durationMs: number;
}

export interface WorkerResult {
  calls: number;
  errors: number;
  errorCodes: Record<string, number>;
  /** Latencies of the measured calls, milliseconds. */
  latencies: number[];
}

async function run(task: WorkerTask): Promise<WorkerResult> {
  const client = new Client(task.address, credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const requests = task.requests.map((r) => Buffer.from(r, "base64"));
  let next = Math.floor(Math.random() * requests.length);
  const identity = (b: Buffer) => b;
  const metadata = new Metadata();
  const start = performance.now();
  const measureFrom = start + task.warmupMs;
  const stopAt = measureFrom + task.durationMs;
  const latencies: number[] = [];
  const errorCodes: Record<string, number> = {};
  let calls = 0;
  let errors = 0;

  const loop = () =>
    new Promise<void>((resolve) => {
      const fire = () => {
        const sent = performance.now();
        if (sent >= stopAt) return resolve();
        const request = requests[next++ % requests.length]!;
        client.makeUnaryRequest(task.path, identity, identity, request, metadata, {}, (err) => {
          const done = performance.now();
          if (sent >= measureFrom && done <= stopAt) {
            calls++;
            latencies.push(done - sent);
            if (err) {
              errors++;
              const name = status[err.code] ?? String(err.code);
              errorCodes[name] = (errorCodes[name] ?? 0) + 1;
            }
          }
          fire();
        });
      };
      fire();
    });

  await Promise.all(Array.from({ length: task.inFlight }, loop));
  client.close();
  return { calls, errors, errorCodes, latencies };
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
