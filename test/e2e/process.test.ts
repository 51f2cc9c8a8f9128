import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryClient } from "../../testkit/client.js";
import { runToExit, spawnServer } from "../../testkit/server-process.js";
import { tempDir } from "../helpers/temp.js";

describe("the memoryd process", () => {
  const dir = tempDir();

  it("serves on the default SQLite path, exits 0 on SIGTERM, and keeps data for the next start", async () => {
    const first = await spawnServer({ cwd: dir, args: ["--listen", "127.0.0.1:0"] });
    expect(first.logs.at(-1)).toMatchObject({ msg: "memoryd serving", backend: "sqlite" });
    const client = new MemoryClient(first.address);
    const { userMemory } = await client.create({ userMemory: { userId: "u", memory: "survives restarts" } });
    client.close();
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.logs.map((l) => l.msg)).toContain("stopped");
    expect(existsSync(join(dir, "data", "memoryd.db"))).toBe(true);

    const second = await spawnServer({ cwd: dir, env: { MEMORYD_LISTEN: "127.0.0.1:0" } });
    const again = new MemoryClient(second.address);
    expect((await again.get({ userId: "u", memoryId: userMemory!.memoryId })).userMemory).toEqual(userMemory);
    again.close();
    expect(await second.stop("SIGINT")).toBe(0);
  });

  it("takes the storage URL from MEMORYD_STORAGE_URL, and a flag over the variable", async () => {
    const fromEnv = join(dir, "env.db");
    const fromFlag = join(dir, "flag.db");
    const server = await spawnServer({
      args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${fromFlag}`],
      env: { MEMORYD_STORAGE_URL: `sqlite://${fromEnv}` },
    });
    expect(await server.stop()).toBe(0);
    expect(existsSync(fromFlag)).toBe(true);
    expect(existsSync(fromEnv)).toBe(false);
  });

  it("stops on SIGTERM even when nobody reads its log any more", async () => {
    const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${join(dir, "closed-stdout.db")}`] });
    server.child.stdout!.destroy(); // the log collector went away
    const client = new MemoryClient(server.address);
    await client.create({ userMemory: { userId: "u", memory: "a call, and so a log line nobody will read" } });
    client.close();
    const exit = await Promise.race([server.stop("SIGTERM"), new Promise((resolve) => setTimeout(() => resolve("still running"), 8000))]);
    if (exit === "still running") server.child.kill("SIGKILL");
    expect(exit).toBe(0);
  });

  it("refuses a SQLite path that cannot hold a database at once, saying why, instead of hanging or retrying", async () => {
    for (const [path, reason] of [
      ["/proc/nope/x.db", "cannot create the directory /proc/nope"],
      ["/etc/hostname/x.db", "/etc/hostname: it is not a directory"],
      ["/proc/x.db", "cannot open the database /proc/x.db"],
    ]) {
      const started = Date.now();
      const run = await runToExit({ args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${path}`] });
      expect(run.code, path).toBe(1);
      expect(run.output).toContain(reason);
      expect(Date.now() - started, path).toBeLessThan(10_000); // not the 30 s an unreachable database is waited for
    }
  });

  it("logs where the data goes: the storage URL, and SQLite's database file as an absolute path", async () => {
    const server = await spawnServer({ cwd: dir, args: ["--listen", "127.0.0.1:0", "--storage", "sqlite://relative/here.db"] });
    const location = { storage: "sqlite://relative/here.db", sqliteFile: join(dir, "relative", "here.db") };
    expect(server.logs.find((l) => l.msg === "memoryd listening")).toMatchObject(location);
    expect(server.logs.find((l) => l.msg === "memoryd serving")).toMatchObject({ backend: "sqlite", ...location });
    expect(await server.stop()).toBe(0);
    expect(existsSync(location.sqliteFile)).toBe(true);

    const byDefault = await spawnServer({ cwd: dir, args: ["--listen", "127.0.0.1:0"] });
    expect(byDefault.logs.find((l) => l.msg === "memoryd serving")).toMatchObject({ sqliteFile: join(dir, "data", "memoryd.db") });
    expect(await byDefault.stop()).toBe(0);
  });

  it("logs the storage URL without its secrets", async () => {
    // Nothing listens on port 1: the server keeps retrying, and has logged the URL before the first try.
    const url = "postgres://memoryd:s3cret@127.0.0.1:1/memoryd?password=s3cret&schema=m";
    const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", url], until: "listening" });
    expect(server.logs.find((l) => l.msg === "memoryd listening")).toMatchObject({
      storage: "postgres://***@127.0.0.1:1/memoryd?password=***&schema=m",
    });
    expect(await server.stop()).toBe(0);
    expect(JSON.stringify(server.logs) + server.stderr()).not.toContain("s3cret");
  });

  it("takes a repeat of the shutdown signal within 500 ms as the same request, and a later one as 'stop now'", async () => {
    const args = (delayMs: number) => [
      "--listen",
      "127.0.0.1:0",
      "--storage",
      `sqlite://${join(dir, "signals.db")}`,
      "--shutdown-delay-ms",
      String(delayMs),
    ];
    const repeated = await spawnServer({ args: args(1000) });
    repeated.child.kill("SIGTERM");
    repeated.child.kill("SIGTERM"); // as when npm passes on a signal the process group also got
    expect(await repeated.exited).toBe(0);
    expect(repeated.logs.map((l) => l.msg)).toContain("stopped");
    expect(repeated.logs.map((l) => l.msg)).not.toContain("second signal: exiting without waiting for in-flight calls");

    const second = await spawnServer({ args: args(5000) });
    second.child.kill("SIGINT");
    await second.waitForLog((l) => l.msg === "shutting down");
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await second.stop("SIGINT")).toBe(1);
    expect(second.logs.map((l) => l.msg)).toContain("second signal: exiting without waiting for in-flight calls");
  });

  it("exits non-zero with a clear message on bad configuration", async () => {
    const badUrl = await runToExit({ args: ["--listen", "127.0.0.1:0", "--storage", "redis://localhost"] });
    expect(badUrl.code).toBe(1);
    expect(badUrl.output).toContain('unsupported storage URL \\"redis://localhost\\"');
    const badNumber = await runToExit({ args: ["--shutdown-grace-ms", "soon"] });
    expect(badNumber.code).not.toBe(0);
    expect(badNumber.output).toContain("must be a non-negative integer");
    const help = await runToExit({ args: ["--help"] });
    expect(help.code).toBe(0);
    expect(help.output).toContain("MEMORYD_STORAGE_URL");
  });
});
