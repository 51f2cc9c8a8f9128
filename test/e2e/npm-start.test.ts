/**
 * `npm start` as a user runs it, a real npm process: with nothing changed
 * it does not compile again, and a signal to the npm process (or to its
 * whole process group, as Ctrl-C in a terminal sends) drains and stops the
 * server: exit 0, "stopped" logged, no server process left, nothing
 * listening.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repositoryRoot } from "../../testkit/paths.js";
import { tempDir } from "../helpers/temp.js";

const root = repositoryRoot();
const dir = tempDir();
const buildInfo = join(root, "dist", "tsconfig.build.tsbuildinfo");

interface NpmStart {
  readonly npm: ChildProcess;
  /** The server's process: npm's child, since the start script execs node. */
  readonly serverPid: number;
  readonly port: number;
  readonly output: () => string;
  readonly messages: () => string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

afterEach(() => {
  // A failed case leaves nothing running: npm runs in a process group of its own.
  for (const npm of started.splice(0)) {
    if (npm.exitCode === null && npm.signalCode === null) {
      try {
        process.kill(-npm.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
});

async function npmStart(name: string, extraArgs: string[] = []): Promise<NpmStart> {
  const args = ["start", "--", "--listen", "127.0.0.1:0", "--storage", `sqlite://${join(dir, `${name}.db`)}`, ...extraArgs];
  // Its own process group, like a shell's job; signals at their defaults, as in a terminal.
  const npm = spawn("npm", args, { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  started.push(npm);
  let output = "";
  npm.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.on("close", (code, signal) => resolve({ code, signal })),
  );
  const messages = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; port?: number });
  const deadline = Date.now() + 15_000;
  let serving = messages().find((m) => m.msg === "memoryd serving");
  for (; !serving; serving = messages().find((m) => m.msg === "memoryd serving")) {
    if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm start exited before serving:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start not serving within 15 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(npm.pid)], { encoding: "utf8" })
    .trim()
    .split("\n");
  expect(children, "npm's only child is the server itself, not a shell around it").toHaveLength(1);
  expect(children[0]).toMatch(/^\s*\d+ node dist\/src\/main\.js /);
  return {
    npm,
    serverPid: Number.parseInt(children[0]!, 10),
    port: serving.port!,
    output: () => output,
    messages: () => messages().map((m) => m.msg),
    exited,
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

describe("npm start", () => {
  it("starts without compiling again when nothing changed, and SIGTERM to the npm process stops the server", async () => {
    const compiledAt = statSync(buildInfo).mtimeMs; // the global set-up compiled dist/
    const start = await npmStart("term");
    expect(statSync(buildInfo).mtimeMs, "prestart compiled although nothing changed").toBe(compiledAt);
    expect(await accepts(start.port)).toBe(true);

    process.kill(start.npm.pid!, "SIGTERM");
    expect(await start.exited, start.output()).toEqual({ code: 0, signal: null });
    expect(start.messages()).toContain("stopped");
    expect(alive(start.serverPid), "the server process is still running").toBe(false);
    expect(await accepts(start.port), "something still listens on the server's port").toBe(false);
  });

  it("SIGINT to the whole process group (Ctrl-C in a terminal) drains once and exits 0, though npm passes its copy on", async () => {
    // The shutdown delay keeps the server draining while npm's copy of the signal arrives.
    const start = await npmStart("int", ["--shutdown-delay-ms", "500"]);
    process.kill(-start.npm.pid!, "SIGINT");
    expect(await start.exited, start.output()).toEqual({ code: 0, signal: null });
    expect(start.messages()).toContain("stopped");
    expect(start.messages()).not.toContain("second signal: exiting without waiting for in-flight calls");
    expect(alive(start.serverPid)).toBe(false);
    expect(await accepts(start.port)).toBe(false);
  });
});
