/**
 * Command-line flags and their environment variables, parsed by commander:
 * every flag has an `MEMORYD_*` variable, the flag wins over the variable,
 * and `--help` lists both with their defaults. The README's "Operating
 * memoryd" table is checked against this list by a test.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { type ConnectionOptions, DEFAULT_MAX_MESSAGE_BYTES } from "./server.js";
import type { TlsOptions } from "./tls.js";

export interface Config {
  readonly listen: string;
  readonly storage: string;
  readonly storageStartupTimeoutMs: number;
  readonly healthProbeIntervalMs: number;
  readonly healthProbeTimeoutMs: number;
  readonly shutdownDelayMs: number;
  readonly shutdownGraceMs: number;
  readonly maxCallDurationMs: number;
  /** 0: expired memories are never removed (reads skip them all the same). */
  readonly expirySweepIntervalMs: number;
  readonly connection: ConnectionOptions;
  readonly tls: TlsOptions | undefined;
  readonly authTokenFile: string | undefined;
  readonly metricsListen: string | undefined;
  readonly logLevel: string;
}

/**
 * The smallest message size limit memoryd accepts: room for the largest
 * single memory (16 KiB text, 64 KiB input, 32 topics, ids) many times
 * over, so that every page and response can hold at least one.
 */
const MIN_MESSAGE_BYTES = 256 * 1024;

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

/** An option with its environment variable, by default MEMORYD_ and the flag name. */
function option(flags: string, description: string, env?: string): Option {
  const name = flags.replace(/^--([a-z0-9-]+).*$/, "$1");
  return new Option(flags, description).env(env ?? `MEMORYD_${name.toUpperCase().replaceAll("-", "_")}`);
}

const integer = (flags: string, description: string, fallback: number) =>
  option(flags, description).argParser(nonNegativeInteger).default(fallback);

/** The flags, in the order `--help` and the README list them. */
export function memorydCommand(): Command {
  return new Command("memoryd")
    .description("gRPC service that keeps long-term user memories for AI agents")
    .helpOption("-h, --help", "show the flags, their environment variables and defaults")
    .addOption(option("--listen <host:port>", "gRPC address; port 0 picks a free port").default("127.0.0.1:50051"))
    .addOption(
      option("--storage <url>", "storage backend: sqlite://<path>, postgres://... or mongodb://...", "MEMORYD_STORAGE_URL").default(
        "sqlite://./data/memoryd.db",
      ),
    )
    .addOption(
      integer("--storage-startup-timeout-ms <ms>", "how long to keep retrying an unreachable database at start before exiting 1", 30_000),
    )
    .addOption(integer("--health-probe-interval-ms <ms>", "how often the database is pinged to drive health status", 5_000))
    .addOption(integer("--health-probe-timeout-ms <ms>", "a ping slower than this marks storage unreachable", 2_000))
    .addOption(
      integer(
        "--expiry-sweep-interval-ms <ms>",
        "how often expired memories are removed from storage; 0: never (reads skip them anyway)",
        60_000,
      ),
    )
    .addOption(integer("--shutdown-delay-ms <ms>", "on SIGTERM/SIGINT, how long to keep accepting calls after health turns NOT_SERVING", 0))
    .addOption(integer("--shutdown-grace-ms <ms>", "then, how long in-flight calls may run before they are cancelled", 10_000))
    .addOption(
      integer(
        "--max-call-duration-ms <ms>",
        "the longest a call may run, whatever deadline the client sets (also its database time limit)",
        30_000,
      ),
    )
    .addOption(integer("--keepalive-time-ms <ms>", "ping a client connection after this long without activity", 7_200_000))
    .addOption(integer("--keepalive-timeout-ms <ms>", "close a connection whose keepalive ping is not answered within this", 20_000))
    .addOption(integer("--max-connection-age-ms <ms>", "send GOAWAY to connections older than this so clients rebalance; 0: never", 0))
    .addOption(integer("--max-connection-age-grace-ms <ms>", "how long calls on an aged connection may still finish; 0: no limit", 0))
    .addOption(integer("--max-connection-idle-ms <ms>", "close connections without calls for this long; 0: never", 0))
    .addOption(integer("--max-concurrent-streams <n>", "concurrent calls per connection; 0: no limit", 100))
    .addOption(
      integer(
        "--max-message-bytes <bytes>",
        `largest request or response message; at least ${MIN_MESSAGE_BYTES}; pages are cut to fit it`,
        DEFAULT_MAX_MESSAGE_BYTES,
      ),
    )
    .addOption(integer("--request-read-timeout-ms <ms>", "how long a request message may take to arrive after the call's headers", 10_000))
    .addOption(option("--tls-cert <file>", "PEM certificate chain; enables TLS (with --tls-key)"))
    .addOption(option("--tls-key <file>", "PEM private key for --tls-cert"))
    .addOption(option("--tls-client-ca <file>", "PEM CA bundle; clients must present a certificate it signed (mTLS)"))
    .addOption(
      integer("--tls-refresh-ms <ms>", "how often certificate files are re-read, so rotated certificates apply without a restart", 60_000),
    )
    .addOption(
      option("--auth-token-file <file>", "JSON file of bearer tokens and their user scopes; unset: no authentication (re-read on SIGHUP)"),
    )
    .addOption(option("--metrics-listen <host:port>", "serve Prometheus metrics at http://<host:port>/metrics; unset: off"))
    .addOption(
      option("--log-level <level>", "minimum level of the JSON log lines on stdout (one per call at info)")
        .choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .default("info"),
    );
}

interface RawOptions {
  listen: string;
  storage: string;
  storageStartupTimeoutMs: number;
  healthProbeIntervalMs: number;
  healthProbeTimeoutMs: number;
  shutdownDelayMs: number;
  shutdownGraceMs: number;
  maxCallDurationMs: number;
  expirySweepIntervalMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
  maxConnectionIdleMs: number;
  maxConcurrentStreams: number;
  maxMessageBytes: number;
  requestReadTimeoutMs: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tlsRefreshMs: number;
  authTokenFile?: string;
  metricsListen?: string;
  logLevel: string;
}

/** 0 means "gRPC's default" for limits that are unlimited by default. */
const unlessZero = (n: number) => (n === 0 ? undefined : n);

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const program = memorydCommand();
  const saved = process.env;
  process.env = env; // commander reads environment variables from process.env
  try {
    program.parse(argv, { from: "user" });
  } finally {
    process.env = saved;
  }
  const o = program.opts<RawOptions>();
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) program.error("error: --tls-cert and --tls-key go together");
  if (o.tlsClientCa !== undefined && o.tlsCert === undefined) program.error("error: --tls-client-ca needs --tls-cert and --tls-key");
  if (o.maxMessageBytes < MIN_MESSAGE_BYTES) program.error(`error: --max-message-bytes must be at least ${MIN_MESSAGE_BYTES}`);
  if (o.requestReadTimeoutMs === 0) program.error("error: --request-read-timeout-ms must be positive");
  return {
    listen: o.listen,
    storage: o.storage,
    storageStartupTimeoutMs: o.storageStartupTimeoutMs,
    healthProbeIntervalMs: o.healthProbeIntervalMs,
    healthProbeTimeoutMs: o.healthProbeTimeoutMs,
    shutdownDelayMs: o.shutdownDelayMs,
    shutdownGraceMs: o.shutdownGraceMs,
    maxCallDurationMs: o.maxCallDurationMs,
    expirySweepIntervalMs: o.expirySweepIntervalMs,
    connection: {
      keepaliveTimeMs: o.keepaliveTimeMs,
      keepaliveTimeoutMs: o.keepaliveTimeoutMs,
      maxConnectionAgeMs: unlessZero(o.maxConnectionAgeMs),
      maxConnectionAgeGraceMs: unlessZero(o.maxConnectionAgeGraceMs),
      maxConnectionIdleMs: unlessZero(o.maxConnectionIdleMs),
      maxConcurrentStreams: unlessZero(o.maxConcurrentStreams),
      maxMessageBytes: o.maxMessageBytes,
      requestReadTimeoutMs: o.requestReadTimeoutMs,
    },
    tls:
      o.tlsCert && o.tlsKey
        ? { certFile: o.tlsCert, keyFile: o.tlsKey, clientCaFile: o.tlsClientCa, refreshMs: o.tlsRefreshMs }
        : undefined,
    authTokenFile: o.authTokenFile || undefined,
    metricsListen: o.metricsListen || undefined,
    logLevel: o.logLevel,
  };
}
