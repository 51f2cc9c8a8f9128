/**
 * Assembles the gRPC server: MemoryService over a store, grpc.health.v1 and
 * server reflection.
 *
 * @module
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import { createReflectionService } from "./reflection.js";
import { memoryServiceHandlers, strictMemoryServiceDefinition } from "./service.js";
import type { MemoryStore } from "./storage/store.js";

export const MEMORY_SERVICE_NAME = "memory.v1.MemoryService";

export interface ServerOptions {
  /** `host:port`; port 0 picks a free one. */
  readonly listen: string;
  readonly store: MemoryStore;
  readonly log: Logger;
}

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly health: HealthImplementation;
  /**
   * Stops accepting calls, lets in-flight calls finish for up to `graceMs`,
   * then cancels whatever is left. Does not close the store.
   */
  shutdown(graceMs: number): Promise<void>;
}

function setServing(health: HealthImplementation, serving: boolean): void {
  const status = serving ? "SERVING" : "NOT_SERVING";
  health.setStatus("", status);
  health.setStatus(MEMORY_SERVICE_NAME, status);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const server = new Server();
  server.addService(strictMemoryServiceDefinition, memoryServiceHandlers(options.store, options.log));
  const health = new HealthImplementation();
  setServing(health, false);
  health.addToServer(server);
  createReflectionService().addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.listen, ServerCredentials.createInsecure(), (err, boundPort) =>
      err ? reject(err) : resolve(boundPort),
    ),
  );
  setServing(health, true);

  return {
    port,
    health,
    shutdown: async (graceMs) => {
      setServing(health, false);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
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
}
