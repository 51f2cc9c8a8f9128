/**
 * Removes expired memories in the background. Reads never return an
 * expired memory whether or not it was removed (every backend filters on
 * `expire_time`), so the sweep only reclaims space: it runs in bounded
 * batches, one pass at a time, and a failed pass is retried at the next
 * interval rather than hurried.
 *
 * @module
 */
import type { Logger } from "pino";
import type { MemoryStore } from "./storage/store.js";

export interface ExpirySweepOptions {
  /** Time between the end of one pass and the start of the next. */
  readonly intervalMs: number;
  /** Memories removed per store call: a pass makes calls until one removes fewer. */
  readonly batchSize: number;
  /** How long one store call may take before it is abandoned. */
  readonly callTimeoutMs: number;
}

export const DEFAULT_EXPIRY_SWEEP: Omit<ExpirySweepOptions, "intervalMs"> = { batchSize: 500, callTimeoutMs: 10_000 };

/**
 * One pass: purges in batches until a batch comes back short. A pass is
 * bounded by what had expired when it started plus what expires meanwhile;
 * `stop` ends it between batches. Returns how many memories went.
 */
export async function sweepExpired(
  store: MemoryStore,
  options: Omit<ExpirySweepOptions, "intervalMs">,
  stop?: AbortSignal,
): Promise<number> {
  let removed = 0;
  while (!stop?.aborted) {
    const batch = await store.purgeExpired(options.batchSize, { deadline: Date.now() + options.callTimeoutMs });
    removed += batch;
    if (batch < options.batchSize) break;
  }
  return removed;
}

/** Runs `sweepExpired` every `intervalMs` until the returned function is called; it resolves once a running pass ends. */
export function startExpirySweeper(store: MemoryStore, options: ExpirySweepOptions, log: Logger): () => Promise<void> {
  const stopping = new AbortController();
  let pass: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      pass = sweepExpired(store, options, stopping.signal).then(
        (removed) => {
          if (removed) log.info({ removed }, "expired memories removed");
        },
        (err: unknown) => log.warn({ err, retryInMs: options.intervalMs }, "expired memories not removed"),
      );
      pass.finally(() => stopping.signal.aborted || schedule());
    }, options.intervalMs);
    timer.unref();
  };
  schedule();
  return async () => {
    stopping.abort();
    clearTimeout(timer);
    await pass;
  };
}
