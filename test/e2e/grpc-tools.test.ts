/**
 * The standard tools an operator reaches for, run for real against the
 * server: grpcurl (through reflection, no proto files) and
 * grpc_health_probe, in plaintext and over mutual TLS with a bearer token.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../testkit/processes.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { goToolOrReason } from "../../testkit/tools.js";
import { tempDir } from "../helpers/temp.js";
import { backend } from "../support/backends.js";
import { createCertificateAuthority } from "../support/certs.js";

const grpcurl = goToolOrReason("grpcurl");
const probe = goToolOrReason("grpc-health-probe");
const sqlite = backend("sqlite");
const run = promisify(execFile);

/** Runs a tool; resolves with its exit code and output instead of throwing. */
async function tool(path: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(path, args, { timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe.skipIf(grpcurl.unavailable || probe.unavailable)(
  `grpcurl and grpc_health_probe (${grpcurl.unavailable ?? probe.unavailable ?? "available"})`,
  () => {
    let server: ServerProcess;
    const curl = (...args: string[]) => tool(grpcurl.path!, ["-plaintext", ...args]);
    const invoke = async (method: string, body: object) => {
      const result = await curl("-d", JSON.stringify(body), server.address, `memoryd.v1.MemoryService/${method}`);
      return { ...result, json: result.code === 0 ? JSON.parse(result.out) : undefined };
    };

    beforeAll(async () => {
      server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", sqlite.storageUrl()] });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("lists the services and describes them with their proto comments", async () => {
      const list = await curl(server.address, "list");
      expect(list.out.trim().split("\n").sort()).toEqual(["grpc.health.v1.Health", "memoryd.v1.MemoryService"]);
      const service = await curl(server.address, "describe", "memoryd.v1.MemoryService");
      expect(service.out).toContain("// Creates up to 500 memories in one transaction");
      expect(service.out).toContain(
        "rpc ListUserMemories ( .memoryd.v1.ListUserMemoriesRequest ) returns ( .memoryd.v1.ListUserMemoriesResponse );",
      );
      const message = await curl(server.address, "describe", "memoryd.v1.UserMemory");
      expect(message.out).toContain("// Opaque version tag, different after every write.");
    });

    it("invokes every RPC from JSON", async () => {
      const added = await invoke("CreateUserMemory", {
        user_memory: {
          user_id: "ada",
          agent_id: "bot",
          memory: "Prefers dark mode",
          topics: ["ui"],
          labels: { source: "chat" },
          ttl: "86400s",
        },
      });
      expect(added.json.userMemory).toMatchObject({
        userId: "ada",
        agentId: "bot",
        memory: "Prefers dark mode",
        topics: ["ui"],
        labels: { source: "chat" },
      });
      expect(added.json.userMemory.expireTime).toBeTypeOf("string");
      const { memoryId, etag } = added.json.userMemory;
      const batch = await invoke("BatchCreateUserMemories", {
        requests: [
          { user_memory: { user_id: "ada", memory: "Drinks tea" } },
          { user_memory: { user_id: "ada", memory: "Lives in Paris" } },
        ],
      });
      expect(batch.json.userMemories).toHaveLength(2);
      expect((await invoke("GetUserMemory", { user_id: "ada", memory_id: memoryId })).json.userMemory.memory).toBe("Prefers dark mode");
      const page = await invoke("ListUserMemories", { user_id: "ada", page_size: 2 });
      expect(page.json.userMemories).toHaveLength(2);
      const next = await invoke("ListUserMemories", { user_id: "ada", page_size: 2, page_token: page.json.nextPageToken });
      expect(next.json.userMemories).toHaveLength(1);
      const found = await invoke("SearchUserMemories", {
        user_id: "ada",
        query: "DARK",
        filter: { agent_id: "bot", labels: { source: "chat" } },
        page_size: 5,
        include_total_size: true,
      });
      expect(found.json.totalSize).toBe(1);
      expect(found.json.userMemories.map((m: { memory: string }) => m.memory)).toEqual(["Prefers dark mode"]);
      const replaced = await invoke("ReplaceUserMemory", {
        user_memory: { user_id: "ada", memory_id: memoryId, memory: "Prefers light mode", etag },
      });
      expect(replaced.json.userMemory.memory).toBe("Prefers light mode");
      const updated = await invoke("UpdateUserMemory", {
        user_memory: { user_id: "ada", memory_id: memoryId, topics: ["ui", "a11y"] },
        update_mask: { paths: ["topics"] }, // grpcurl reads a FieldMask as its message, not the JSON string form
      });
      expect(updated.json?.userMemory, updated.out).toMatchObject({ memory: "Prefers light mode", topics: ["ui", "a11y"] });
      const topics = await invoke("ListMemoryTopics", { user_id: "ada" });
      expect(topics.json.topics).toEqual([
        { topic: "a11y", memoryCount: "1" },
        { topic: "ui", memoryCount: "1" },
      ]);
      const stats = await invoke("ListUserStats", { user_id: "ada" });
      expect(stats.json.userStats).toMatchObject([{ userId: "ada", memoryCount: "3" }]);
      const upserted = await invoke("BatchUpsertUserMemories", {
        upserts: [{ user_memory: { user_id: "ada", memory_id: "restored", memory: "Prefers tea" }, create_time: "2025-01-02T03:04:05Z" }],
      });
      expect(upserted.json.userMemories[0]).toMatchObject({ memoryId: "restored", createTime: "2025-01-02T03:04:05Z" });
      const consolidated = await invoke("ConsolidateUserMemories", {
        user_id: "ada",
        memory_ids: ["restored"],
        user_memories: [{ memory_id: "summary", memory: "Prefers tea, lives in Paris" }],
      });
      expect(consolidated.json, consolidated.out).toMatchObject({ deletedCount: "1", userMemories: [{ memoryId: "summary" }] });
      const everyone = await invoke("ListUserMemories", { all_users: true, filter: { memory_ids: ["summary"] } });
      expect(everyone.json.userMemories).toMatchObject([{ userId: "ada", memoryId: "summary" }]);
      const batchDeleted = await invoke("BatchDeleteUserMemories", {
        user_id: "ada",
        memory_ids: ["summary", "gone"],
        allow_missing: true,
      });
      expect(batchDeleted.json).toEqual({ deletedCount: "1" });
      const stale = await invoke("ReplaceUserMemory", { user_memory: { user_id: "ada", memory_id: memoryId, memory: "x", etag } });
      expect(stale.out).toContain('"domain": "memoryd.dev"');
      expect(stale.code).not.toBe(0);
      expect(stale.out).toContain("Code: Aborted");
      expect(stale.out).toContain("ETAG_MISMATCH");
      expect((await invoke("DeleteUserMemory", { user_id: "ada", memory_id: memoryId })).code).toBe(0);
      const missing = await invoke("GetUserMemory", { user_id: "ada", memory_id: memoryId });
      expect(missing.out).toContain("Code: NotFound");
      expect(missing.out).toContain("google.rpc.ResourceInfo");
      const invalid = await invoke("CreateUserMemory", { user_memory: { user_id: "", memory: "x" } });
      expect(invalid.out).toContain("Code: InvalidArgument");
      expect(invalid.out).toContain('"field": "user_memory.user_id"');
      expect((await invoke("ClearUserMemories", { user_id: "ada" })).json).toEqual({ deletedCount: "2" });
    });

    it("probes health with grpc_health_probe: overall, per service, liveness", async () => {
      for (const service of ["", "memoryd.v1.MemoryService", "liveness"]) {
        const result = await tool(probe.path!, [`-addr=${server.address}`, `-service=${service}`]);
        expect(result, service).toMatchObject({ code: 0 });
        expect(result.out).toContain("status: SERVING");
      }
      const unknown = await tool(probe.path!, [`-addr=${server.address}`, "-service=no.such.Service"]);
      expect(unknown.code).not.toBe(0);
    });

    it("reports NOT_SERVING to the probe while storage is unreachable, and liveness still SERVING", async () => {
      const closedPort = await freePort();
      const waiting = await spawnServer({
        until: "listening",
        args: ["--listen", "127.0.0.1:0", "--storage", `postgres://postgres@127.0.0.1:${closedPort}/x?connect_timeout_ms=200`],
      });
      try {
        const readiness = await tool(probe.path!, [`-addr=${waiting.address}`, "-service=memoryd.v1.MemoryService"]);
        expect(readiness.code).toBe(4); // grpc_health_probe's exit code for NOT_SERVING
        expect((await tool(probe.path!, [`-addr=${waiting.address}`, "-service=liveness"])).code).toBe(0);
      } finally {
        await waiting.stop("SIGKILL");
      }
    });

    it("works over mutual TLS with a bearer token", async () => {
      const dir = tempDir();
      const ca = createCertificateAuthority(dir, "tools");
      const serverCert = ca.issue("server", "server");
      const clientCert = ca.issue("client", "client");
      const tokens = join(dir, "tokens.json");
      writeFileSync(tokens, JSON.stringify({ tokens: [{ name: "ops", token: "ops-token-0123456789", all_users: true }] }));
      const secure = await spawnServer({
        args: [
          "--listen",
          "127.0.0.1:0",
          "--storage",
          sqlite.storageUrl(),
          "--tls-cert",
          serverCert.cert,
          "--tls-key",
          serverCert.key,
          "--tls-client-ca",
          ca.cert,
          "--auth-token-file",
          tokens,
        ],
      });
      const address = `localhost:${secure.port}`;
      const tlsArgs = ["-cacert", ca.cert, "-cert", clientCert.cert, "-key", clientCert.key];
      try {
        const denied = await tool(grpcurl.path!, [
          ...tlsArgs,
          "-d",
          '{"user_id":"ada"}',
          address,
          "memoryd.v1.MemoryService/ListUserMemories",
        ]);
        expect(denied.out).toContain("Code: Unauthenticated");
        const allowed = await tool(grpcurl.path!, [
          ...tlsArgs,
          "-H",
          "authorization: Bearer ops-token-0123456789",
          "-d",
          '{"user_id":"ada"}',
          address,
          "memoryd.v1.MemoryService/ListUserMemories",
        ]);
        expect(allowed).toMatchObject({ code: 0 });
        expect((await tool(grpcurl.path!, [...tlsArgs, address, "list"])).out).toContain("memoryd.v1.MemoryService");
        const probed = await tool(probe.path!, [
          `-addr=${address}`,
          "-tls",
          `-tls-ca-cert=${ca.cert}`,
          `-tls-client-cert=${clientCert.cert}`,
          `-tls-client-key=${clientCert.key}`,
          "-service=memoryd.v1.MemoryService",
        ]);
        expect(probed).toMatchObject({ code: 0 });
      } finally {
        expect(await secure.stop()).toBe(0);
      }
    });
  },
);
