#!/usr/bin/env node
/**
 * The memoryd process: parse configuration, open storage, serve until
 * SIGTERM or SIGINT, then drain and exit 0.
 *
 * @module
 */
import { pino } from "pino";
import { parseConfig } from "./config.js";
import { startServer } from "./server.js";
import { UnavailableError } from "./storage/errors.js";
import { openStore } from "./storage/open.js";
import type { MemoryStore } from "./storage/store.js";

const config = parseConfig(process.argv.slice(2));
const log = pino({ level: config.logLevel, base: { service: "memoryd" } });

/**
 * Opens the store, retrying while the database is unreachable: replicas
 * often start before their database, and several replicas creating the
 * same schema at once can drop a connection (FerretDB does).
 */
async function openStoreWhenReachable(url: string, timeoutMs: number): Promise<MemoryStore> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 5000)) {
    try {
      return await openStore(url);
    } catch (err) {
      if (!(err instanceof UnavailableError) || Date.now() + delayMs > deadline) throw err;
      log.warn({ err, retryInMs: delayMs }, "storage unreachable, retrying");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

try {
  const store = await openStoreWhenReachable(config.storage, config.storageStartupTimeoutMs);
  const server = await startServer({ listen: config.listen, store, log });
  log.info({ listen: config.listen, port: server.port, backend: store.backend }, "memoryd serving");

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down");
    await server.shutdown(config.shutdownGraceMs);
    await store.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} catch (err) {
  log.fatal({ err }, "memoryd failed to start");
  process.exit(1);
}
