/**
 * Logs, metrics and trace context of a running server process.
 */
import { randomUUID } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateUserMemoryRequest } from "../../gen/ts/memoryd/v1/memory_service.js";
import { failure, MemoryClient } from "../../testkit/client.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { backend } from "../support/backends.js";

const postgres = backend("postgres");
const sqlite = backend("sqlite");
// PostgreSQL shows the pool gauges; without it the rest still runs on SQLite.
const storage = postgres.unavailable ? sqlite : postgres;

describe(`logs and metrics (${storage.name})`, () => {
  let server: ServerProcess;
  let client: MemoryClient;
  let metricsUrl: string;

  beforeAll(async () => {
    server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", storage.storageUrl(), "--metrics-listen", "127.0.0.1:0"] });
    const listening = server.logs.find((l) => l.msg === "memoryd listening")!;
    metricsUrl = `http://127.0.0.1:${listening.metricsPort}/metrics`;
    client = new MemoryClient(server.address);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it("logs one JSON line per call with method, code, duration, request id, trace ids and peer", async () => {
    const metadata = new Metadata();
    metadata.set("x-request-id", "req-observed-1");
    metadata.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    const echoed = await new Promise<string | undefined>((resolve, reject) => {
      const request = CreateUserMemoryRequest.fromPartial({ userMemory: { userId: "observed", memory: "logged" } });
      const call = client.raw.createUserMemory(request, metadata, { deadline: Date.now() + 5000 }, (err) => err && reject(err));
      call.on("metadata", (headers) => resolve(headers.get("x-request-id")[0] as string | undefined));
    });
    expect(echoed).toBe("req-observed-1");
    await failure(client.get({ userId: "observed", memoryId: "missing" }));

    const line = await server.waitForLog((l) => l.msg === "call" && l.request_id === "req-observed-1");
    expect(line).toMatchObject({
      level: 30,
      method: "/memoryd.v1.MemoryService/CreateUserMemory",
      code: "OK",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      parent_span_id: "00f067aa0ba902b7",
      principal: "anonymous",
    });
    expect(line.duration_ms).toEqual(expect.any(Number));
    expect(line.peer).toMatch(/127\.0\.0\.1:\d+/);
    const notFound = await server.waitForLog((l) => l.msg === "call" && l.code === "NOT_FOUND");
    expect(notFound.request_id).toMatch(/^[0-9a-f-]{36}$/); // generated when the caller sent none
  });

  it("serves Prometheus metrics: calls by method and code, latency histograms, storage and process gauges", async () => {
    const body = await (await fetch(metricsUrl)).text();
    const series = (name: string, labels: string) =>
      Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, "m").exec(body)?.[1] ?? Number.NaN);
    const call = (method: string, code: number) =>
      `rpc_system="grpc",rpc_service="memoryd.v1.MemoryService",rpc_method="${method}",rpc_grpc_status_code="${code}"`;
    expect(series("rpc_server_duration_milliseconds_count", call("CreateUserMemory", 0))).toBeGreaterThanOrEqual(1);
    expect(series("rpc_server_duration_milliseconds_count", call("GetUserMemory", 5))).toBe(1);
    expect(series("rpc_server_duration_milliseconds_bucket", `le="10000",${call("CreateUserMemory", 0)}`)).toBeGreaterThanOrEqual(1);
    expect(body).toMatch(/^memoryd_storage_up 1$/m);
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m);
    if (storage.name === "postgres") expect(series("memoryd_storage_pool_connections", 'state="open"')).toBeGreaterThanOrEqual(1);
    expect((await fetch(metricsUrl.replace("/metrics", "/other"))).status).toBe(404);
  });

  it("keeps the request id a caller sends, bounded in length", async () => {
    const metadata = new Metadata();
    const long = `id-${randomUUID()}-${"x".repeat(500)}`;
    metadata.set("x-request-id", long);
    await client.list({ userId: "observed" }, { metadata });
    const line = await server.waitForLog((l) => l.msg === "call" && String(l.request_id).startsWith(long.slice(0, 40)));
    expect(String(line.request_id)).toHaveLength(128);
  });
});
