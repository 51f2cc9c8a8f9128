/**
 * grpc.health.v1 statuses, driven by the state of storage and shutdown.
 *
 * - `""` (overall) and `memory.v1.MemoryService`: NOT_SERVING until storage
 *   is open, NOT_SERVING while the background probe cannot reach the
 *   database, NOT_SERVING from the first moment of shutdown. Readiness
 *   checks and load balancers use these.
 * - `liveness`: SERVING as long as the process runs its event loop, even
 *   while the database is down; restarting memoryd would not bring the
 *   database back, so liveness checks use this one.
 *
 * @module
 */
import type { Server, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import type { MemoryStore } from "./storage/store.js";

export const MEMORY_SERVICE_NAME = "memory.v1.MemoryService";
export const LIVENESS_SERVICE_NAME = "liveness";

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
        const watch = implementation.watch as (call: ServerWritableStream<unknown, unknown>) => void;
        server.addService(definition, {
          ...implementation,
          watch(call: ServerWritableStream<unknown, unknown>) {
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

  /** Pings the store every `intervalMs` until `stop()`. */
  watch(store: MemoryStore, options: ProbeOptions): void {
    const probe = async () => {
      try {
        await store.ping({ deadline: Date.now() + options.timeoutMs });
        if (!this.#storageUp) this.log.info({ backend: store.backend }, "storage reachable");
        this.setStorageUp(true);
      } catch (err) {
        if (this.#storageUp) this.log.warn({ err, backend: store.backend }, "storage unreachable");
        this.setStorageUp(false);
      }
      if (this.#timer) this.#timer = setTimeout(probe, options.intervalMs).unref();
    };
    this.#timer = setTimeout(probe, options.intervalMs).unref();
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
  }

  #publish(): void {
    const status = this.serving ? "SERVING" : "NOT_SERVING";
    this.service.setStatus("", status);
    this.service.setStatus(MEMORY_SERVICE_NAME, status);
  }
}
