/**
 * Assembles the gRPC server: MemoryService, grpc.health.v1 and server
 * reflection, behind the per-call observer, on plaintext or TLS.
 *
 * The server binds before storage is open, so health checks answer (with
 * NOT_SERVING) from the first moment; MemoryService calls get UNAVAILABLE
 * until `attachStore`.
 *
 * @module
 */
import { type ChannelOptions, Server } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { type Authenticator, admission } from "./admission.js";
import { installCompressedFlagGuard } from "./compressed-flag-guard.js";
import { HealthMonitor, MEMORY_SERVICE_NAME } from "./health.js";
import type { Metrics } from "./metrics.js";
import { callObserver } from "./observability.js";
import { createReflectionService } from "./reflection.js";
import { memoryServiceHandlers, type ServiceContext, strictMemoryServiceDefinition } from "./service.js";
import { UnavailableError } from "./storage/errors.js";
import type { MemoryStore } from "./storage/store.js";
import { serverCredentials, type TlsOptions } from "./tls.js";

/** HTTP/2 connection management; unset fields keep gRPC's defaults. */
export interface ConnectionOptions {
  /** Ping an idle client connection after this long... */
  readonly keepaliveTimeMs?: number;
  /** ...and close it when the ping is not answered within this. */
  readonly keepaliveTimeoutMs?: number;
  /** Send GOAWAY to connections older than this, so clients reconnect (and rebalance onto new replicas). */
  readonly maxConnectionAgeMs?: number;
  /** How long calls on a connection past its age may still finish. */
  readonly maxConnectionAgeGraceMs?: number;
  /** Close connections without calls for this long. */
  readonly maxConnectionIdleMs?: number;
  /** Concurrent calls per connection. */
  readonly maxConcurrentStreams?: number;
  /** Largest request or response message, in bytes (default 4 MiB, as gRPC's). */
  readonly maxMessageBytes?: number;
  /** How long a request message may take to arrive after the call's headers (default 10 s). */
  readonly requestReadTimeoutMs?: number;
}

export type { Authenticator };

/** gRPC's default message size limit, which clients apply to what they receive. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface ServerOptions {
  /** `host:port`; port 0 picks a free one. */
  readonly listen: string;
  readonly log: Logger;
  /** A store to serve from the start (tests); otherwise call `attachStore`. */
  readonly store?: MemoryStore;
  readonly tls?: TlsOptions;
  readonly authenticator?: Authenticator;
  readonly metrics?: Metrics;
  readonly connection?: ConnectionOptions;
  /** Longest a call may run, whatever the client's deadline (default 30 s). */
  readonly maxCallDurationMs?: number;
  /**
   * Adds further services to the same server before it binds. The benchmark
   * registers a no-op service this way, to measure the framework's ceiling
   * on exactly the server that serves memoryd.
   */
  readonly register?: (server: Server) => void;
}

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly health: HealthMonitor;
  /** Makes MemoryService usable and reports SERVING. */
  attachStore(store: MemoryStore): void;
  /** Swaps the token set, e.g. after the token file changed. */
  setAuthenticator(authenticator: Authenticator | undefined): void;
  /**
   * Drains: health turns NOT_SERVING at once; after `delayMs` (for load
   * balancers to notice) new calls are refused and in-flight calls get up
   * to `graceMs` to finish before they are cancelled. Does not close the
   * store.
   */
  drain(options: { delayMs: number; graceMs: number }): Promise<void>;
}

function channelOptions(connection: ConnectionOptions = {}): ChannelOptions {
  const options: ChannelOptions = {};
  const set = (key: string, value: number | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set("grpc.keepalive_time_ms", connection.keepaliveTimeMs);
  set("grpc.keepalive_timeout_ms", connection.keepaliveTimeoutMs);
  set("grpc.max_connection_age_ms", connection.maxConnectionAgeMs);
  set("grpc.max_connection_age_grace_ms", connection.maxConnectionAgeGraceMs);
  set("grpc.max_connection_idle_ms", connection.maxConnectionIdleMs);
  set("grpc.max_concurrent_streams", connection.maxConcurrentStreams);
  set("grpc.max_receive_message_length", connection.maxMessageBytes);
  set("grpc.max_send_message_length", connection.maxMessageBytes);
  return options;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let authenticator = options.authenticator;
  const server = new Server({
    ...channelOptions(options.connection),
    // The last interceptor is the outermost: admission sees the headers after
    // the observer has started the call's log line, and a call it refuses is
    // logged like any other.
    interceptors: [
      callObserver(options.log, options.metrics),
      admission({
        authenticator: () => authenticator,
        protectedPrefix: `/${MEMORY_SERVICE_NAME}/`,
        requestReadTimeoutMs: options.connection?.requestReadTimeoutMs ?? 10_000,
      }),
    ],
  });
  let store: MemoryStore | undefined;
  const health = new HealthMonitor(options.log);
  const context: ServiceContext = {
    log: options.log,
    maxCallDurationMs: options.maxCallDurationMs ?? 30_000,
    maxMessageBytes: options.connection?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    store: () => {
      if (!store) throw new UnavailableError("storage is not ready yet");
      // Fail fast while the probe says the database is down, instead of
      // letting every call wait for a connection until its deadline.
      if (!health.storageUp) throw new UnavailableError("storage is unreachable; retry later");
      return store;
    },
    // A call found the database unreachable: probe it now rather than at
    // the next interval; the probe, not the call, decides the state.
    // (While it is down, calls fail fast and the probe runs every second.)
    storageUnavailable: () => {
      if (health.storageUp) health.probeNow();
    },
  };
  if (!installCompressedFlagGuard())
    options.log.warn("this grpc-js has no decompressMessage to guard: messages flagged compressed without grpc-encoding are not refused");
  server.addService(strictMemoryServiceDefinition, memoryServiceHandlers(context));
  health.addToServer(server);
  createReflectionService().addToServer(server);
  options.register?.(server);
  if (options.metrics) {
    const metrics = options.metrics;
    health.onStorageChange((up) => metrics.setStorageUp(up));
  }

  const { credentials, loaded } = serverCredentials(options.tls);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.listen, credentials, (err, boundPort) => (err ? reject(err) : resolve(boundPort))),
  );
  await loaded;

  const running: RunningServer = {
    port,
    health,
    attachStore(opened) {
      store = opened;
      options.metrics?.watchPool(() => opened.poolStats?.());
      health.setStorageUp(true);
    },
    setAuthenticator(next) {
      authenticator = next;
    },
    async drain({ delayMs, graceMs }) {
      health.beginShutdown();
      if (delayMs > 0) await sleep(delayMs);
      health.endWatches();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          options.log.warn({ graceMs }, "in-flight calls outlived the shutdown grace period; cancelling them");
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
  if (options.store) running.attachStore(options.store);
  return running;
}
