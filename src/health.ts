/**
 * grpc.health.v1 statuses, driven by the state of storage and shutdown.
 *
 * - `""` (overall) and `memoryd.v1.MemoryService`: NOT_SERVING until storage
 *   is open, NOT_SERVING while the background probe cannot reach the
 *   database, NOT_SERVING from the first moment of shutdown. Readiness
 *   checks and load balancers use these.
 * - `liveness`: SERVING as long as the process runs its event loop, even
 *   while the database is down; restarting memoryd would not bring the
 *   database back, so liveness checks use this one.
 *
 * @module
 */
import {
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import { StorageLostError } from "./storage/errors.js";
import type { MemoryStore } from "./storage/store.js";

export const MEMORY_SERVICE_NAME = "memoryd.v1.MemoryService";
export const LIVENESS_SERVICE_NAME = "liveness";

const KNOWN_SERVICES = new Set(["", MEMORY_SERVICE_NAME, LIVENESS_SERVICE_NAME]);

/** Open Watch streams at most; each holds a call open. */
const MAX_WATCHES = 1000;

interface HealthRequest {
  service: string;
}

/** Probe interval while storage is down, when shorter than the configured one. */
const DOWN_PROBE_INTERVAL_MS = 1000;

/**
 * Successful probes in a row before storage counts as back. One failed
 * probe takes storage down at once (calls then fail fast instead of
 * waiting on a dead database); coming back takes a second success, so a
 * database that answers one ping in two cannot flip health on every probe.
 */
const PROBES_TO_RECOVER = 2;

export interface ProbeOptions {
  /** Time between database probes. */
  readonly intervalMs: number;
  /** A probe slower than this counts as a failure. */
  readonly timeoutMs: number;
}

export class HealthMonitor {
  readonly service = new HealthImplementation({ [LIVENESS_SERVICE_NAME]: "SERVING" });
  #storageUp = false;
  #shuttingDown = false;
  #timer: NodeJS.Timeout | undefined;
  #probe: (() => Promise<void>) | undefined;
  #probing = false;
  /** Successful probes in a row while storage is down. */
  #recovering = 0;
  #onChange: (storageUp: boolean) => void = () => {};
  readonly #watches = new Set<ServerWritableStream<unknown, unknown>>();

  constructor(private readonly log: Logger) {
    this.#publish();
  }

  /**
   * Registers grpc.health.v1 on `server`, keeping track of open Watch
   * streams: they never end by themselves, and a drain must not wait the
   * whole grace period for them.
   */
  addToServer(server: Server): void {
    const watches = this.#watches;
    this.service.addToServer({
      addService(definition, implementation: UntypedServiceImplementation) {
        const check = implementation.check as (call: ServerUnaryCall<HealthRequest, unknown>, callback: sendUnaryData<unknown>) => void;
        const watch = implementation.watch as (call: ServerWritableStream<HealthRequest, unknown>) => void;
        server.addService(definition, {
          ...implementation,
          // Only the services memoryd reports: the library keeps one entry per
          // name ever asked for, and echoes the name in its error.
          check(call: ServerUnaryCall<HealthRequest, unknown>, callback: sendUnaryData<unknown>) {
            if (!KNOWN_SERVICES.has(call.request.service)) return callback({ code: status.NOT_FOUND, details: "unknown service" });
            check(call, callback);
          },
          watch(call: ServerWritableStream<HealthRequest, unknown>) {
            if (!KNOWN_SERVICES.has(call.request.service)) {
              call.write({ status: "SERVICE_UNKNOWN" });
              return call.end();
            }
            if (watches.size >= MAX_WATCHES)
              return call.destroy(Object.assign(new Error("too many health watches"), { code: status.RESOURCE_EXHAUSTED }));
            watches.add(call);
            call.on("cancelled", () => watches.delete(call));
            watch(call);
          },
        });
      },
    });
  }

  /** Ends every open Watch stream (with OK), after they have seen NOT_SERVING. */
  endWatches(): void {
    for (const call of this.#watches) call.end();
    this.#watches.clear();
  }

  get serving(): boolean {
    return this.#storageUp && !this.#shuttingDown;
  }

  /** Called with the new state whenever the storage probe result flips. */
  onStorageChange(listener: (storageUp: boolean) => void): void {
    this.#onChange = listener;
  }

  /** Storage answered (true) or failed (false). */
  setStorageUp(up: boolean): void {
    if (up === this.#storageUp) return;
    this.#storageUp = up;
    this.#onChange(up);
    this.#publish();
  }

  /** Whether the last storage probe (or the opening of storage) succeeded. */
  get storageUp(): boolean {
    return this.#storageUp;
  }

  /**
   * Pings the store every `intervalMs` until `stop()`; while storage is down,
   * at least every second, so recovery is noticed quickly.
   */
  watch(store: MemoryStore, options: ProbeOptions): void {
    this.#probe = async () => {
      clearTimeout(this.#timer);
      this.#probing = true;
      let timer: NodeJS.Timeout | undefined;
      try {
        // The deadline also bounds the wait here, should a driver not honour it.
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`storage ping took over ${options.timeoutMs} ms`)), options.timeoutMs + 100);
        });
        await Promise.race([store.ping({ deadline: Date.now() + options.timeoutMs }), timedOut]);
        if (!this.#storageUp && ++this.#recovering >= PROBES_TO_RECOVER) {
          this.#recovering = 0;
          this.log.info({ backend: store.backend }, "storage reachable");
          this.setStorageUp(true);
        }
      } catch (err) {
        this.#recovering = 0;
        if (this.#storageUp) {
          // A database file deleted under the server loses every later write: say so loudly.
          if (err instanceof StorageLostError) this.log.error({ err, backend: store.backend }, "storage lost");
          else this.log.warn({ err, backend: store.backend }, "storage unreachable");
        } else this.log.debug({ err, backend: store.backend }, "storage still unreachable");
        this.setStorageUp(false);
      } finally {
        clearTimeout(timer);
        this.#probing = false;
      }
      if (this.#probe) {
        const next = this.#storageUp ? options.intervalMs : Math.min(options.intervalMs, DOWN_PROBE_INTERVAL_MS);
        this.#timer = setTimeout(() => void this.#probe?.(), next).unref();
      }
    };
    this.#timer = setTimeout(() => void this.#probe?.(), options.intervalMs).unref();
  }

  /**
   * A call just found storage unreachable: probe now rather than at the next
   * tick, so health and the fail-fast path (see `server.ts`) follow at once.
   */
  probeNow(): void {
    if (this.#probe && !this.#probing) void this.#probe();
  }

  /** First step of shutdown: readiness goes NOT_SERVING for good. */
  beginShutdown(): void {
    this.#shuttingDown = true;
    this.stop();
    this.#publish();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#probe = undefined;
  }

  #publish(): void {
    const status = this.serving ? "SERVING" : "NOT_SERVING";
    this.service.setStatus("", status);
    this.service.setStatus(MEMORY_SERVICE_NAME, status);
  }
}
