/**
 * Every limit the API documents ("Limits: ..." on a field's comment in
 * proto/memoryd/v1, read here from the descriptors the server serves) is
 * the limit validation enforces: for each request field that states one,
 * a value at the limit passes and a value one past it is refused naming
 * that field; a REQUIRED field left empty is refused.
 */
import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, getOption } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { FieldBehavior } from "../gen/ts/google/api/field_behavior.js";
import * as api from "../gen/ts/memoryd/v1/memory_service.js";
import { DESCRIPTOR_SET_PATH } from "./reflection.js";
import { ValidationError, validate } from "./validation.js";

const descriptorSet = fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET_PATH));
const registry = createFileRegistry(descriptorSet);
const fieldBehavior = registry.getExtension("google.api.field_behavior")!;

interface DocumentedField {
  readonly message: string;
  readonly name: string;
  readonly jsonName: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly kind: "string" | "int" | "message";
  readonly limits: string | undefined;
  readonly required: boolean;
  /** The oneof the field belongs to (ts-proto holds it as `{ $case, [field]: value }` under this name). */
  readonly oneof: string | undefined;
  /** The field's message type, for message fields. */
  readonly messageType: string | undefined;
}

/** The fields of memoryd.v1's messages with their "Limits:" text and whether they are REQUIRED. */
function documentedFields(): Map<string, DocumentedField[]> {
  const messages = new Map<string, DocumentedField[]>();
  for (const file of descriptorSet.file.filter((f) => f.package === "memoryd.v1")) {
    const comments = new Map<string, string>();
    for (const location of file.sourceCodeInfo?.location ?? []) comments.set(location.path.join("."), location.leadingComments);
    file.messageType.forEach((message: DescriptorProto, m) => {
      const desc = registry.getMessage(`memoryd.v1.${message.name}`)!;
      const fields = message.field.map((field, f): DocumentedField => {
        const comment = comments.get(`4.${m}.2.${f}`) ?? "";
        const limits = /Limits:([\s\S]*)$/.exec(comment)?.[1]?.replace(/\s+/g, " ").trim();
        const behaviors = getOption(desc.fields[f]!, fieldBehavior) as number[];
        const map = field.typeName.endsWith("Entry") && field.label === FieldDescriptorProto_Label.REPEATED;
        const kind =
          field.type === FieldDescriptorProto_Type.STRING ? "string" : field.type === FieldDescriptorProto_Type.INT32 ? "int" : "message";
        return {
          message: message.name,
          name: field.name,
          jsonName: field.jsonName,
          repeated: field.label === FieldDescriptorProto_Label.REPEATED,
          map,
          kind,
          limits,
          required: behaviors.includes(FieldBehavior.REQUIRED),
          oneof: desc.fields[f]!.oneof?.localName,
          messageType: desc.fields[f]!.message?.typeName,
        };
      });
      messages.set(message.name, fields);
    });
  }
  return messages;
}

const FIELDS = documentedFields();

const number = (text: string) => Number(text.replaceAll(",", ""));

/** A valid request of each method, as the decoder hands it over; fields are set on copies of these. */
const memory = () => ({ userId: "ada", memoryId: "m1", memory: "likes tea" });
const METHODS: Record<string, { type: string; base: () => object; run: (request: object) => unknown }> = {
  CreateUserMemory: {
    type: "CreateUserMemoryRequest",
    base: () => api.CreateUserMemoryRequest.fromPartial({ userMemory: memory() }),
    run: (r) => validate.create(r as api.CreateUserMemoryRequest),
  },
  BatchCreateUserMemories: {
    type: "BatchCreateUserMemoriesRequest",
    base: () => api.BatchCreateUserMemoriesRequest.fromPartial({ requests: [{ userMemory: memory() }] }),
    run: (r) => validate.batchCreate(r as api.BatchCreateUserMemoriesRequest),
  },
  GetUserMemory: {
    type: "GetUserMemoryRequest",
    base: () => api.GetUserMemoryRequest.fromPartial({ userId: "ada", memoryId: "m1" }),
    run: (r) => validate.get(r as api.GetUserMemoryRequest),
  },
  ListUserMemories: {
    type: "ListUserMemoriesRequest",
    base: () => api.ListUserMemoriesRequest.fromPartial({ userId: "ada", filter: {} }),
    run: (r) => validate.list(r as api.ListUserMemoriesRequest),
  },
  SearchUserMemories: {
    type: "SearchUserMemoriesRequest",
    base: () => api.SearchUserMemoriesRequest.fromPartial({ userId: "ada", filter: {} }),
    run: (r) => validate.search(r as api.SearchUserMemoriesRequest),
  },
  ReplaceUserMemory: {
    type: "ReplaceUserMemoryRequest",
    base: () => api.ReplaceUserMemoryRequest.fromPartial({ userMemory: memory() }),
    run: (r) => validate.replace(r as api.ReplaceUserMemoryRequest),
  },
  UpdateUserMemory: {
    type: "UpdateUserMemoryRequest",
    base: () => api.UpdateUserMemoryRequest.fromPartial({ userMemory: memory(), updateMask: ["*"] }),
    run: (r) => validate.update(r as api.UpdateUserMemoryRequest),
  },
  DeleteUserMemory: {
    type: "DeleteUserMemoryRequest",
    base: () => api.DeleteUserMemoryRequest.fromPartial({ userId: "ada", memoryId: "m1" }),
    run: (r) => validate.delete(r as api.DeleteUserMemoryRequest),
  },
  BatchDeleteUserMemories: {
    type: "BatchDeleteUserMemoriesRequest",
    base: () => api.BatchDeleteUserMemoriesRequest.fromPartial({ userId: "ada", memoryIds: ["m1"] }),
    run: (r) => validate.batchDelete(r as api.BatchDeleteUserMemoriesRequest),
  },
  ConsolidateUserMemories: {
    type: "ConsolidateUserMemoriesRequest",
    base: () =>
      api.ConsolidateUserMemoriesRequest.fromPartial({
        userId: "ada",
        memoryIds: ["old"],
        userMemories: [{ memoryId: "m1", memory: "likes tea" }],
      }),
    run: (r) => validate.consolidate(r as api.ConsolidateUserMemoriesRequest),
  },
  ClearUserMemories: {
    type: "ClearUserMemoriesRequest",
    base: () => api.ClearUserMemoriesRequest.fromPartial({ userId: "ada" }),
    run: (r) => validate.clear(r as api.ClearUserMemoriesRequest),
  },
  ListMemoryTopics: {
    type: "ListMemoryTopicsRequest",
    base: () => api.ListMemoryTopicsRequest.fromPartial({ userId: "ada" }),
    run: (r) => validate.listTopics(r as api.ListMemoryTopicsRequest),
  },
  ListUserStats: {
    type: "ListUserStatsRequest",
    base: () => api.ListUserStatsRequest.fromPartial({ userId: "ada" }),
    run: (r) => validate.listUserStats(r as api.ListUserStatsRequest),
  },
  BatchUpsertUserMemories: {
    type: "BatchUpsertUserMemoriesRequest",
    base: () => api.BatchUpsertUserMemoriesRequest.fromPartial({ upserts: [{ userMemory: memory() }] }),
    run: (r) => validate.batchUpsert(r as api.BatchUpsertUserMemoriesRequest),
  },
};

/**
 * Fields a method takes but does not read, so no limit applies there: a
 * create has no etag to compare with (the output-only fields of a memory
 * being created are ignored), nor has an upsert; an update checks memory's
 * presence only when the mask names it (covered by validation.spec.ts).
 */
const NOT_READ = new Set([
  "CreateUserMemory user_memory.etag",
  "BatchCreateUserMemories requests[0].user_memory.etag",
  "BatchUpsertUserMemories upserts[0].user_memory.etag",
  "ConsolidateUserMemories user_memories[0].etag",
  // Empty or the request's user_id, whose limit is probed there.
  "ConsolidateUserMemories user_memories[0].user_id",
]);
const NOT_REQUIRED_HERE = new Set(["UpdateUserMemory user_memory.memory", "ConsolidateUserMemories user_memories[0].user_id"]);
/** Fields whose content is checked beyond its length: only "one past the limit is refused" can be tried. */
const ONLY_PAST_LIMIT = new Set(["page_token"]);

/** What a field's limit text promises, as values to try: at the limit (valid) and one past it (refused). */
interface Probe {
  readonly valid: unknown;
  readonly invalid: unknown;
  /** The violation's field, when not the field itself (an entry of a list or map). */
  readonly violation?: string;
}

function probes(field: DocumentedField, path: string): Probe[] {
  const limits = field.limits ?? "";
  const found: Probe[] = [];
  const bytes = (n: number) => "x".repeat(n);
  if (field.map) {
    const entries = /at most ([\d,]+) entries/.exec(limits);
    const keys = /keys 1 to ([\d,]+) bytes/.exec(limits);
    const values = /values at most ([\d,]+) bytes/.exec(limits);
    const mapOf = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    if (entries) found.push({ valid: mapOf(number(entries[1]!)), invalid: mapOf(number(entries[1]!) + 1) });
    if (keys) {
      const n = number(keys[1]!);
      found.push({ valid: new Map([[bytes(n), "v"]]), invalid: new Map([[bytes(n + 1), "v"]]), violation: `${path}["${bytes(n + 1)}"]` });
    }
    if (values) {
      const n = number(values[1]!);
      found.push({ valid: new Map([["k", bytes(n)]]), invalid: new Map([["k", bytes(n + 1)]]), violation: `${path}["k"]` });
    }
    return found;
  }
  if (field.repeated && field.kind === "string") {
    const entries = /(?:at most|1 to) ([\d,]+) entries/.exec(limits);
    const each = /each 1 to ([\d,]+) bytes/.exec(limits);
    const listOf = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`);
    if (entries) found.push({ valid: listOf(number(entries[1]!)), invalid: listOf(number(entries[1]!) + 1) });
    if (each) {
      const n = number(each[1]!);
      found.push({ valid: [bytes(n)], invalid: [bytes(n + 1)], violation: `${path}[0]` });
    }
    return found;
  }
  if (field.repeated) {
    const entries = /([\d,]+) to ([\d,]+) entries/.exec(limits);
    if (entries) return [{ valid: "repeat", invalid: number(entries[2]!) + 1 }];
    return [];
  }
  if (field.kind === "string") {
    const range = /(?:at most|\d to) ([\d,]+) bytes/.exec(limits);
    if (range) found.push({ valid: bytes(number(range[1]!)), invalid: bytes(number(range[1]!) + 1) });
    return found;
  }
  if (field.messageType === "google.protobuf.FieldMask") {
    // ts-proto decodes a FieldMask as its list of paths.
    const entries = /at most ([\d,]+) entries/.exec(limits);
    if (entries) {
      const n = number(entries[1]!);
      return [{ valid: Array.from({ length: n }, () => "topics"), invalid: Array.from({ length: n + 1 }, () => "topics") }];
    }
  }
  if (field.messageType === "google.protobuf.Duration") {
    const range = /at least ([\d,]+) seconds?, at most ([\d,]+) years/.exec(limits);
    if (range) {
      const max = number(range[2]!) * 31_557_600; // years of 365.25 days
      return [
        { valid: { seconds: max, nanos: 0 }, invalid: { seconds: max + 1, nanos: 0 } },
        { valid: { seconds: number(range[1]!), nanos: 0 }, invalid: { seconds: number(range[1]!) - 1, nanos: 999_999_999 } },
      ];
    }
  }
  if (field.kind === "int") {
    const lowered = /0 to ([\d,]+) after lowering/.exec(limits);
    if (lowered) return [{ valid: number(lowered[1]!) * 10, invalid: -1 }];
    const range = /0 to ([\d,]+)/.exec(limits);
    if (range) return [{ valid: number(range[1]!), invalid: number(range[1]!) + 1 }];
  }
  return found;
}

/** Sets `value` at a path of JSON field names in `request` (arrays by index). */
function setAt(request: object, path: (string | number)[], value: unknown): void {
  let target = request as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[path.at(-1)!] = value;
}

function violationsOf(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (err) {
    if (err instanceof ValidationError) return err.violations.map((v) => v.field);
    throw err;
  }
}

interface Case {
  readonly method: string;
  readonly path: string;
  readonly field: DocumentedField;
  readonly at: (string | number)[];
}

/** Every field of a method's request, and of the messages it holds, down to the memory and filter. */
function casesOf(method: string, type: string, prefix = "", at: (string | number)[] = []): Case[] {
  const cases: Case[] = [];
  for (const field of FIELDS.get(type) ?? []) {
    const path = `${prefix}${field.name}`;
    if (field.messageType?.startsWith("memoryd.v1.") && !field.map) {
      const nested = field.messageType.slice("memoryd.v1.".length);
      const index = field.repeated ? [0] : [];
      cases.push(...casesOf(method, nested, `${path}${field.repeated ? "[0]" : ""}.`, [...at, field.jsonName, ...index]));
    }
    cases.push({ method, path, field, at: [...at, field.jsonName] });
  }
  return cases;
}

/** Puts `value` into the field `c` names: a oneof member as the tagged union ts-proto decodes. */
function setField(request: object, c: Case, value: unknown): void {
  if (c.field.oneof === undefined) setAt(request, c.at, value);
  else setAt(request, [...c.at.slice(0, -1), c.field.oneof], { $case: c.field.jsonName, [c.field.jsonName]: value });
}

/** `count` entries like the first of a batch, with distinct memory ids. */
function entriesLike(first: unknown, count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => {
    if (typeof first === "string") return `m${i}`;
    const entry = structuredClone(first) as { userMemory?: { memoryId: string }; memoryId?: string };
    if (entry.userMemory) entry.userMemory.memoryId = `m${i}`;
    else if (entry.memoryId !== undefined) entry.memoryId = `m${i}`;
    return entry;
  });
}

const CASES = Object.entries(METHODS).flatMap(([method, { type }]) => casesOf(method, type));

describe("documented limits", () => {
  it("are stated on every request field that has one, and each is understood here", () => {
    const stated = CASES.filter((c) => c.field.limits !== undefined);
    expect(stated.length).toBeGreaterThan(60);
    for (const c of stated) {
      if (NOT_READ.has(`${c.method} ${c.path}`)) continue;
      expect(probes(c.field, c.path).length, `${c.method} ${c.path}: "${c.field.limits}"`).toBeGreaterThan(0);
    }
  });

  it.each(
    CASES.filter((c) => c.field.limits !== undefined && !NOT_READ.has(`${c.method} ${c.path}`)).map(
      (c) => [`${c.method} ${c.path}`, c] as const,
    ),
  )("%s: the value at the limit passes, one past it is refused naming the field", (_, c) => {
    const { run, base } = METHODS[c.method]!;
    for (const probe of probes(c.field, c.path)) {
      const valid = base();
      const invalid = base();
      if (probe.valid === "repeat") {
        // A batch: the base request's entry, as many times as allowed and once more.
        const entries = entriesLike((valid as Record<string, unknown[]>)[c.field.jsonName]![0], probe.invalid as number);
        setAt(valid, c.at, entries.slice(0, -1));
        setAt(invalid, c.at, entries);
      } else {
        setField(valid, c, probe.valid);
        setField(invalid, c, probe.invalid);
      }
      if (!ONLY_PAST_LIMIT.has(c.field.name))
        expect(
          violationsOf(() => run(valid)),
          `${c.path} at its limit`,
        ).toEqual([]);
      expect(
        violationsOf(() => run(invalid)),
        `${c.path} past its limit`,
      ).toContain(probe.violation ?? c.path);
    }
  });

  it.each(
    CASES.filter((c) => c.field.required && c.field.kind === "string" && !NOT_REQUIRED_HERE.has(`${c.method} ${c.path}`)).map(
      (c) => [`${c.method} ${c.path}`, c] as const,
    ),
  )("%s is REQUIRED: left empty, it is refused", (_, c) => {
    const request = METHODS[c.method]!.base();
    setAt(request, c.at, "");
    expect(violationsOf(() => METHODS[c.method]!.run(request))).toContain(c.path);
  });
});
