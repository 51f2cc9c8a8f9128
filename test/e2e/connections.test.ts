/**
 * Connection management and deadlines, against a real server on loopback:
 * message size limits, connection age (GOAWAY, so clients reconnect and
 * rebalance), keepalive pings, and calls whose deadline passed before they
 * could run.
 */

import { randomUUID } from "node:crypto";
import { connect, constants } from "node:http2";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { status } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { CreateUserMemoryRequest } from "../../gen/ts/memoryd/v1/memory_service.js";
import { type ConnectionOptions, type RunningServer, startServer } from "../../src/server.js";
import { openStore } from "../../src/storage/open.js";
import type { MemoryStore } from "../../src/storage/store.js";
import { failure, MemoryClient } from "../../testkit/client.js";
import { captureLogger } from "../helpers/logs.js";
import { backend } from "../support/backends.js";

const sqlite = backend("sqlite");
const running: { server: RunningServer; store: MemoryStore; client: MemoryClient }[] = [];

async function serve(connection: ConnectionOptions) {
  const { log, lines } = captureLogger();
  const store = await openStore(sqlite.storageUrl());
  const server = await startServer({ listen: "127.0.0.1:0", log, store, connection });
  const client = new MemoryClient(`127.0.0.1:${server.port}`);
  running.push({ server, store, client });
  return { server, client, lines, port: server.port };
}

afterAll(async () => {
  for (const { server, store, client } of running) {
    client.close();
    await server.drain({ delayMs: 0, graceMs: 1000 });
    await store.close();
  }
});

/** One gRPC call over a raw HTTP/2 stream, with headers of our choosing. */
function rawCall(port: number, path: string, message: Uint8Array, headers: Record<string, string>) {
  return new Promise<{ status: string | undefined; message: string | undefined }>((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    stream.end(frame);
    let headerStatus: string | undefined;
    let headerMessage: string | undefined;
    stream.on("response", (h) => {
      headerStatus = h["grpc-status"] as string | undefined;
      headerMessage = h["grpc-message"] as string | undefined;
    });
    stream.on("trailers", (t) => {
      headerStatus = t["grpc-status"] as string;
      headerMessage = t["grpc-message"] as string | undefined;
    });
    stream.on("data", () => {});
    stream.on("close", () => {
      session.close();
      resolve({ status: headerStatus, message: headerMessage });
    });
    stream.on("error", reject);
  });
}

describe("connection management", () => {
  it("refuses a request larger than max_message_bytes with RESOURCE_EXHAUSTED before it runs", async () => {
    const { client, lines } = await serve({ maxMessageBytes: 1024 });
    const err = await failure(client.create({ userMemory: { userId: "big", memory: "x".repeat(2000) } }));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    await client.create({ userMemory: { userId: "big", memory: "fits" } });
    expect((await client.list({ userId: "big" })).userMemories.map((m) => m.memory)).toEqual(["fits"]);
    // grpc-js refuses it below the interceptors; the log still says what the client got.
    expect(lines.filter((l) => l.msg === "call").map((l) => l.code)).toEqual(["RESOURCE_EXHAUSTED", "OK", "OK"]);
  });

  it("ages connections out with GOAWAY so clients reconnect, without failing calls", async () => {
    const { client, lines } = await serve({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 2000 });
    const started = Date.now();
    while (Date.now() - started < 1500) {
      await client.create({ userMemory: { userId: "aging", memory: "still fine" } });
      await new Promise((r) => setTimeout(r, 25));
    }
    const calls = lines.filter((l) => l.msg === "call");
    expect(calls.every((l) => l.code === "OK")).toBe(true);
    const peers = new Set(calls.map((l) => l.peer));
    expect(peers.size).toBeGreaterThanOrEqual(3);
  });

  it("sends keepalive pings on an idle connection", async () => {
    const { port } = await serve({ keepaliveTimeMs: 200, keepaliveTimeoutMs: 1000 });
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no keepalive ping within 3 s")), 3000);
        session.once("ping", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      session.close();
    }
  });
});

describe("deadlines", () => {
  it("never executes a call whose deadline passed before it started", async () => {
    const { client, port, lines } = await serve({});
    const userId = `late-${randomUUID()}`;
    const request = CreateUserMemoryRequest.encode(
      CreateUserMemoryRequest.fromPartial({ userMemory: { userId, memory: "too late" } }),
    ).finish();
    const answer = await rawCall(port, "/memoryd.v1.MemoryService/CreateUserMemory", request, { "grpc-timeout": "1n" });
    expect(Number(answer.status)).toBe(status.DEADLINE_EXCEEDED);
    expect((await client.list({ userId })).userMemories).toEqual([]);
    expect(lines.filter((l) => l.msg === "call" && l.code === "OK" && l.method === "/memoryd.v1.MemoryService/CreateUserMemory")).toEqual(
      [],
    );
  });

  it("runs calls with time to spare", async () => {
    const { client } = await serve({});
    const { userMemory } = await client.create({ userMemory: { userId: "u", memory: "in time" } }, { deadlineMs: 2000 });
    expect(userMemory?.memory).toBe("in time");
    // Unknown fields and an absent deadline are fine too: a raw call without grpc-timeout.
    const writer = new BinaryWriter().uint32(10).string("u").uint32(18).string(userMemory!.memoryId);
    expect(await rawCall(running.at(-1)!.server.port, "/memoryd.v1.MemoryService/GetUserMemory", writer.finish(), {})).toEqual({
      status: "0",
      message: "OK",
    });
  });
});
