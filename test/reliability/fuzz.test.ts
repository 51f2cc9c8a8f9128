/**
 * Hostile input: thousands of generated requests — boundary and random
 * values in every field, injection strings, invalid UTF-8, mutated bytes,
 * malformed page tokens, unknown enum values, oversized messages, wire
 * encodings a lenient decoder would misread — plus garbage and malformed
 * HTTP/2 on the port. The server must never crash,
 * never answer INTERNAL, never return another user's memory, store
 * injection strings verbatim, and keep answering well-formed calls.
 *
 * Seeded (FUZZ_SEED), with a CI-sized count (FUZZ_REQUESTS, default 2000
 * per backend).
 */

import { connect as http2Connect } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchCreateUserMemoriesRequest,
  ClearUserMemoriesRequest,
  CreateUserMemoryRequest,
  DeleteUserMemoryRequest,
  GetUserMemoryRequest,
  GetUserMemoryResponse,
  ListUserMemoriesRequest,
  ListUserMemoriesResponse,
  ReplaceUserMemoryRequest,
  SearchUserMemoriesRequest,
  SearchUserMemoriesResponse,
} from "../../gen/ts/memoryd/v1/memory_service.js";
import { identifierProblem } from "../../src/identifiers.js";
import { failure, MemoryClient, statusDetails, violatedFields } from "../../testkit/client.js";
import { prng } from "../../testkit/prng.js";
import { type ServerProcess, spawnServer } from "../../testkit/server-process.js";
import { HealthClient } from "../helpers/health.js";
import { bytes, ELEVEN_BYTE_VARINT, grpcFrame, ld, rawGrpc, tag, varint, wrappedLength, wrappedTag } from "../helpers/wire.js";
import { allBackends } from "../support/backends.js";

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2000);
/** A fixed number of calls, one at a time: 10-17 s each on the busy 2-core machine at 2,000. */
const FUZZ_TIMEOUT_MS = 120_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const VICTIM = "victim-user";
const SECRET = "victim's secret 7c1f";

export const INJECTIONS = [
  "'; DROP TABLE memories; --",
  '" OR 1=1 --',
  "$where",
  '{"$gt": ""}',
  "{$ne: null}",
  "%",
  "_",
  "%_%",
  "\\",
  "\\%",
  ".*",
  "(?i)",
  "[a-z]+",
  '"quoted"',
  "NULL",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "$" + "{jndi:ldap://x}", // a Log4Shell lookup, as data
  "\u202e\u202d",
  "🧠💾",
  "ÉCOLE zürich",
];

function generator(seed: number) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const string = (): string =>
    pick([
      () => "",
      () => " ",
      () => pick(INJECTIONS),
      () => `user-${Math.floor(random() * 5)}`,
      () => "x".repeat(pick([127, 128, 129, 255, 256, 257, 1024, 16_384, 16_385, 70_000])),
      () => "é".repeat(pick([64, 128, 8192, 8193])),
      () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * 0xffff))),
      () => `ctl\u0000\u0001\u001f\u007f\u0085 ${pick(INJECTIONS)}`,
      () => `id_${Math.floor(random() * 100)}%`,
    ])();
  const int = () => pick([0, 1, -1, 20, 1000, 1001, 2 ** 31 - 1, -(2 ** 31), Math.floor(random() * 5000) - 100]);
  const token = () =>
    pick([
      "",
      "!!!",
      "e30",
      Buffer.from('[1,"x",1,"y"]').toString("base64url"),
      Buffer.from(string()).toString("base64url"),
      "A".repeat(5000),
    ]);
  const userMemory = () => ({
    userId: string(),
    memoryId: random() < 0.3 ? "" : string(),
    memory: string(),
    topics: Array.from({ length: pick([0, 1, 2, 33]) }, string),
    input: random() < 0.5 ? undefined : string(),
    etag: random() < 0.7 ? "" : string(),
  });
  const requests: (() => { path: string; bytes: Uint8Array; userId: string })[] = [
    () => {
      const r = CreateUserMemoryRequest.fromPartial({ userMemory: userMemory(), requestId: random() < 0.5 ? "" : string() });
      return { path: "CreateUserMemory", bytes: CreateUserMemoryRequest.encode(r).finish(), userId: r.userMemory!.userId };
    },
    () => {
      const r = BatchCreateUserMemoriesRequest.fromPartial({
        requests: Array.from({ length: pick([0, 1, 3]) }, () => ({ userMemory: userMemory() })),
      });
      return { path: "BatchCreateUserMemories", bytes: BatchCreateUserMemoriesRequest.encode(r).finish(), userId: "" };
    },
    () => {
      const r = GetUserMemoryRequest.fromPartial({ userId: string(), memoryId: string() });
      return { path: "GetUserMemory", bytes: GetUserMemoryRequest.encode(r).finish(), userId: r.userId };
    },
    () => {
      const r = ListUserMemoriesRequest.fromPartial({
        userId: string(),
        pageSize: int(),
        pageToken: token(),
        orderBy: random() < 0.5 ? string() : "update_time",
        filter: random() < 0.3 ? { anyTopics: [string()], agentId: string(), labels: new Map([[string(), string()]]) } : undefined,
      });
      return { path: "ListUserMemories", bytes: ListUserMemoriesRequest.encode(r).finish(), userId: r.userId };
    },
    () => {
      const r = SearchUserMemoriesRequest.fromPartial({
        userId: string(),
        query: string(),
        orderBy: random() < 0.5 ? string() : "create_time desc",
        pageSize: int(),
        filter: random() < 0.3 ? { allTopics: [string()], teamId: string() } : undefined,
      });
      return { path: "SearchUserMemories", bytes: SearchUserMemoriesRequest.encode(r).finish(), userId: r.userId };
    },
    () => {
      const r = ReplaceUserMemoryRequest.fromPartial({ userMemory: userMemory(), allowMissing: random() < 0.5 });
      return { path: "ReplaceUserMemory", bytes: ReplaceUserMemoryRequest.encode(r).finish(), userId: r.userMemory!.userId };
    },
    () => {
      const r = DeleteUserMemoryRequest.fromPartial({
        userId: string(),
        memoryId: string(),
        etag: random() < 0.5 ? "" : string(),
        allowMissing: random() < 0.5,
      });
      return { path: "DeleteUserMemory", bytes: DeleteUserMemoryRequest.encode(r).finish(), userId: r.userId };
    },
    () => {
      // Never all_users: the fuzz must not wipe the victim it checks for leaks.
      const r = ClearUserMemoriesRequest.fromPartial({ userId: random() < 0.1 ? "" : string() });
      return { path: "ClearUserMemories", bytes: ClearUserMemoriesRequest.encode(r).finish(), userId: r.userId };
    },
  ];
  /** Bit flips, truncation, appended garbage, or pure noise. */
  const mutate = (bytes: Uint8Array): Uint8Array => {
    const out = Buffer.from(bytes);
    switch (Math.floor(random() * 4)) {
      case 0:
        for (let i = 0; i < 1 + random() * 4 && out.length; i++) {
          const at = Math.floor(random() * out.length);
          out[at] = out[at]! ^ (1 << Math.floor(random() * 8));
        }
        return out;
      case 1:
        return out.subarray(0, Math.floor(random() * out.length));
      case 2:
        return Buffer.concat([out, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256)))]);
      default:
        return Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
    }
  };
  /** How deep field 1 nests messages in a request: CreateUserMemoryRequest.user_memory, BatchAdd's requests[].user_memory. */
  const nesting: Record<string, number> = { AddUserMemory: 1, ReplaceUserMemory: 1, BatchAddUserMemories: 2 };
  /** Applies `edit` to the request, or to a message nested in it through field 1 (`depth` levels down). */
  const nested = (message: Uint8Array, depth: number, edit: (message: Uint8Array) => Uint8Array): Uint8Array => {
    if (depth === 0) return edit(message);
    const parts = fieldsOf(message);
    const inner = parts.filter((f) => f.number === 1 && f.value);
    if (inner.length === 0) return edit(message);
    const target = pick(inner);
    return bytes(...parts.map((f) => (f === target ? ld(1, nested(f.value!, depth - 1, edit)) : f.raw)));
  };
  /** `inserted` between two fields of `message`. */
  const insert = (message: Uint8Array, ...inserted: (number | readonly number[] | Uint8Array)[]): Uint8Array => {
    const boundaries = [0, ...fieldsOf(message).map((f) => f.end)];
    const at = pick(boundaries);
    return bytes(message.subarray(0, at), ...inserted, message.subarray(at));
  };
  const unknownField = () => 16 + Math.floor(random() * 1000);
  /**
   * Encodings that are not strictly well-formed, each of which ts-proto's
   * decode used to accept one way or another. Every result is malformed,
   * whatever the request it starts from.
   */
  const malformations: Record<string, (message: Uint8Array, depth: number) => Uint8Array> = {
    tag0: (m, d) => nested(m, d, (n) => insert(n, 0)),
    endGroup: (m, d) => nested(m, d, (n) => insert(n, tag(1 + Math.floor(random() * 20), 4))),
    group: (m, d) =>
      nested(m, d, (n) => {
        const f = unknownField();
        return insert(n, tag(f, 3), tag(f, 4));
      }),
    wrappedLength: (m, d) =>
      nested(m, d, (n) => {
        const parts = fieldsOf(n);
        const withLen = parts.filter((f) => f.value);
        if (withLen.length === 0) return insert(n, tag(unknownField(), 2), wrappedLength(1), 0x61);
        const target = pick(withLen);
        return bytes(...parts.map((f) => (f === target ? bytes(tag(f.number, 2), wrappedLength(f.value!.length), f.value!) : f.raw)));
      }),
    elevenByteVarint: (m, d) => nested(m, d, (n) => insert(n, tag(unknownField(), 0), ELEVEN_BYTE_VARINT)),
    varintAbove64Bits: (m, d) => nested(m, d, (n) => insert(n, tag(unknownField(), 0), [...Array(9).fill(0xff), 0x02])),
    fieldNumberAbove2To29: (m, d) => nested(m, d, (n) => insert(n, wrappedTag(1 + Math.floor(random() * 8), 2), 0)),
    // Field 1 is length-delimited in every request message and in UserMemory.
    wrongWireType: (m, d) =>
      nested(m, d, (n) =>
        insert(
          n,
          ...pick([
            [tag(1, 0), 1],
            [tag(1, 1), new Uint8Array(8)],
            [tag(1, 5), new Uint8Array(4)],
          ]),
        ),
      ),
    // The last byte of a message moves out of it: its last field then runs past its end.
    truncatedNested: (m, d) =>
      nested(m, Math.max(0, d - 1), (n) => {
        const parts = fieldsOf(n);
        const inner = parts.filter((f) => f.number === 1 && f.value && f.value.length > 0);
        if (d === 0 || inner.length === 0) return n.length > 0 ? n.subarray(0, n.length - 1) : bytes(0);
        const target = pick(inner);
        return bytes(...parts.map((f) => (f === target ? bytes(tag(1, 2), varint(f.value!.length - 1), f.value!) : f.raw)));
      }),
  };
  const malform = (path: string, message: Uint8Array): { kind: string; bytes: Uint8Array } => {
    const kind = pick(Object.keys(malformations));
    return { kind, bytes: malformations[kind]!(message, Math.floor(random() * ((nesting[path] ?? 0) + 1))) };
  };
  return { random, next: () => pick(requests)(), mutate, malform };
}

/** A message's fields: number, the field's bytes, where it ends, and a length-delimited value. */
function fieldsOf(message: Uint8Array): { number: number; raw: Uint8Array; end: number; value?: Uint8Array }[] {
  const reader = new BinaryReader(message);
  const fields = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [number, wireType] = reader.tag();
    let value: Uint8Array | undefined;
    if (wireType === 2) value = reader.bytes();
    else reader.skip(wireType);
    fields.push({ number, raw: message.subarray(start, reader.pos), end: reader.pos, ...(value ? { value } : {}) });
  }
  return fields;
}

function rawCall(
  client: MemoryClient,
  path: string,
  bytes: Uint8Array,
): Promise<{ code: number; response?: Buffer; error?: ServiceError }> {
  return new Promise((resolve) =>
    client.raw.makeUnaryRequest(
      `/memoryd.v1.MemoryService/${path}`,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (err, res) => resolve(err ? { code: err.code, error: err } : { code: status.OK, response: res }),
    ),
  );
}

/** The user ids of the memories in a successful response. */
function ownersIn(path: string, response: Buffer): { userIds: string[]; text: string } {
  const memories =
    path === "GetUserMemory"
      ? [GetUserMemoryResponse.decode(response).userMemory!]
      : path === "ListUserMemories"
        ? ListUserMemoriesResponse.decode(response).userMemories
        : path === "SearchUserMemories"
          ? SearchUserMemoriesResponse.decode(response).userMemories
          : [];
  return { userIds: memories.map((m) => m.userId), text: memories.map((m) => m.memory).join("\n") };
}

async function garbageOnThePort(port: number): Promise<void> {
  const send = (payload: Buffer) =>
    new Promise<void>((resolve) => {
      const socket = tcpConnect(port, "127.0.0.1", () => socket.end(payload));
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
      socket.setTimeout(1000, () => socket.destroy());
    });
  const random = prng(SEED + 1);
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
    const header = Buffer.alloc(9);
    header.writeUIntBE(payload.length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(stream, 5);
    return Buffer.concat([header, payload]);
  };
  await send(noise(4096));
  await send(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  await send(Buffer.concat([preface, noise(2048)]));
  await send(Buffer.concat([preface, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x4 | 0x1, 1, noise(200))])); // HEADERS with a garbage HPACK block
  await send(Buffer.concat([preface, frame(4, 0, 0, Buffer.alloc(0)), frame(0, 0, 1, noise(100))])); // DATA on an unopened stream
  await send(Buffer.concat([preface, frame(4, 0, 0, noise(7))])); // SETTINGS with a bad length
  await send(Buffer.concat([preface, Buffer.from([0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01])])); // a 16 MiB frame header
  // A well-formed HTTP/2 request to a gRPC method with a garbage body and wrong content type.
  await new Promise<void>((resolve) => {
    const session = http2Connect(`http://127.0.0.1:${port}`);
    session.on("error", () => resolve());
    const stream = session.request({ ":method": "POST", ":path": "/memoryd.v1.MemoryService/GetUserMemory", "content-type": "text/plain" });
    stream.on("error", () => {});
    stream.on("close", () => {
      session.close();
      resolve();
    });
    stream.end(noise(50));
    stream.resume();
  });
}

for (const storage of allBackends()) {
  const { name } = storage;
  describe.skipIf(storage.unavailable)(`fuzzing with hostile input on ${name}`, () => {
    let server: ServerProcess;
    let client: MemoryClient;
    let health: HealthClient;

    beforeAll(async () => {
      server = await spawnServer({ args: ["--listen", "127.0.0.1:0", "--storage", storage.storageUrl()] });
      client = new MemoryClient(server.address);
      health = new HealthClient(server.address);
      await client.create({ userMemory: { userId: VICTIM, memory: SECRET, topics: ["secret"] } });
    });
    afterAll(async () => {
      client?.close();
      health?.close();
      await server?.stop();
    });

    it(
      `answers ${REQUESTS} generated and mutated requests without a crash, INTERNAL or a leak`,
      async () => {
        const fuzz = generator(SEED + name.length);
        const codes = new Map<string, number>();
        for (let i = 0; i < REQUESTS; i++) {
          const { path, bytes, userId } = fuzz.next();
          const mutated = fuzz.random() < 0.25;
          const sent = mutated ? fuzz.mutate(bytes) : bytes;
          const { code, response } = await rawCall(client, path, sent);
          codes.set(status[code]!, (codes.get(status[code]!) ?? 0) + 1);
          expect([status.INTERNAL, status.UNKNOWN, status.DATA_LOSS], `${path} answered ${status[code]}`).not.toContain(code);
          if (response) {
            const { userIds, text } = ownersIn(path, response);
            // What the server decoded is what we encoded, unless we mutated it: then only the victim check holds.
            if (!mutated) for (const owner of userIds) expect(owner).toBe(userId);
            if (!userIds.includes(VICTIM)) expect(text).not.toContain(SECRET);
          }
          if (i % 100 === 0)
            expect((await client.get({ userId: VICTIM, memoryId: "missing" }).catch((e) => e)).code).toBe(status.NOT_FOUND);
        }
        console.log(`${name}: ${REQUESTS} fuzzed requests, status codes ${JSON.stringify(Object.fromEntries(codes))}`);
        expect(server.child.exitCode).toBeNull();
      },
      FUZZ_TIMEOUT_MS,
    );

    it(
      "refuses every strictly malformed encoding, and the compressed flag without grpc-encoding, with MALFORMED_MESSAGE",
      async () => {
        const fuzz = generator(SEED + 7 * name.length);
        const kinds = new Map<string, number>();
        const count = Math.ceil(REQUESTS / 4);
        for (let i = 0; i < count; i++) {
          const { path, bytes: valid } = fuzz.next();
          const { kind, bytes: malformed } = fuzz.malform(path, valid);
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          const where = `${kind} of ${path}: ${Buffer.from(malformed).toString("hex").slice(0, 400)}`;
          const { code, error } = await rawCall(client, path, malformed);
          expect(code, where).toBe(status.INVALID_ARGUMENT);
          expect(statusDetails(error!).errorInfo?.reason, where).toBe("MALFORMED_MESSAGE");
          if (i % 20 === 0) {
            // The same request's valid bytes, flagged compressed on a call without an encoding.
            const flag = fuzz.random() < 0.5 ? 1 : 1 + Math.floor(fuzz.random() * 255);
            const headers: Record<string, string> = fuzz.random() < 0.5 ? {} : { "grpc-encoding": "identity" };
            const flagged = await rawGrpc(server.address, `/memoryd.v1.MemoryService/${path}`, grpcFrame(valid, flag), headers);
            expect(flagged.code, `flag ${flag} on ${path}`).toBe(status.INVALID_ARGUMENT);
            expect(statusDetails(flagged.error).errorInfo?.reason).toBe("MALFORMED_MESSAGE");
            kinds.set("compressedFlag", (kinds.get("compressedFlag") ?? 0) + 1);
          }
        }
        console.log(`${name}: malformed encodings refused ${JSON.stringify(Object.fromEntries(kinds))}`);
        expect((await client.list({ userId: VICTIM })).userMemories.map((m) => m.memory)).toEqual([SECRET]);
      },
      FUZZ_TIMEOUT_MS,
    );

    it("stores injection strings verbatim in every field and finds them literally", async () => {
      const userId = `inject ${INJECTIONS[0]} ${INJECTIONS[3]} %_`;
      for (const [index, text] of INJECTIONS.entries()) {
        const request = { userMemory: { userId, memoryId: `id ${text}`, memory: text, topics: [text], input: text } };
        if (identifierProblem(text)) {
          // Invisible characters are refused in ids and topics (src/identifiers.ts) and kept verbatim in text.
          expect(violatedFields(await failure(client.create(request))).sort()).toEqual(["user_memory.memory_id", "user_memory.topics[0]"]);
          request.userMemory.memoryId = `id ${index}`;
          request.userMemory.topics = [];
        }
        const { userMemory } = await client.create(request);
        expect((await client.get({ userId, memoryId: userMemory!.memoryId })).userMemory).toEqual(userMemory);
        expect(userMemory).toMatchObject({ memory: text, input: text });
      }
      for (const text of ["%", "_", ".*", '{"$gt": ""}', "$where", "\\"]) {
        const found = await client.search({ userId, query: text, pageSize: 100 });
        expect(
          found.userMemories.every((m) => m.memory.toLowerCase().includes(text.toLowerCase())),
          text,
        ).toBe(true);
        expect(found.userMemories.length).toBe(INJECTIONS.filter((i) => i.toLowerCase().includes(text.toLowerCase())).length);
      }
      expect((await client.list({ userId: VICTIM })).userMemories.map((m) => m.memory)).toEqual([SECRET]);
    });

    it("refuses an oversized message with RESOURCE_EXHAUSTED and survives garbage and malformed HTTP/2 on the port", async () => {
      const huge = CreateUserMemoryRequest.encode(
        CreateUserMemoryRequest.fromPartial({ userMemory: { userId: "u", memory: "x".repeat(5 * 1024 * 1024) } }),
      ).finish();
      expect((await rawCall(client, "CreateUserMemory", huge)).code).toBe(status.RESOURCE_EXHAUSTED);
      await garbageOnThePort(server.port);
      expect(server.child.exitCode).toBeNull();
      expect(await health.check("memoryd.v1.MemoryService")).toBe("SERVING");
      expect((await client.list({ userId: VICTIM })).userMemories.map((m) => m.memory)).toEqual([SECRET]);
    });
  });
}
