/**
 * The generated Go client: `go test ./clients/go/` against a live server.
 * Each Go test is reported here as a test of its own.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../../testkit/server-process.js";
import { backend } from "../support/backends.js";

const root = join(import.meta.dirname, "..", "..");

interface GoEvent {
  Action: string;
  Test?: string;
  Output?: string;
}

async function runGoTests(): Promise<{ results: Map<string, { outcome: string; output: string }>; output: string }> {
  const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", backend("sqlite").storageUrl()] });
  try {
    const run = spawnSync("go", ["test", "-count=1", "-json", "./clients/go/"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, MEMORYD_ADDRESS: server.address },
      timeout: 300_000,
    });
    const results = new Map<string, { outcome: string; output: string }>();
    for (const line of run.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const event = JSON.parse(line) as GoEvent;
      if (!event.Test) continue;
      const entry = results.get(event.Test) ?? { outcome: "running", output: "" };
      if (event.Action === "output") entry.output += event.Output ?? "";
      if (event.Action === "pass" || event.Action === "fail" || event.Action === "skip") entry.outcome = event.Action;
      results.set(event.Test, entry);
    }
    // Without Go (the global set-up insists on it) this says so: spawn go ENOENT.
    return { results, output: `${run.error?.message ?? ""}\n${run.stdout?.slice(-4000) ?? ""}${run.stderr ?? ""}` };
  } finally {
    await server.stop();
  }
}

const { results, output } = await runGoTests();

describe("Go client (go test)", () => {
  it("ran go test and collected its tests", () => {
    expect(results.size, output).toBeGreaterThan(0);
  });
  for (const [name, result] of results) {
    it(name, () => {
      expect(result.outcome, result.output).toBe("pass");
    });
  }
});
