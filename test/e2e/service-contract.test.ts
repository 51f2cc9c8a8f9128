/**
 * What MemoryService answers whatever the backend: request validation and
 * the fields it names, decoding (strict wire format, malformed bytes,
 * compression flags), health and reflection — over gRPC against a real
 * server on loopback, once, on SQLite. What depends on the store runs on
 * every backend, in storage-calls.ts.
 */
import { randomUUID } from "node:crypto";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { type Client, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ListOrder, type RetrievalMethod } from "../../gen/ts/memoryd/v1/memory_service.js";
import { openStore } from "../../src/storage/open.js";
import { failure, statusDetails, violatedFields } from "../../testkit/client.js";
import { useTestServer } from "../helpers/server.js";
import { bytes, ELEVEN_BYTE_VARINT, grpcFrame, ld, rawGrpc, tag, text, varint, wrappedLength, wrappedTag } from "../helpers/wire.js";
import { backend } from "../support/backends.js";

/** Sends raw bytes to a unary method, to test what the generated client cannot produce. */
function rawUnary(client: Client, path: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (err, res) => (err ? reject(err) : resolve(res!)),
    ),
  );
}

/** Asks the reflection service one question; returns the first response's bytes. */
function reflect(client: Client, version: "v1" | "v1alpha", request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      new Metadata(),
      { deadline: Date.now() + 5000 },
    );
    call.on("data", (data: Buffer) => {
      resolve(data);
      call.end();
    });
    call.on("error", reject);
    call.write(request);
  });
}

/** The length-delimited fields with number `field` in a message. */
function nestedFields(bytes: Uint8Array, field: number): Uint8Array[] {
  const reader = new BinaryReader(bytes);
  const found: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === field) found.push(reader.bytes());
    else reader.skip(wireType);
  }
  return found;
}

describe("MemoryService over gRPC, whatever the backend", () => {
  const t = useTestServer(() => openStore(backend("sqlite").storageUrl()));
  const newUser = () => `e2e-${randomUUID()}`;
  const add = (userId: string, memory = "prefers dark mode", topics = ["ui"]) =>
    t.client.add({ userMemory: { userId, memory, topics } }).then((r) => r.userMemory!);

  describe("AddUserMemory", () => {
    it("answers INVALID_ARGUMENT with a BadRequest naming every offending field", async () => {
      const err = await failure(
        t.client.add({
          userMemory: { userId: "", memory: "x".repeat(16_385), topics: ["ok", "", "t".repeat(129), "bad\u0007"], input: "nul\u0000" },
          requestId: "r".repeat(129),
        }),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(violatedFields(err)).toEqual([
        "user_memory.user_id",
        "user_memory.memory",
        "user_memory.topics[1]",
        "user_memory.topics[2]",
        "user_memory.topics[3]",
        "user_memory.input",
        "request_id",
      ]);
      expect(err.details).toContain("user_memory.user_id: is required");
    });

    it("requires user_memory and bounds the topic count", async () => {
      expect(violatedFields(await failure(t.client.add({})))).toEqual(["user_memory"]);
      const topics = Array.from({ length: 33 }, (_, i) => `t${i}`);
      const err = await failure(t.client.add({ userMemory: { userId: newUser(), memory: "m", topics } }));
      expect(violatedFields(err)).toEqual(["user_memory.topics"]);
    });
  });

  describe("BatchAddUserMemories", () => {
    it("validates each entry, repeats inside the batch, and the batch size", async () => {
      const userId = newUser();
      const err = await failure(
        t.client.batchAdd({
          requests: [
            { userMemory: { userId, memoryId: "dup", memory: "a" }, requestId: "same" },
            { userMemory: { userId, memory: "" } },
            { userMemory: { userId, memoryId: "dup", memory: "b" }, requestId: "same" },
          ],
        }),
      );
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(violatedFields(err)).toEqual([
        "requests[1].user_memory.memory",
        "requests[2].user_memory.memory_id",
        "requests[2].request_id",
      ]);
      expect(violatedFields(await failure(t.client.batchAdd({ requests: [] })))).toEqual(["requests"]);
      const tooMany = Array.from({ length: 501 }, () => ({ userMemory: { userId, memory: "m" } }));
      expect(violatedFields(await failure(t.client.batchAdd({ requests: tooMany })))).toEqual(["requests"]);
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    });
  });

  describe("GetUserMemory", () => {
    it("answers INVALID_ARGUMENT for missing ids", async () => {
      expect(violatedFields(await failure(t.client.get({})))).toEqual(["user_id", "memory_id"]);
    });
  });

  describe("ListUserMemories", () => {
    it("answers INVALID_ARGUMENT for a malformed page token or one from another query", async () => {
      const userId = newUser();
      for (let i = 0; i < 3; i++) await add(userId);
      const { nextPageToken } = await t.client.list({ userId, pageSize: 1 });
      for (const request of [
        { userId, pageToken: "not-a-token" },
        { userId, pageToken: Buffer.from('[1,"x"]').toString("base64url") },
        { userId, pageToken: nextPageToken, order: ListOrder.LIST_ORDER_OLDEST_FIRST },
        { userId, pageToken: nextPageToken, topics: ["ui"] },
        { userId: newUser(), pageToken: nextPageToken },
        { userId, pageToken: nextPageToken + "A".repeat(600) }, // longer than any token issued: refused before decoding
      ]) {
        const err = await failure(t.client.list(request));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(violatedFields(err)).toEqual(["page_token"]);
      }
    });

    it("answers INVALID_ARGUMENT for page_size out of bounds and unknown orders", async () => {
      const userId = newUser();
      expect(violatedFields(await failure(t.client.list({ userId, pageSize: -1 })))).toEqual(["page_size"]);
      expect(violatedFields(await failure(t.client.list({ userId, pageSize: 1001 })))).toEqual(["page_size"]);
      expect(violatedFields(await failure(t.client.list({ userId, order: 7 as ListOrder })))).toEqual(["order"]);
      expect((await t.client.list({ userId, pageSize: 1000 })).userMemories).toEqual([]);
    });
  });

  describe("SearchUserMemories", () => {
    it("defaults to 10 results and validates limit, method and query", async () => {
      const userId = newUser();
      await t.client.batchAdd({ requests: Array.from({ length: 12 }, () => ({ userMemory: { userId, memory: "m" } })) });
      expect((await t.client.search({ userId })).userMemories).toHaveLength(10);
      const err = await failure(t.client.search({ userId, limit: 1001, retrievalMethod: 9 as RetrievalMethod, query: "q".repeat(257) }));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(violatedFields(err)).toEqual(["query", "retrieval_method", "limit"]);
    });
  });

  describe("identifiers", () => {
    it("refuses invisible characters in ids and topics, and keeps them verbatim in text", async () => {
      const userId = newUser();
      for (const invisible of ["\u200b", "\ufeff", "\u202e", "\u2028", "\u00ad", "\ue000", "\ufdd0"]) {
        const err = await failure(
          t.client.add({
            userMemory: {
              userId: `${userId}${invisible}`,
              memoryId: `m${invisible}`,
              memory: `text${invisible}`,
              topics: [`t${invisible}`],
            },
          }),
        );
        expect(violatedFields(err).sort(), JSON.stringify(invisible)).toEqual([
          "user_memory.memory_id",
          "user_memory.topics[0]",
          "user_memory.user_id",
        ]);
        const { userMemory } = await t.client.add({ userMemory: { userId, memory: `text${invisible}`, input: `in${invisible}` } });
        expect(userMemory).toMatchObject({ memory: `text${invisible}`, input: `in${invisible}` });
      }
      expect(violatedFields(await failure(t.client.get({ userId: `${userId}\u200b`, memoryId: "m" })))).toEqual(["user_id"]);
    });
  });

  describe("ReplaceUserMemory", () => {
    it("answers INVALID_ARGUMENT without user_memory or its ids", async () => {
      expect(violatedFields(await failure(t.client.replace({})))).toEqual(["user_memory"]);
      const err = await failure(t.client.replace({ userMemory: { memory: "x" } }));
      expect(violatedFields(err)).toEqual(["user_memory.user_id", "user_memory.memory_id"]);
    });
  });

  describe("ClearUserMemories", () => {
    it("refuses to clear without a user unless all_users is set, and never both", async () => {
      const err = await failure(t.client.clear({}));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(violatedFields(err)).toEqual(["user_id"]);
      expect(violatedFields(await failure(t.client.clear({ userId: "u", allUsers: true })))).toEqual(["all_users"]);
    });
  });

  describe("malformed requests", () => {
    it("answers INVALID_ARGUMENT, not INTERNAL, for bytes that are not a valid message", async () => {
      const path = "/memoryd.v1.MemoryService/GetUserMemory";
      const invalidUtf8 = Buffer.from([0x0a, 0x02, 0xff, 0xfe, 0x12, 0x01, 0x6d]);
      const truncated = Buffer.from([0x0a, 0x05, 0x61]);
      for (const bytes of [invalidUtf8, truncated]) {
        const err = await failure(rawUnary(t.client.raw, path, bytes));
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(statusDetails(err).errorInfo?.reason).toBe("MALFORMED_MESSAGE");
      }
      // The server is still fine afterwards.
      await add(newUser());
    });

    it("ignores unknown fields, as proto3 requires", async () => {
      const userId = newUser();
      const created = await add(userId);
      const writer = new BinaryWriter().uint32(10).string(userId).uint32(18).string(created.memoryId);
      writer.uint32((99 << 3) | 2).string("from a newer client");
      const response = await rawUnary(t.client.raw, "/memoryd.v1.MemoryService/GetUserMemory", Buffer.from(writer.finish()));
      expect(response.includes(Buffer.from(created.memoryId))).toBe(true);
    });
  });

  describe("strict wire format", () => {
    // Each encoding below was accepted before the wire check: the bytes say one
    // thing and ts-proto's lenient decode stored another (or part of it).
    const ADD = "/memoryd.v1.MemoryService/CreateUserMemory";
    const expectMalformed = async (err: ServiceError, userId: string) => {
      expect(err.code, err.details).toBe(status.INVALID_ARGUMENT);
      expect(statusDetails(err).errorInfo).toMatchObject({ reason: "MALFORMED_MESSAGE", domain: "memoryd.dev" });
      expect((await t.client.list({ userId })).userMemories).toEqual([]);
    };
    // The fields of a UserMemory, and an CreateUserMemoryRequest holding them.
    const content = (userId: string, ...rest: Uint8Array[]) => bytes(ld(2, text(userId)), ld(3, text("remember")), ...rest);
    const memory = (userId: string, ...rest: Uint8Array[]) => ld(1, content(userId, ...rest));

    it("stores the hand-built encoding these cases break", async () => {
      const userId = newUser();
      await rawUnary(t.client.raw, ADD, bytes(memory(userId, ld(4, text("topic")), ld(5, text("input")))));
      const [stored] = (await t.client.list({ userId })).userMemories;
      expect(stored).toMatchObject({ userId, memory: "remember", topics: ["topic"], input: "input" });
    });

    const cases: [string, (userId: string) => Buffer][] = [
      // ts-proto ended user_memory at the 0 and read topics and input as (unknown) outer fields.
      ["a tag 0 inside user_memory, with topics after it", (u) => memory(u, bytes(0), ld(4, text("topic")), ld(5, text("input")))],
      ["an end-group tag inside user_memory", (u) => memory(u, tag(4, 4), ld(4, text("topic")))],
      // 2^32 + 8 wrapped to 8: "smuggled" was stored as the memory.
      [
        "a length prefix above 2^32 that wraps to a valid length",
        (u) => ld(1, ld(2, text(u)), tag(3, 2), bytes(wrappedLength(8)), text("smuggled")),
      ],
      ["an 11-byte varint", (u) => bytes(memory(u), tag(99, 0), ELEVEN_BYTE_VARINT)],
      // Field 2^29 + 1 wrapped to field 1: the memory was stored from a field no client can send.
      ["a field number above 2^29 - 1", (u) => bytes(wrappedTag(1, 2), varint(content(u).length), content(u))],
      ["a known field with the wrong wire type (topics as a varint)", (u) => memory(u, tag(4, 0), bytes(1))],
      // user_memory's length cuts its memory field in two; ts-proto read the field to its end anyway.
      [
        "a nested message truncated inside a field",
        (u) => {
          const head = bytes(ld(2, text(u)), tag(3, 2), 8);
          return bytes(tag(1, 2), head.length + 3, head, text("remember"));
        },
      ],
    ];
    for (const [name, encode] of cases) {
      it(`answers INVALID_ARGUMENT MALFORMED_MESSAGE and stores nothing for ${name}`, async () => {
        const userId = newUser();
        await expectMalformed(await failure(rawUnary(t.client.raw, ADD, encode(userId))), userId);
      });
    }

    it("answers INVALID_ARGUMENT MALFORMED_MESSAGE and stores nothing for the compressed flag without grpc-encoding", async () => {
      const userId = newUser();
      const message = bytes(memory(userId));
      const plain = await rawGrpc(t.address, ADD, grpcFrame(message, 0));
      expect(plain.code, plain.error.details).toBe(status.OK); // the raw HTTP/2 call itself works
      await t.client.clear({ userId });
      for (const headers of [{}, { "grpc-encoding": "identity" }] as Record<string, string>[]) {
        const flagged = await rawGrpc(t.address, ADD, grpcFrame(message, 1), headers);
        await expectMalformed(flagged.error, userId);
      }
    });
  });

  describe("health and reflection", () => {
    it("reports SERVING overall and for MemoryService", async () => {
      for (const service of ["", "memoryd.v1.MemoryService"]) {
        const request = Buffer.from(new BinaryWriter().uint32(10).string(service).finish());
        const response = await rawUnary(t.client.raw, "/grpc.health.v1.Health/Check", request);
        expect([...response]).toEqual([0x08, 0x01]); // status: SERVING
      }
    });

    for (const version of ["v1", "v1alpha"] as const) {
      it(`lists services and serves documented descriptors over reflection ${version}`, async () => {
        const listServices = new BinaryWriter()
          .uint32((7 << 3) | 2)
          .string("*")
          .finish();
        const listResponse = nestedFields(await reflect(t.client.raw, version, listServices), 6)[0]!;
        const names = nestedFields(listResponse, 1).map((service) => new TextDecoder().decode(nestedFields(service, 1)[0]));
        expect(names.sort()).toEqual(["grpc.health.v1.Health", "memoryd.v1.MemoryService"]);

        const fileContaining = new BinaryWriter()
          .uint32((4 << 3) | 2)
          .string("memoryd.v1.MemoryService")
          .finish();
        const fileResponse = nestedFields(await reflect(t.client.raw, version, fileContaining), 4)[0]!;
        const files = nestedFields(fileResponse, 1).map((file) => Buffer.from(file));
        const fileNames = files.map((file) => new TextDecoder().decode(nestedFields(file, 1)[0]));
        expect(fileNames).toContain("memoryd/v1/memory_service.proto");
        expect(fileNames).toContain("memory/v1/memory.proto");
        expect(files.some((file) => file.includes("Creates up to 500 memories in one transaction"))).toBe(true);
      });
    }
  });
});
