import { readFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { FileDescriptorSetSchema, FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  BatchCreateUserMemoriesRequest,
  BatchDeleteUserMemoriesRequest,
  BatchUpsertUserMemoriesRequest,
  ClearUserMemoriesRequest,
  CreateUserMemoryRequest,
  DeleteUserMemoryRequest,
  GetUserMemoryRequest,
  ListMemoryTopicsRequest,
  ListUserMemoriesRequest,
  ListUserStatsRequest,
  MemoryServiceService,
  ReplaceUserMemoryRequest,
  SearchUserMemoriesRequest,
  UpdateUserMemoryRequest,
} from "../gen/ts/memoryd/v1/memory_service.js";
import { UserMemory } from "../gen/ts/memoryd/v1/user_memory.js";
import { bytes, ELEVEN_BYTE_VARINT, ld, tag, text, varint, wrappedLength, wrappedTag } from "../test/helpers/wire.js";
import { prng } from "../testkit/prng.js";
import { DESCRIPTOR_SET_PATH } from "./reflection.js";
import { compileWireChecks, MAX_DEPTH, requestWireChecks, WireFormatError } from "./wire-check.js";

const checks = compileWireChecks(readFileSync(DESCRIPTOR_SET_PATH));
const addRequest = checks.forMethod("/memoryd.v1.MemoryService/CreateUserMemory");

const userMemory = UserMemory.encode(
  UserMemory.fromPartial({
    userId: "u1",
    memory: "likes tea",
    topics: ["food", "drink"],
    input: "I like tea",
    etag: "e",
    agentId: "a",
    labels: new Map([
      ["source", "chat"],
      ["", ""],
    ]),
    expiration: { $case: "ttl", ttl: { seconds: 60, nanos: 5 } },
  }),
).finish();

/** The message of the WireFormatError `check` throws on `input`, or "accepted". */
function verdict(check: (b: Uint8Array) => void, input: Uint8Array): string {
  try {
    check(input);
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(WireFormatError);
    return (err as Error).message;
  }
}

describe("wire check against the memoryd descriptors", () => {
  it("accepts what ts-proto encodes for every request type", () => {
    const expiring = UserMemory.fromPartial({
      userId: "u",
      expiration: { $case: "expireTime", expireTime: { seconds: 2_000_000_000, nanos: 1 } },
    });
    const samples: [string, Uint8Array][] = [
      [
        "CreateUserMemory",
        CreateUserMemoryRequest.encode(
          CreateUserMemoryRequest.fromPartial({ userMemory: UserMemory.decode(userMemory), requestId: "r" }),
        ).finish(),
      ],
      [
        "BatchCreateUserMemories",
        BatchCreateUserMemoriesRequest.encode(
          BatchCreateUserMemoriesRequest.fromPartial({ requests: [{ userMemory: UserMemory.decode(userMemory) }, {}] }),
        ).finish(),
      ],
      ["GetUserMemory", GetUserMemoryRequest.encode({ userId: "u", memoryId: "m" }).finish()],
      [
        "ListUserMemories",
        ListUserMemoriesRequest.encode(
          ListUserMemoriesRequest.fromPartial({
            userId: "u",
            pageSize: -1,
            orderBy: "update_time desc",
            filter: { anyTopics: ["a"], allTopics: ["b"], labels: new Map([["k", "v"]]), showExpired: true, agentId: "a" },
            skip: 3,
            includeTotalSize: true,
          }),
        ).finish(),
      ],
      [
        "SearchUserMemories",
        SearchUserMemoriesRequest.encode(
          SearchUserMemoriesRequest.fromPartial({ userId: "u", query: "q", pageSize: 5, filter: {} }),
        ).finish(),
      ],
      [
        "ReplaceUserMemory",
        ReplaceUserMemoryRequest.encode(ReplaceUserMemoryRequest.fromPartial({ userMemory: expiring, allowMissing: true })).finish(),
      ],
      [
        "UpdateUserMemory",
        UpdateUserMemoryRequest.encode(
          UpdateUserMemoryRequest.fromPartial({ userMemory: UserMemory.decode(userMemory), updateMask: ["topics", "labels"] }),
        ).finish(),
      ],
      [
        "DeleteUserMemory",
        DeleteUserMemoryRequest.encode(DeleteUserMemoryRequest.fromPartial({ userId: "u", etag: "e", allowMissing: true })).finish(),
      ],
      [
        "BatchDeleteUserMemories",
        BatchDeleteUserMemoriesRequest.encode(BatchDeleteUserMemoriesRequest.fromPartial({ userId: "u", memoryIds: ["a", "b"] })).finish(),
      ],
      ["ClearUserMemories", ClearUserMemoriesRequest.encode(ClearUserMemoriesRequest.fromPartial({ allUsers: true })).finish()],
      ["ListMemoryTopics", ListMemoryTopicsRequest.encode(ListMemoryTopicsRequest.fromPartial({ userId: "u", pageSize: 3 })).finish()],
      ["ListUserStats", ListUserStatsRequest.encode(ListUserStatsRequest.fromPartial({ skip: 2, includeTotalSize: true })).finish()],
      [
        "BatchUpsertUserMemories",
        BatchUpsertUserMemoriesRequest.encode(
          BatchUpsertUserMemoriesRequest.fromPartial({
            upserts: [
              { userMemory: UserMemory.decode(userMemory), createTime: { seconds: 1, nanos: 0 }, updateTime: { seconds: 2, nanos: 0 } },
            ],
          }),
        ).finish(),
      ],
    ];
    for (const [method, encoded] of samples)
      expect(verdict(checks.forMethod(`/memoryd.v1.MemoryService/${method}`), encoded), method).toBe("accepted");
    expect(verdict(addRequest, new Uint8Array(0))).toBe("accepted");
  });

  it("accepts well-formed unknown fields of every wire type, up to field number 2^29 - 1", () => {
    const unknown = bytes(
      tag(99, 0),
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 10-byte varint, 64 bits
      tag(100, 1),
      new Uint8Array(8),
      ld(101, text("from a newer client")),
      tag(102, 5),
      new Uint8Array(4),
      tag(2 ** 29 - 1, 0),
      1,
    );
    expect(verdict(addRequest, bytes(ld(1, userMemory), unknown))).toBe("accepted");
    expect(verdict(addRequest, bytes(ld(1, userMemory, unknown), unknown))).toBe("accepted");
  });

  it("accepts non-minimal varints within the limits", () => {
    // Tag of field 1 in 5 bytes; a length of 2 in 5 bytes; a negative int32 in 10 bytes.
    expect(verdict(addRequest, bytes([0x8a, 0x80, 0x80, 0x80, 0x00], [0x82, 0x80, 0x80, 0x80, 0x00], tag(2, 2), 0))).toBe("accepted");
    const list = checks.forMethod("/memoryd.v1.MemoryService/ListUserMemories");
    expect(verdict(list, ListUserMemoriesRequest.encode(ListUserMemoriesRequest.fromPartial({ pageSize: -5 })).finish())).toBe("accepted");
  });

  const malformed: [string, Uint8Array, RegExp][] = [
    [
      "tag 0 inside user_memory, topics after it",
      bytes(ld(1, ld(2, text("u1")), 0, ld(4, text("lost")))),
      /UserMemory at byte \d+: field number 0/,
    ],
    ["tag 0 at the top level", bytes(ld(1, userMemory), 0, ld(2, text("r"))), /CreateUserMemoryRequest at byte \d+: field number 0/],
    [
      "end-group tag inside user_memory",
      bytes(ld(1, ld(2, text("u1")), tag(15, 4), ld(4, text("lost")))),
      /UserMemory at byte \d+: wire type end-group in unknown field 15 \(proto3 has no groups\)/,
    ],
    [
      "end-group tag of a known field",
      bytes(ld(1, ld(2, text("u1")), tag(4, 4))),
      /wire type end-group in field 4 \(topics\) \(proto3 has no groups\)/,
    ],
    ["an unknown group", bytes(ld(1, userMemory), tag(99, 3), tag(99, 4)), /wire type start-group in unknown field 99/],
    ["wire type 6", bytes(tag(99, 6)), /wire type 6/],
    ["wire type 7", bytes(tag(99, 7)), /wire type 7/],
    [
      "a length of 2^32 + 5 (wraps to 5)",
      bytes(ld(1, ld(2, text("u1")), tag(3, 2), wrappedLength(5), text("hello"))),
      /over 5 bytes or 2\^32 - 1\D* length in field 3 \(memory\)/,
    ],
    ["a length prefix of 6 bytes", bytes(tag(2, 2), [0x81, 0x80, 0x80, 0x80, 0x80, 0x00], text("r")), /length in field 2 \(request_id\)/],
    ["an 11-byte varint", bytes(ld(1, userMemory), tag(99, 0), ELEVEN_BYTE_VARINT), /over 10 bytes or 64 bits varint in unknown field 99/],
    [
      "a 10-byte varint above 64 bits",
      bytes(tag(99, 0), [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]),
      /over 10 bytes or 64 bits/,
    ],
    ["field number 2^29 + 1 (wraps to user_memory)", bytes(wrappedTag(1, 2), varint(userMemory.length), userMemory), /above 2\^29 - 1/],
    ["field number 2^29", bytes([0x80, 0x80, 0x80, 0x80, 0x10], 0), /above 2\^29 - 1/],
    ["a tag of 6 bytes", bytes([0x8a, 0x80, 0x80, 0x80, 0x80, 0x00], varint(userMemory.length), userMemory), /tag longer than 5 bytes/],
    ["topics as a varint", bytes(ld(1, ld(2, text("u1")), ld(3, text("m")), tag(4, 0), 1)), /field 4 \(topics\) has wire type varint/],
    ["user_memory as a fixed32", bytes(tag(1, 5), [1, 2, 3, 4]), /field 1 \(user_memory\) has wire type 32-bit/],
    ["request_id as a fixed64", bytes(ld(1, userMemory), tag(2, 1), new Uint8Array(8)), /field 2 \(request_id\) has wire type 64-bit/],
    ["create_time (a message) as a varint", bytes(ld(1, tag(6, 0), 5)), /field 6 \(create_time\)/],
    [
      "a nested field running past user_memory's end",
      bytes(tag(1, 2), 8, ld(2, text("u1")), tag(3, 2), 5, text("hello")),
      /length 5 of field 3 \(memory\) exceeds the 2 bytes left/,
    ],
    ["user_memory longer than the request", bytes(tag(1, 2), 40, ld(2, text("u1"))), /length 40 of field 1 \(user_memory\) exceeds/],
    ["a truncated tag", bytes(ld(1, userMemory), 0x80), /truncated tag/],
    ["a truncated varint", bytes(tag(99, 0), 0x80), /truncated varint/],
    ["a truncated fixed64", bytes(tag(99, 1), [1, 2, 3]), /truncated 64-bit value/],
    ["a truncated fixed32", bytes(tag(99, 5), [1, 2, 3]), /truncated 32-bit value/],
    ["a truncated length", bytes(tag(99, 2), 0x80), /truncated length/],
    ["a malformed Timestamp inside user_memory", bytes(ld(1, ld(6, tag(1, 0), 0x80))), /malformed google.protobuf.Timestamp/],
  ];

  for (const [name, input, message] of malformed) {
    it(`refuses ${name}`, () => {
      expect(verdict(addRequest, input)).toMatch(message);
    });
  }

  it("refuses a malformed entry of a batch", () => {
    const batch = checks.forMethod("/memoryd.v1.MemoryService/BatchCreateUserMemories");
    const good = ld(1, ld(1, userMemory));
    expect(verdict(batch, bytes(good, good))).toBe("accepted");
    expect(verdict(batch, bytes(good, ld(1, ld(1, ld(2, text("u")), 0))))).toMatch(
      /malformed memoryd.v1.UserMemory at byte \d+: field number 0/,
    );
  });

  it("compiles a check for every MemoryService method, and refuses to for a method the descriptors lack", () => {
    const check = requestWireChecks(MemoryServiceService);
    expect(() =>
      check(MemoryServiceService.getUserMemory.path, GetUserMemoryRequest.encode({ userId: "u", memoryId: "m" }).finish()),
    ).not.toThrow();
    expect(() => requestWireChecks({ gone: { path: "/memoryd.v1.MemoryService/Gone" } })).toThrow(/not in the descriptors/);
    expect(() => checks.forMessage("memoryd.v1.Missing")).toThrow(/not in the descriptors/);
  });

  it("accepts what it accepts only when ts-proto's decoder reads exactly those bytes (seeded mutations)", () => {
    const random = prng(20261126);
    const strict = new TextDecoder("utf-8", { fatal: true });
    const base = CreateUserMemoryRequest.encode(
      CreateUserMemoryRequest.fromPartial({ userMemory: UserMemory.decode(userMemory), requestId: "r" }),
    ).finish();
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = Uint8Array.from(base);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        const at = Math.floor(random() * input.length);
        input[at] = input[at]! ^ (1 << Math.floor(random() * 8));
      }
      const cut = random() < 0.3 ? input.subarray(0, Math.floor(random() * input.length)) : input;
      if (verdict(addRequest, cut) !== "accepted") continue;
      accepted++;
      const reader = new BinaryReader(cut, (b) => strict.decode(b));
      try {
        CreateUserMemoryRequest.decode(reader);
      } catch (err) {
        // The wire check leaves UTF-8 to the decoder; nothing else may fail.
        expect((err as Error).name, `${Buffer.from(cut).toString("hex")}: ${(err as Error).message}`).toBe("TypeError");
        continue;
      }
      expect(reader.pos, Buffer.from(cut).toString("hex")).toBe(cut.length);
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});

/**
 * A schema with what memoryd's does not have yet: maps, packed numbers,
 * recursion, field numbers beyond the dense table.
 *
 *   message Node {
 *     Node child = 1; repeated float weights = 2; repeated int64 counts = 3;
 *     repeated double scores = 4; map<string, Node> children = 5;
 *     map<string, int32> tallies = 6; repeated Color colors = 7;
 *     sfixed64 big = 8; bytes blob = 9; string far = 536870911;
 *   }
 */
function syntheticChecks() {
  const field = (name: string, number: number, type: Type, extra: object = {}) => ({
    name,
    number,
    type,
    label: Label.OPTIONAL,
    jsonName: name,
    ...extra,
  });
  const repeated = { label: Label.REPEATED };
  const entry = (name: string, valueType: Type, typeName?: string) => ({
    name,
    field: [field("key", 1, Type.STRING), field("value", 2, valueType, typeName ? { typeName } : {})],
    options: { mapEntry: true },
  });
  const set = create(FileDescriptorSetSchema, {
    file: [
      {
        name: "wiretest/node.proto",
        package: "wiretest",
        syntax: "proto3",
        enumType: [{ name: "Color", value: [{ name: "COLOR_UNSPECIFIED", number: 0 }] }],
        messageType: [
          {
            name: "Node",
            field: [
              field("child", 1, Type.MESSAGE, { typeName: ".wiretest.Node" }),
              field("weights", 2, Type.FLOAT, repeated),
              field("counts", 3, Type.INT64, repeated),
              field("scores", 4, Type.DOUBLE, repeated),
              field("children", 5, Type.MESSAGE, { ...repeated, typeName: ".wiretest.Node.ChildrenEntry" }),
              field("tallies", 6, Type.MESSAGE, { ...repeated, typeName: ".wiretest.Node.TalliesEntry" }),
              field("colors", 7, Type.ENUM, { ...repeated, typeName: ".wiretest.Color" }),
              field("big", 8, Type.SFIXED64),
              field("blob", 9, Type.BYTES),
              field("far", 2 ** 29 - 1, Type.STRING),
            ],
            nestedType: [entry("ChildrenEntry", Type.MESSAGE, ".wiretest.Node"), entry("TalliesEntry", Type.INT32)],
          },
        ],
      },
    ],
  });
  return compileWireChecks(toBinary(FileDescriptorSetSchema, set)).forMessage("wiretest.Node");
}

describe("wire check against a schema with maps, packed numbers and recursion", () => {
  const node = syntheticChecks();

  it("accepts packed and unpacked repeated numbers, maps and far field numbers", () => {
    const unpacked = bytes(tag(2, 5), [0, 0, 0x80, 0x3f], tag(3, 0), 0x7f, tag(4, 1), new Uint8Array(8), tag(7, 0), 0);
    const packed = bytes(
      ld(2, new Uint8Array(8)),
      ld(3, [0x80, 0x01], 0x05, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ld(4, new Uint8Array(16)),
      ld(7, 1, 2),
      ld(4),
    );
    const maps = bytes(ld(5, ld(1, text("k")), ld(2, ld(9, text("blob")))), ld(6, ld(1, text("k")), tag(2, 0), 7), ld(6));
    const far = bytes(ld(2 ** 29 - 1, text("far")), tag(8, 1), new Uint8Array(8));
    for (const input of [unpacked, packed, maps, far]) expect(verdict(node, input)).toBe("accepted");
  });

  const refused: [string, Uint8Array, RegExp][] = [
    [
      "packed floats that are not whole values",
      bytes(ld(2, [0, 0, 0])),
      /packed field 2 \(weights\) of 3 bytes is not whole 32-bit values/,
    ],
    ["packed doubles that are not whole values", bytes(ld(4, new Uint8Array(12))), /packed field 4 \(scores\) of 12 bytes/],
    ["a packed varint cut short", bytes(ld(3, 5, 0x80)), /truncated varint in packed field 3 \(counts\)/],
    ["a packed varint of 11 bytes", bytes(ld(3, new Uint8Array(10).fill(0x80), 0)), /over 10 bytes or 64 bits varint in packed field 3/],
    ["repeated floats as varints", bytes(tag(2, 0), 1), /field 2 \(weights\) has wire type varint/],
    ["a map entry key as a varint", bytes(ld(6, tag(1, 0), 1)), /Node.tallies entry at byte \d+: field 1 \(key\) has wire type varint/],
    [
      "a map entry value of the wrong type",
      bytes(ld(6, ld(1, text("k")), ld(2, text("x")))),
      /field 2 \(value\) has wire type length-delimited/,
    ],
    ["a malformed message inside a map value", bytes(ld(5, ld(2, 0))), /malformed wiretest.Node at byte \d+: field number 0/],
    [
      "a field beyond the dense table with the wrong wire type",
      bytes(tag(2 ** 29 - 1, 0), 1),
      /field 536870911 \(far\) has wire type varint/,
    ],
    ["a bytes field as a fixed32", bytes(tag(9, 5), [1, 2, 3, 4]), /field 9 \(blob\)/],
  ];
  for (const [name, input, message] of refused) {
    it(`refuses ${name}`, () => {
      expect(verdict(node, input)).toMatch(message);
    });
  }

  it(`allows ${MAX_DEPTH} levels of nesting and refuses more`, () => {
    const nested = (levels: number): Uint8Array => {
      let inner: Uint8Array = new Uint8Array(0);
      for (let i = 1; i < levels; i++) inner = ld(1, inner);
      return inner;
    };
    expect(verdict(node, nested(MAX_DEPTH))).toBe("accepted");
    expect(verdict(node, nested(MAX_DEPTH + 1))).toMatch(/nested deeper than 100/);
  });
});
