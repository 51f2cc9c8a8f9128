/**
 * Prometheus metrics (prom-client), served over HTTP on their own port so
 * that scraping never competes with gRPC traffic or needs a token.
 *
 * Call metrics follow the OpenTelemetry RPC semantic conventions: the
 * histogram `rpc.server.duration` (milliseconds) with the attributes
 * `rpc.system`, `rpc.service`, `rpc.method` and `rpc.grpc.status_code`, in
 * Prometheus form `rpc_server_duration_milliseconds{rpc_system=...}`. Its
 * `_count` series is the number of calls per method and status code.
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PoolStats } from "./storage/store.js";

/** Milliseconds; finer at the low end than OTel's default, since most calls take well under one. */
const DURATION_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export class Metrics {
  readonly registry = new Registry();
  readonly #rpcDuration: Histogram<"rpc_system" | "rpc_service" | "rpc_method" | "rpc_grpc_status_code">;
  readonly #storageUp: Gauge;
  #pool: () => PoolStats | undefined = () => undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.#rpcDuration = new Histogram({
      name: "rpc_server_duration_milliseconds",
      help: "Duration of inbound RPCs (OpenTelemetry rpc.server.duration), by service, method and gRPC status code",
      labelNames: ["rpc_system", "rpc_service", "rpc_method", "rpc_grpc_status_code"],
      buckets: DURATION_BUCKETS_MS,
      registers: [this.registry],
    });
    this.#storageUp = new Gauge({
      name: "memoryd_storage_up",
      help: "1 while the storage backend answers its health probe, else 0",
      registers: [this.registry],
    });
    const pool = () => this.#pool();
    new Gauge({
      name: "memoryd_storage_pool_connections",
      help: "Database connections of the storage pool, by state (open, idle, waiting = operations queued for one)",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        const stats = pool();
        if (!stats) return;
        this.set({ state: "open" }, stats.open);
        this.set({ state: "idle" }, stats.idle);
        this.set({ state: "waiting" }, stats.waiting);
      },
    });
  }

  /** `path` is the gRPC method path, `/package.Service/Method`. */
  observeCall(path: string, code: number, durationMs: number): void {
    const slash = path.lastIndexOf("/");
    this.#rpcDuration.observe(
      {
        rpc_system: "grpc",
        rpc_service: path.slice(1, slash),
        rpc_method: path.slice(slash + 1),
        rpc_grpc_status_code: String(code),
      },
      durationMs,
    );
  }

  setStorageUp(up: boolean): void {
    this.#storageUp.set(up ? 1 : 0);
  }

  /** Where pool gauges come from; a store without a pool reports none. */
  watchPool(stats: () => PoolStats | undefined): void {
    this.#pool = stats;
  }

  /** Serves `/metrics` on `host:port`; resolves with the bound server. */
  async serve(listen: string): Promise<Server> {
    const colon = listen.lastIndexOf(":");
    const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const port = Number(listen.slice(colon + 1));
    const server = createServer((req, res) => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
        res.writeHead(404).end("not found: metrics are at /metrics\n");
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": this.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    return server;
  }
}

export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
