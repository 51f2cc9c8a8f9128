/**
 * TLS, mutual TLS with certificate rotation, and bearer-token scopes,
 * against real servers on loopback with certificates made for the test.
 */
import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { credentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAuthenticator, type TokenFile } from "../../src/auth.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { openStore } from "../../src/storage/open.js";
import type { MemoryStore } from "../../src/storage/store.js";
import type { TlsOptions } from "../../src/tls.js";
import { bearer, failure, MemoryClient, statusDetails } from "../../testkit/client.js";
import { spawnServer } from "../../testkit/server-process.js";
import { HealthClient } from "../helpers/health.js";
import { captureLogger } from "../helpers/logs.js";
import { tempDir } from "../helpers/temp.js";
import { backend } from "../support/backends.js";
import { createCertificateAuthority } from "../support/certs.js";

const dir = tempDir();
const sqlite = backend("sqlite");
const ca = createCertificateAuthority(dir, "trusted");
const rogue = createCertificateAuthority(dir, "rogue");
const serverCert = ca.issue("server", "server", 1);
const clientCert = ca.issue("client", "client");
const rogueClient = rogue.issue("rogue-client", "client");
const read = (path: string) => readFileSync(path);

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function serve(options: { tls?: TlsOptions; tokens?: TokenFile }) {
  const store: MemoryStore = await openStore(sqlite.storageUrl());
  let authenticator: TokenAuthenticator | undefined;
  if (options.tokens) {
    const file = join(dir, `tokens-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(options.tokens));
    authenticator = TokenAuthenticator.load(file);
  }
  const { log, lines } = captureLogger();
  const server: RunningServer = await startServer({ listen: "127.0.0.1:0", log, store, tls: options.tls, authenticator });
  cleanups.push(async () => {
    await server.drain({ delayMs: 0, graceMs: 500 });
    await store.close();
  });
  return { address: `localhost:${server.port}`, port: server.port, lines };
}

function client(address: string, creds = credentials.createInsecure()) {
  const c = new MemoryClient(address, creds);
  cleanups.push(async () => c.close());
  return c;
}

/** The serial number of the certificate a TLS server presents on a new connection. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ALPNProtocols: ["h2"], ca: read(ca.cert) }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on("error", reject);
  });
}

describe("TLS", () => {
  it("serves TLS to clients that trust its CA, and nothing to plaintext or untrusting clients", async () => {
    const { address } = await serve({ tls: { certFile: serverCert.cert, keyFile: serverCert.key, refreshMs: 60_000 } });
    const trusting = client(address, credentials.createSsl(read(ca.cert)));
    expect((await trusting.create({ userMemory: { userId: "u", memory: "over TLS" } })).userMemory?.memory).toBe("over TLS");
    expect((await failure(client(address).list({ userId: "u" }, { deadlineMs: 2000 }))).code).toBe(status.UNAVAILABLE);
    const untrusting = client(address, credentials.createSsl(read(rogue.cert)));
    expect((await failure(untrusting.list({ userId: "u" }, { deadlineMs: 2000 }))).code).toBe(status.UNAVAILABLE);
  });

  it("requires a client certificate from the client CA with mTLS", async () => {
    const { address } = await serve({
      tls: { certFile: serverCert.cert, keyFile: serverCert.key, clientCaFile: ca.cert, refreshMs: 60_000 },
    });
    const withCert = client(address, credentials.createSsl(read(ca.cert), read(clientCert.key), read(clientCert.cert)));
    await withCert.create({ userMemory: { userId: "u", memory: "mutual" } });
    const withoutCert = client(address, credentials.createSsl(read(ca.cert)));
    expect((await failure(withoutCert.list({ userId: "u" }, { deadlineMs: 2000 }))).code).toBe(status.UNAVAILABLE);
    const foreignCert = client(address, credentials.createSsl(read(ca.cert), read(rogueClient.key), read(rogueClient.cert)));
    expect((await failure(foreignCert.list({ userId: "u" }, { deadlineMs: 2000 }))).code).toBe(status.UNAVAILABLE);
  });

  it("serves a rotated certificate to new connections without a restart", async () => {
    const certFile = join(dir, "rotating.crt");
    const keyFile = join(dir, "rotating.key");
    copyFileSync(serverCert.cert, certFile);
    copyFileSync(serverCert.key, keyFile);
    const { port, address } = await serve({ tls: { certFile, keyFile, refreshMs: 100 } });
    const c = client(address, credentials.createSsl(read(ca.cert)));
    await c.create({ userMemory: { userId: "u", memory: "before rotation" } });
    expect(await servedSerial(port)).toBe("01");
    const next = ca.issue("server-next", "server", 2);
    copyFileSync(next.key, keyFile);
    copyFileSync(next.cert, certFile);
    const started = Date.now();
    // The key and certificate files change one after the other, so a read in between may fail.
    while ((await servedSerial(port).catch(() => "unreadable")) !== "02") {
      if (Date.now() - started > 5000) throw new Error("rotated certificate not served within 5 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.create({ userMemory: { userId: "u", memory: "after rotation" } });
  });
});

describe("the operator scope", () => {
  const tokens = { tenant: "tenant-all-users-0123", operator: "operator-import-0123" };
  const tokenFile: TokenFile = {
    tokens: [
      { name: "tenant", token: tokens.tenant, all_users: true },
      { name: "importer", token: tokens.operator, all_users: true, operator: true },
    ],
  };
  const past = { seconds: Math.floor(Date.now() / 1000) - 86_400, nanos: 0 };
  const upsert = (userId: string) => ({
    upserts: [{ userMemory: { userId, memoryId: "imported", memory: "from a backup" }, createTime: past }],
  });

  it("answers BatchUpsertUserMemories without it with PERMISSION_DENIED (OPERATOR_SCOPE_REQUIRED), and writes nothing", async () => {
    const { address } = await serve({ tokens: tokenFile });
    const c = client(address);
    const err = await failure(c.batchUpsert(upsert("op-user"), { metadata: bearer(tokens.tenant) }));
    expect(status[err.code], err.details).toBe("PERMISSION_DENIED");
    expect(statusDetails(err).errorInfo).toMatchObject({ reason: "OPERATOR_SCOPE_REQUIRED", domain: "memoryd.dev" });
    expect((await c.list({ userId: "op-user" }, { metadata: bearer(tokens.tenant) })).userMemories).toEqual([]);
  });

  it("takes BatchUpsertUserMemories from an operator's token, keeping the given times", async () => {
    const { address } = await serve({ tokens: tokenFile });
    const c = client(address);
    const { userMemories } = await c.batchUpsert(upsert("op-user"), { metadata: bearer(tokens.operator) });
    expect(userMemories.map((m) => [m.memoryId, m.createTime])).toEqual([["imported", past]]);
    const { userMemory } = await c.get({ userId: "op-user", memoryId: "imported" }, { metadata: bearer(tokens.tenant) });
    expect(userMemory?.memory).toBe("from a backup");
  });
});

describe("bearer tokens", () => {
  const tokens = {
    admin: "admin-token-0123456789",
    acme: "acme-tenant-token-0123",
    alice: "alice-only-token-0123",
  };
  const tokenFile: TokenFile = {
    tokens: [
      { name: "admin", sha256: createHash("sha256").update(tokens.admin).digest("hex"), all_users: true },
      { name: "acme", token: tokens.acme, user_prefixes: ["acme:"] },
      { name: "alice-app", token: tokens.alice, users: ["alice"] },
    ],
  };
  let c: MemoryClient;
  let address: string;
  let lines: Record<string, unknown>[];

  beforeAll(async () => {
    ({ address, lines } = await serve({ tokens: tokenFile }));
    c = client(address);
  });

  it("answers UNAUTHENTICATED without a token or with an unknown one", async () => {
    const missing = await failure(c.list({ userId: "alice" }));
    expect(missing.code).toBe(status.UNAUTHENTICATED);
    const wrong = await failure(c.list({ userId: "alice" }, { metadata: bearer("not-a-real-token-at-all") }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect(wrong.details).toBe("invalid bearer token");
  });

  it("lets each token reach exactly its users, checked before the memory is looked up", async () => {
    const admin = { metadata: bearer(tokens.admin) };
    const acme = { metadata: bearer(tokens.acme) };
    const alice = { metadata: bearer(tokens.alice) };
    const { userMemory: globexSecret } = await c.create({ userMemory: { userId: "globex:ceo", memory: "globex secret" } }, admin);
    await c.create({ userMemory: { userId: "acme:bob", memory: "acme fact" } }, acme);
    await c.create({ userMemory: { userId: "alice", memory: "alice fact" } }, alice);

    expect((await c.list({ userId: "acme:bob" }, acme)).userMemories.map((m) => m.memory)).toEqual(["acme fact"]);
    for (const call of [
      c.get({ userId: "globex:ceo", memoryId: globexSecret!.memoryId }, acme),
      c.get({ userId: "globex:ceo", memoryId: "does-not-exist" }, acme),
      c.list({ userId: "globex:ceo" }, acme),
      c.search({ userId: "alice", query: "fact" }, acme),
      c.replace({ userMemory: { ...globexSecret!, memory: "overwritten" } }, acme),
      c.delete({ userId: "globex:ceo", memoryId: globexSecret!.memoryId }, acme),
      c.clear({ userId: "globex:ceo" }, acme),
      c.clear({ allUsers: true }, acme),
      c.clear({ allUsers: true }, alice),
      c.list({ userId: "alice2" }, alice),
      c.batchCreate(
        { requests: [{ userMemory: { userId: "acme:x", memory: "ok" } }, { userMemory: { userId: "globex:x", memory: "no" } }] },
        acme,
      ),
    ]) {
      const err = await failure(call);
      expect(status[err.code]).toBe("PERMISSION_DENIED");
    }
    // Nothing of the refused batch was written, and the globex memory is untouched.
    expect((await c.list({ userId: "acme:x" }, admin)).userMemories).toEqual([]);
    expect((await c.get({ userId: "globex:ceo", memoryId: globexSecret!.memoryId }, admin)).userMemory).toEqual(globexSecret);
    expect((await c.clear({ allUsers: true }, admin)).deletedCount).toBe(3);
  });

  it("logs the token's name, never the token", async () => {
    await c.list({ userId: "alice" }, { metadata: bearer(tokens.alice) });
    const line = lines.filter((l) => l.msg === "call").at(-1)!;
    expect(line.principal).toBe("alice-app");
    expect(JSON.stringify(lines)).not.toContain(tokens.alice);
  });

  it("keeps health and reflection open without a token", async () => {
    const health = new HealthClient(address);
    cleanups.push(async () => health.close());
    expect(await health.check("memoryd.v1.MemoryService")).toBe("SERVING");
  });

  it("rejects a token file with mistakes, naming them", () => {
    const file = join(dir, "bad-tokens.json");
    writeFileSync(file, JSON.stringify({ tokens: [{ name: "x", token: "short", users: [] }] }));
    expect(() => TokenAuthenticator.load(file)).toThrow(/at least 16 characters.*needs either all_users/s);
  });

  it("re-reads the token file on SIGHUP, keeping the old tokens when the new file is broken", async () => {
    const file = join(dir, "reloaded-tokens.json");
    writeFileSync(file, JSON.stringify({ tokens: [{ name: "first", token: tokens.admin, all_users: true }] }));
    const server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", sqlite.storageUrl(), "--auth-token-file", file] });
    const remote = new MemoryClient(server.address);
    try {
      expect((await failure(remote.list({ userId: "u" }, { metadata: bearer(tokens.acme) }))).code).toBe(status.UNAUTHENTICATED);
      writeFileSync(file, JSON.stringify({ tokens: [{ name: "second", token: tokens.acme, all_users: true }] }));
      server.child.kill("SIGHUP");
      await server.waitForLog((l) => l.msg === "token file reloaded");
      await remote.list({ userId: "u" }, { metadata: bearer(tokens.acme) });
      expect((await failure(remote.list({ userId: "u" }, { metadata: bearer(tokens.admin) }))).code).toBe(status.UNAUTHENTICATED);

      writeFileSync(file, "{ not json");
      server.child.kill("SIGHUP");
      await server.waitForLog((l) => String(l.msg).startsWith("token file not reloaded"));
      await remote.list({ userId: "u" }, { metadata: bearer(tokens.acme) });
    } finally {
      remote.close();
      expect(await server.stop()).toBe(0);
    }
  });
});
