#!/usr/bin/env node
/**
 * The memoryd process: parse configuration, bind (health NOT_SERVING), open
 * storage (retrying while it is unreachable), serve, and on SIGTERM or
 * SIGINT drain and exit 0. SIGHUP re-reads the token file.
 * `memoryd import ...` instead copies an Agno store in (src/import/).
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { TokenAuthenticator } from "./auth.js";
import { parseConfig } from "./config.js";
import { DEFAULT_EXPIRY_SWEEP, startExpirySweeper } from "./expiry-sweeper.js";
import { runImport } from "./import/cli.js";
import { createProcessLogger } from "./logging.js";
import { boundPort, Metrics } from "./metrics.js";
import { startServer } from "./server.js";
import { UnavailableError } from "./storage/errors.js";
import { openStore } from "./storage/open.js";
import type { MemoryStore } from "./storage/store.js";
import { storageLocation } from "./storage-location.js";

if (process.argv[2] === "import") {
  try {
    process.exit(await runImport(process.argv.slice(3)));
  } catch (err) {
    process.stderr.write(`memoryd import: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

const config = parseConfig(process.argv.slice(2));
const { log, flush } = createProcessLogger(config.logLevel);
/** Exits once the buffered log lines are out (or could not be written). */
const exit = async (code: number): Promise<never> => {
  await flush();
  process.exit(code);
};

/**
 * Opens the store, retrying while the database is unreachable: replicas
 * often start before their database. Gives up after `timeoutMs`, or
 * returns undefined when shutdown begins first.
 */
async function openStoreWhenReachable(url: string, timeoutMs: number, stop: AbortSignal): Promise<MemoryStore | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 100; !stop.aborted; delayMs = Math.min(delayMs * 2, 5000)) {
    try {
      return await openStore(url);
    } catch (err) {
      if (!(err instanceof UnavailableError) || Date.now() + delayMs > deadline) throw err;
      log.warn({ err, retryInMs: delayMs }, "storage unreachable, retrying");
      await sleep(delayMs, undefined, { signal: stop }).catch(() => {});
    }
  }
  return undefined;
}

function loadTokens(): TokenAuthenticator | undefined {
  return config.authTokenFile ? TokenAuthenticator.load(config.authTokenFile) : undefined;
}

/**
 * A repeat of the first shutdown signal this soon after it is the same
 * request, not a second one: Ctrl-C in a terminal reaches both `npm start`
 * and memoryd, and npm passes its copy on (so does a signal sent to the
 * process group).
 */
const REPEATED_SIGNAL_MS = 500;

try {
  const metrics = new Metrics();
  const location = storageLocation(config.storage);
  const server = await startServer({
    listen: config.listen,
    log,
    tls: config.tls,
    authenticator: loadTokens(),
    metrics,
    connection: config.connection,
    maxCallDurationMs: config.maxCallDurationMs,
  });
  const metricsServer = config.metricsListen ? await metrics.serve(config.metricsListen) : undefined;
  if (config.authTokenFile && !config.tls && !/^(127\.|\[::1\]|localhost:)/.test(config.listen)) {
    log.warn(
      { listen: config.listen },
      "bearer tokens without TLS: tokens cross the network in clear text unless a mesh encrypts the connection",
    );
  }
  log.info(
    {
      listen: config.listen,
      port: server.port,
      ...location,
      tls: config.tls ? (config.tls.clientCaFile ? "mutual" : "server") : "off",
      auth: config.authTokenFile ? "bearer tokens" : "off",
      metricsPort: metricsServer && boundPort(metricsServer),
    },
    "memoryd listening",
  );

  const stopping = new AbortController();
  let store: MemoryStore | undefined;
  let stopSweeper: (() => Promise<void>) | undefined;
  let firstSignal: { signal: NodeJS.Signals; at: number } | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    if (firstSignal) {
      if (signal === firstSignal.signal && performance.now() - firstSignal.at < REPEATED_SIGNAL_MS) return;
      log.warn({ signal }, "second signal: exiting without waiting for in-flight calls");
      await exit(1);
    }
    firstSignal = { signal, at: performance.now() };
    stopping.abort();
    log.info({ signal, delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs }, "shutting down");
    await server.drain({ delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs });
    metricsServer?.close();
    await stopSweeper?.();
    await store?.close();
    log.info("stopped");
    await exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => {
    try {
      const authenticator = loadTokens();
      server.setAuthenticator(authenticator);
      log.info({ tokens: authenticator?.size ?? 0 }, "token file reloaded");
    } catch (err) {
      log.error({ err }, "token file not reloaded; the previous tokens stay in force");
    }
  });

  store = await openStoreWhenReachable(config.storage, config.storageStartupTimeoutMs, stopping.signal);
  if (store && !stopping.signal.aborted) {
    server.attachStore(store);
    server.health.watch(store, { intervalMs: config.healthProbeIntervalMs, timeoutMs: config.healthProbeTimeoutMs });
    if (config.expirySweepIntervalMs > 0)
      stopSweeper = startExpirySweeper(store, { ...DEFAULT_EXPIRY_SWEEP, intervalMs: config.expirySweepIntervalMs }, log);
    log.info({ backend: store.backend, port: server.port, ...location }, "memoryd serving");
  }
} catch (err) {
  log.fatal({ err }, "memoryd failed to start");
  await exit(1);
}
