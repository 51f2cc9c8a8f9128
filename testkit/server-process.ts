import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { repositoryRoot } from "./paths.js";

export const MAIN = join(repositoryRoot(), "dist", "src", "main.js");

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly address: string;
  /** Every stdout line so far, parsed from JSON where possible. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the first log line matching `predicate`, waiting for it if need be. */
  waitForLog(predicate: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process has exited and its output has all been read. */
  readonly exited: Promise<number | null>;
}

export interface SpawnOptions {
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Resolve once the gRPC port is bound ("listening") or storage is open too ("serving", default). */
  until?: "listening" | "serving";
  /** Keep the per-call log lines (default); long runs drop them to stay small. */
  keepCallLogs?: boolean;
  /** Node flags before the script, e.g. `--expose-gc`, `--import <module>` (none by default). */
  nodeArgs?: string[];
  /** Open an IPC channel to the child (`child.send`, `child.on("message")`); off by default. */
  ipc?: boolean;
}

function spawnChild(options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
}

/**
 * Starts the compiled server (`dist/src/main.js`, as `npm start` runs it)
 * and resolves once it logs that it is listening or serving. Pass
 * `--listen 127.0.0.1:0` (or MEMORYD_LISTEN) to get a free port.
 */
export function spawnServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  const child = spawnChild(options);
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  // "close", not "exit": exit can come before the last of stdout has been read, and tests read the log after it.
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const waitForLog = (predicate: (entry: Record<string, unknown>) => boolean, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const found = logs.find(predicate);
        if (found) return resolve(found);
        if (Date.now() - started > timeoutMs) return reject(new Error(`no matching log line in ${JSON.stringify(logs)}`));
        setTimeout(poll, 20);
      };
      poll();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}${JSON.stringify(logs)}`)), 20_000);
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (options.keepCallLogs === false && line.includes('"msg":"call"')) continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = { raw: line };
        }
        logs.push(entry);
        if (entry.msg === `memoryd ${options.until ?? "serving"}`) {
          clearTimeout(timer);
          const port = entry.port as number;
          resolve({
            child,
            port,
            address: `127.0.0.1:${port}`,
            logs,
            stderr: () => stderr,
            exited,
            waitForLog,
            stop: (signal = "SIGTERM") => {
              child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving: ${stderr}${JSON.stringify(logs)}`));
    });
  });
}

/** Runs the server expecting it to fail at start; resolves with its exit code and output. */
export function runToExit(options: SpawnOptions): Promise<{ code: number | null; output: string }> {
  const child = spawnChild(options);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}
