import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { repositoryRoot } from "../testkit/paths.js";

// The compiled module (the test set-up builds dist/): the logger is about what happens as a process exits.
const LOGGING = join(repositoryRoot(), "dist", "src", "logging.js");

/** Runs `body` in a fresh Node process with `log` and `flush` from createProcessLogger; returns its stdout lines. */
function runLogger(body: string): string[] {
  const script = `import { createProcessLogger } from ${JSON.stringify(LOGGING)};
const { log, flush } = createProcessLogger("info");
${body}`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split("\n").filter(Boolean);
}

it("writes out the last line even when the final flush starts while an earlier batch is still being written", () => {
  // About 11 KiB of lines: the first 8 KiB start a write, and the rest, with the last line, wait in the buffer while it is in flight.
  const lines = runLogger(`for (let i = 0; i < 60; i++) log.info({ i, padding: "x".repeat(100) }, "filler");
log.info("the last line");
await flush();
process.exit(0);`);
  expect(lines).toHaveLength(61);
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ msg: "the last line" });
});

it("drops lines logged once the final flush has begun, instead of throwing", () => {
  const lines = runLogger(`log.info("before");
const flushed = flush();
log.info("during");
await flushed;
log.info("after");
await flush();
process.exit(0);`);
  expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["before"]);
});
