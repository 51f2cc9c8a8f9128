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
import { openStore } from "./storage/open.js";

const config = parseConfig(process.argv.slice(2));
const log = pino({ level: config.logLevel, base: { service: "memoryd" } });

try {
  const store = await openStore(config.storage);
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
