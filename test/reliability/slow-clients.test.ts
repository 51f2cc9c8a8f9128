/**
 * Clients that send headers and then a body slowly, partly or never, over
 * raw HTTP/2 against the real server process: a caller without credentials
 * must not make the server buffer its body, an authenticated one may not
 * hold a partial request forever, and a call cancelled before its request
 * arrived is logged as CANCELLED.
 */

import { writeFileSync } from "node:fs";
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from "node:http2";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rssBytes } from "../../bench/process.js";
import { MemoryClient } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { HealthClient } from "../helpers/health.js";
import { tempDir } from "../helpers/temp.js";

const TOKEN = "slow-clients-token-0123456789";
const ADD = "/memoryd.v1.MemoryService/CreateUserMemory";
/** A 4 MB message, announced in full and sent in part. */
const ANNOUNCED = 4_000_000;

const dir = tempDir();
let server: ServerProcess;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  const tokens = join(dir, "tokens.json");
  writeFileSync(tokens, JSON.stringify({ tokens: [{ name: "tester", token: TOKEN, all_users: true }] }));
  server = await spawnServer({
    args: [
      "--listen",
      "127.0.0.1:0",
      "--storage",
      `sqlite://${join(dir, "m.db")}`,
      "--auth-token-file",
      tokens,
      "--request-read-timeout-ms",
      "300",
    ],
  });
});
afterAll(async () => {
  for (const session of sessions) session.destroy();
  await server?.stop();
});

function session(): ClientHttp2Session {
  // Room for the client's own queued writes (Node's default is 10 MB a session).
  const opened = connect(`http://${server.address}`, { maxSessionMemory: 10_000 });
  opened.on("error", () => {});
  sessions.push(opened);
  return opened;
}

/** Starts a call that announces a 4 MB message and sends `sent` bytes of it, never finishing. */
function partialCall(on: ClientHttp2Session, sent: Buffer, headers: Record<string, string> = {}): ClientHttp2Stream {
  const stream = on.request({ ":method": "POST", ":path": ADD, "content-type": "application/grpc", te: "trailers", ...headers });
  stream.on("error", () => {});
  const frameHeader = Buffer.alloc(5);
  frameHeader.writeUInt32BE(ANNOUNCED, 1);
  stream.write(frameHeader);
  stream.write(sent);
  return stream;
}

/** The grpc-status and grpc-message the server ends `stream` with, or "none" after `timeoutMs`. */
function outcome(stream: ClientHttp2Stream, timeoutMs: number): Promise<{ code: number | "none"; message: string; afterMs: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ code: "none", message: "", afterMs: timeoutMs }), timeoutMs);
    const done = (headers: Record<string, unknown>) => {
      if (headers["grpc-status"] === undefined) return;
      clearTimeout(timer);
      resolve({
        code: Number(headers["grpc-status"]),
        message: decodeURIComponent(String(headers["grpc-message"] ?? "")),
        afterMs: Date.now() - started,
      });
    };
    stream.on("response", done);
    stream.on("trailers", done);
  });
}

describe("slow and partial requests", () => {
  it("answers a call without credentials UNAUTHENTICATED on its headers, without waiting for its body", async () => {
    const stream = partialCall(session(), Buffer.alloc(1024));
    const result = await outcome(stream, 3000);
    expect(result.code).toBe(status.UNAUTHENTICATED);
    stream.close();
  });

  it("does not buffer the bodies of unauthenticated calls: 200 partial 3 MB requests leave memory flat", async () => {
    const chunk = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const before = rssBytes(server.child.pid!);
    const streams = [session(), session()].flatMap((on) => Array.from({ length: 100 }, () => partialCall(on, chunk)));
    const results = await Promise.all(streams.map((stream) => outcome(stream, 10_000)));
    expect(new Set(results.map((r) => r.code))).toEqual(new Set([status.UNAUTHENTICATED]));
    // Give the client time to push what flow control lets through, as an attacker would.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const grownMiB = (rssBytes(server.child.pid!) - before) / 2 ** 20;
    console.log(
      `200 unauthenticated partial 3 MB requests: answered in at most ${Math.max(...results.map((r) => r.afterMs))} ms, server RSS ${(before / 2 ** 20).toFixed(0)} MiB, +${grownMiB.toFixed(1)} MiB`,
    );
    // 600 MB were offered; a server that read them would hold most of them.
    expect(grownMiB).toBeLessThan(64);
    for (const stream of streams) stream.close();
    const health = new HealthClient(server.address);
    expect(await health.check("")).toBe("SERVING");
    health.close();
  });

  it("ends an authenticated call whose message does not arrive in time with DEADLINE_EXCEEDED (REQUEST_TIMEOUT)", async () => {
    const stream = partialCall(session(), Buffer.alloc(1024), { authorization: `Bearer ${TOKEN}` });
    const result = await outcome(stream, 5000);
    expect(result.code).toBe(status.DEADLINE_EXCEEDED);
    expect(result.message).toMatch(/did not arrive within 300 ms/);
    stream.close();
    // A prompt request on the same server is unaffected.
    const metadata = new (await import("@grpc/grpc-js")).Metadata();
    metadata.set("authorization", `Bearer ${TOKEN}`);
    const client = new MemoryClient(server.address);
    expect((await client.create({ userMemory: { userId: "u", memory: "prompt" } }, { metadata })).userMemory?.memory).toBe("prompt");
    client.close();
  });

  it("logs a call the client cancels before sending its request as CANCELLED", async () => {
    const on = session();
    const stream = on.request(
      {
        ":method": "POST",
        ":path": "/memoryd.v1.MemoryService/GetUserMemory",
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${TOKEN}`,
        "x-request-id": "cancelled-early",
      },
      { endStream: false },
    );
    stream.on("error", () => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.close(constants.NGHTTP2_CANCEL);
    const line = await server.waitForLog((entry) => entry.msg === "call" && entry.request_id === "cancelled-early");
    expect(line.code).toBe("CANCELLED");
  });
});
