/**
 * Command-line flags and their environment variables, parsed by commander:
 * every flag has an `MEMORYD_*` variable, the flag wins over the variable,
 * and `--help` lists both with their defaults.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";

export interface Config {
  readonly listen: string;
  readonly storage: string;
  readonly logLevel: string;
  readonly shutdownGraceMs: number;
  readonly storageStartupTimeoutMs: number;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const program = new Command("memoryd")
    .description("gRPC service that keeps long-term user memories for AI agents")
    .addOption(
      new Option("--listen <host:port>", "address to serve gRPC on; port 0 picks a free port")
        .env("MEMORYD_LISTEN")
        .default("127.0.0.1:50051"),
    )
    .addOption(
      new Option("--storage <url>", "storage URL: sqlite://<path>")
        .env("MEMORYD_STORAGE_URL")
        .default("sqlite://./data/memoryd.db"),
    )
    .addOption(
      new Option("--storage-startup-timeout-ms <ms>", "how long to keep retrying an unreachable database at start before exiting")
        .env("MEMORYD_STORAGE_STARTUP_TIMEOUT_MS")
        .argParser(nonNegativeInteger)
        .default(30_000),
    )
    .addOption(
      new Option("--log-level <level>", "minimum level of the JSON log lines on stdout")
        .env("MEMORYD_LOG_LEVEL")
        .choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .default("info"),
    )
    .addOption(
      new Option("--shutdown-grace-ms <ms>", "on SIGTERM/SIGINT, how long in-flight calls may run before they are cancelled")
        .env("MEMORYD_SHUTDOWN_GRACE_MS")
        .argParser(nonNegativeInteger)
        .default(10_000),
    );
  const saved = process.env;
  process.env = env; // commander reads environment variables from process.env
  try {
    program.parse(argv, { from: "user" });
  } finally {
    process.env = saved;
  }
  return program.opts<Config>();
}
