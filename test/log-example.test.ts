/**
 * The README shows one per-call log line under "Logs, metrics, traces".
 * This starts the real server process, makes the call the example shows
 * (CreateUserMemory with a bearer token and a W3C traceparent, no
 * x-request-id), and checks that the example has exactly the keys of the
 * line the server printed, in its order, and for each key a value of the
 * same shape: values that differ from run to run (ids, times, durations,
 * ports) need only have the same form; everything else must be equal.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Metadata } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryClient } from "../testkit/client.js";
import { type ServerProcess, spawnServer } from "../testkit/server-process.js";
import { tempDir } from "./helpers/temp.js";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

/** The first ```json block of the README's "### Logs, metrics, traces" section, parsed. */
function documentedCallLine(): Record<string, unknown> {
  const start = readme.indexOf("\n### Logs, metrics, traces\n");
  expect(start, "README section 'Logs, metrics, traces'").toBeGreaterThan(0);
  const body = readme.slice(readme.indexOf("\n", start + 1));
  const next = body.search(/^#{1,3} /m);
  const section = next < 0 ? body : body.slice(0, next);
  const block = /^```json\n([\s\S]*?)^```/m.exec(section);
  expect(block, "a ```json block in 'Logs, metrics, traces'").not.toBeNull();
  return JSON.parse(block![1]!) as Record<string, unknown>;
}

/**
 * A value's form: the kinds of value that change between runs are named by
 * their format; any other value stands for itself, so it must be equal.
 */
function shape(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value > 1e12 && value < 1e14) return "epoch milliseconds";
    return value === 30 ? "30" : "number"; // 30 is pino's "info"; durations vary
  }
  if (typeof value !== "string") return `${typeof value}: ${JSON.stringify(value)}`;
  const formats: [string, RegExp][] = [
    ["UUID", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ["32 hex digits", /^[0-9a-f]{32}$/],
    ["16 hex digits", /^[0-9a-f]{16}$/],
    ["IPv4 address:port", /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/],
    ["IPv6 address:port", /^[0-9a-f:.]*:[0-9a-f:.]*:\d{1,5}$/i],
  ];
  for (const [name, pattern] of formats) if (pattern.test(value)) return name;
  return JSON.stringify(value);
}

function shapes(line: Record<string, unknown>): [string, string][] {
  return Object.entries(line).map(([key, value]) => [key, shape(value)]);
}

describe("the README's log example", () => {
  const dir = tempDir();
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("has the keys, order and value formats of the call line the server prints", async () => {
    const example = documentedCallLine();
    const tokens = join(dir, "tokens.json");
    const token = "acme-agents-token-0123456789";
    writeFileSync(tokens, JSON.stringify({ tokens: [{ name: String(example.principal), token, user_prefixes: ["acme:"] }] }));
    server = await spawnServer({
      args: ["--listen", "127.0.0.1:0", "--storage", `sqlite://${join(dir, "log.db")}`, "--auth-token-file", tokens],
    });
    const client = new MemoryClient(server.address);
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    metadata.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    await client.create({ userMemory: { userId: "acme:ada", memory: "Prefers dark mode", topics: ["ui"] } }, { metadata });
    client.close();
    const printed = await server.waitForLog((entry) => entry.msg === "call" && String(entry.method).endsWith("/CreateUserMemory"));

    // Received: the README's example; expected: the line the server printed.
    expect(Object.keys(example), "keys of the README's call line").toEqual(Object.keys(printed));
    expect(shapes(example), "value formats of the README's call line").toEqual(shapes(printed));
  });
});
