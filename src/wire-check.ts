/**
 * A strict check of the protobuf wire format, run on a request's bytes
 * before ts-proto decodes them.
 *
 * ts-proto's generated decoders are lenient in ways that let a request mean
 * something other than what its bytes say: a 0 or end-group tag ends the
 * current message early and the rest is read as fields of the enclosing one;
 * length and tag varints keep only their low 32 bits (a length of 2^32 + 5
 * reads as 5, field number 2^29 + 1 as field 1); a varint may run past 10
 * bytes; a known field with the wrong wire type is silently skipped; a
 * nested message's last field may run past the message's end. Any of these
 * lets two parsers disagree on one request, so such bytes are refused.
 *
 * The rules, on every message, nested or not:
 * - a tag is a varint of at most 5 bytes whose value fits in 32 bits, with a
 *   field number from 1 to 2^29 - 1 and wire type 0, 1, 2 or 5 (proto3 has
 *   no groups, so start- and end-group tags are malformed too);
 * - a varint has at most 10 bytes, the 10th at most 1 (64 bits);
 * - a length prefix has at most 5 bytes, is below 2^32 and fits in what is
 *   left of the enclosing message; fixed32 and fixed64 values fit too;
 * - a known field has its declared wire type (a repeated number may come
 *   packed or not, and a packed run must consist of whole values);
 * - a field whose type is a message (or a map entry) is checked the same
 *   way, recursively, down to 100 levels (ts-proto's limit);
 * - unknown fields are allowed, for forward compatibility, but must be
 *   well-formed by the rules above.
 *
 * The rules per message type come from the descriptors `buf build` writes
 * (gen/memoryd.binpb), compiled once into a table per type indexed by field
 * number. Checking is one pass over the bytes without allocating; only a
 * failure builds an error. UTF-8 validity is left to the decoder, which
 * already decodes strings strictly.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createFileRegistry, type DescField, type DescMessage, fromBinary, type Registry, ScalarType } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { DESCRIPTOR_SET_PATH } from "./reflection.js";

/** Nesting deeper than this is refused, as ts-proto's decode refuses it. */
export const MAX_DEPTH = 100;

/** Bytes that are not a strictly well-formed encoding of the expected message type. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireFormatError";
  }
}

/** Throws `WireFormatError` unless `bytes` are a strictly well-formed message of one type. */
export type WireCheck = (bytes: Uint8Array) => void;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
const WIRE_TYPE_NAMES = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit", "6", "7"];

/** How the bytes of a packed repeated field are made up. */
const NOT_PACKABLE = 0;
const PACKED_VARINTS = 1;
const PACKED_FIXED32 = 2;
const PACKED_FIXED64 = 3;

interface FieldRule {
  /** The field's name, for error messages. */
  readonly name: string;
  /** Bit `1 << w` is set for each wire type `w` the field may use. */
  readonly wireTypes: number;
  /** What a length-delimited value holds when it is a packed run of numbers. */
  readonly packed: number;
  /** The type of a length-delimited value that is a message (or map entry). */
  readonly message: MessageRule | undefined;
}

interface MessageRule {
  readonly typeName: string;
  /** Rules by field number, for the numbers below its length; undefined for unknown fields. */
  readonly dense: (FieldRule | undefined)[];
  /** Rules of the few fields whose numbers are too large for `dense`. */
  readonly sparse: Map<number, FieldRule>;
}

/** Field numbers below this are looked up in an array; larger ones (rare) in a map. */
const DENSE_LIMIT = 1024;

function scalarWireType(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return I32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    default:
      return VARINT;
  }
}

const PACKED_BY_WIRE_TYPE: Record<number, number> = { [VARINT]: PACKED_VARINTS, [I32]: PACKED_FIXED32, [I64]: PACKED_FIXED64 };

function fieldRule(name: string, wireType: number, options: { repeated?: boolean; message?: MessageRule } = {}): FieldRule {
  // Repeated numbers may come one per tag or packed into one length-delimited run.
  const packable = options.repeated === true && wireType !== LEN;
  return {
    name,
    wireTypes: (1 << wireType) | (packable ? 1 << LEN : 0),
    packed: packable ? PACKED_BY_WIRE_TYPE[wireType]! : NOT_PACKABLE,
    message: options.message,
  };
}

function setFields(rule: MessageRule, fields: readonly (readonly [number, FieldRule])[]): MessageRule {
  const denseLength = Math.min(DENSE_LIMIT, 1 + Math.max(0, ...fields.map(([number]) => number)));
  for (let number = 0; number < denseLength; number++) rule.dense.push(undefined);
  for (const [number, field] of fields) {
    if (number < denseLength) rule.dense[number] = field;
    else rule.sparse.set(number, field);
  }
  return rule;
}

const emptyRule = (typeName: string): MessageRule => ({ typeName, dense: [], sparse: new Map() });

/** Compiles the rules of every message type reachable from the ones asked for, each once. */
class RuleCompiler {
  readonly #rules = new Map<string, MessageRule>();

  message(desc: DescMessage): MessageRule {
    let rule = this.#rules.get(desc.typeName);
    if (rule) return rule;
    // Registered before its fields are compiled, so that recursive types end.
    rule = emptyRule(desc.typeName);
    this.#rules.set(desc.typeName, rule);
    return setFields(
      rule,
      desc.fields.map((field) => [field.number, this.#field(field)] as const),
    );
  }

  #field(field: DescField): FieldRule {
    const name = field.name;
    if (field.fieldKind === "scalar") return fieldRule(name, scalarWireType(field.scalar));
    if (field.fieldKind === "enum") return fieldRule(name, VARINT);
    if (field.fieldKind === "map") {
      // A map is a repeated entry message { key = 1; value = 2; }.
      const value =
        field.mapKind === "message"
          ? fieldRule("value", LEN, { message: this.message(field.message) })
          : fieldRule("value", field.mapKind === "enum" ? VARINT : scalarWireType(field.scalar));
      const entry = setFields(emptyRule(`${field.parent.typeName}.${name} entry`), [
        [1, fieldRule("key", scalarWireType(field.mapKey))],
        [2, value],
      ]);
      return fieldRule(name, LEN, { message: entry });
    }
    if (field.fieldKind === "list" && field.listKind === "scalar") return fieldRule(name, scalarWireType(field.scalar), { repeated: true });
    if (field.fieldKind === "list" && field.listKind === "enum") return fieldRule(name, VARINT, { repeated: true });
    // A message, single or repeated. proto3 has no groups, but an editions file could declare
    // DELIMITED encoding: refuse to start rather than refuse valid requests.
    if (field.delimitedEncoding) {
      throw new Error(`${field.parent.typeName}.${name} is group-encoded (delimited), which the wire check does not support`);
    }
    return fieldRule(name, LEN, { message: this.message(field.message) });
  }
}

/** The wire checks of the message types and gRPC methods a FileDescriptorSet describes. */
export interface WireChecks {
  /** The check of a message type, by full name ("memoryd.v1.UserMemory"). */
  forMessage(typeName: string): WireCheck;
  /** The check of a method's requests, by gRPC path ("/memoryd.v1.MemoryService/CreateUserMemory"). */
  forMethod(path: string): WireCheck;
}

export function compileWireChecks(descriptorSet: Uint8Array): WireChecks {
  const registry: Registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const compiler = new RuleCompiler();
  const forDesc = (desc: DescMessage): WireCheck => {
    const rule = compiler.message(desc);
    return (bytes) => checkMessage(bytes, 0, bytes.length, rule, 1);
  };
  return {
    forMessage(typeName) {
      const desc = registry.getMessage(typeName);
      if (!desc) throw new Error(`message type ${typeName} is not in the descriptors`);
      return forDesc(desc);
    },
    forMethod(path) {
      const [, serviceName, methodName] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
      const method = registry.getService(serviceName ?? "")?.methods.find((m) => m.name === methodName);
      if (!method) throw new Error(`method ${path} is not in the descriptors`);
      return forDesc(method.input);
    },
  };
}

let defaultChecks: WireChecks | undefined;

/**
 * The checks of every method of `service` (a grpc-js service definition),
 * compiled from gen/memoryd.binpb when called, so a method the descriptors
 * lack fails at start. Returns the check to run by path.
 */
export function requestWireChecks(service: Record<string, { readonly path: string }>): (path: string, bytes: Uint8Array) => void {
  defaultChecks ??= compileWireChecks(readFileSync(DESCRIPTOR_SET_PATH));
  const checks = new Map(Object.values(service).map(({ path }) => [path, defaultChecks!.forMethod(path)]));
  return (path, bytes) => {
    const check = checks.get(path);
    if (!check) throw new WireFormatError(`no wire check for ${path}`);
    check(bytes);
  };
}

// ---------------------------------------------------------------------------
// The check itself. Varint readers return the position after the varint, or
// one of these codes; the value of a tag or length is left in `varintValue`
// (module state rather than a returned pair, so nothing is allocated).

const TRUNCATED = -1;
const TOO_LONG = -2;
let varintValue = 0;

/** A varint of at most 5 bytes whose value is below 2^32: a tag or a length. */
function readVarint32(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return TRUNCATED;
    const b = buf[pos++]!;
    value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varintValue = value;
      return pos;
    }
  }
  if (pos >= end) return TRUNCATED;
  const b = buf[pos++]!;
  // The 5th byte holds bits 28 to 31: anything above 0x0f is a bit beyond 32 or a 6th byte.
  if (b > 0x0f) return TOO_LONG;
  varintValue = value + b * 0x10000000; // value < 2^28 here, so no sign trouble
  return pos;
}

/** A varint value of at most 10 bytes, the 10th at most 1 (so it fits in 64 bits). */
function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  for (let i = 0; i < 9; i++) {
    if (pos >= end) return TRUNCATED;
    if (buf[pos++]! < 0x80) return pos;
  }
  if (pos >= end) return TRUNCATED;
  return buf[pos++]! <= 1 ? pos : TOO_LONG;
}

function fail(rule: MessageRule, at: number, what: string): never {
  throw new WireFormatError(`malformed ${rule.typeName} at byte ${at}: ${what}`);
}

function describeField(field: FieldRule | undefined, number: number): string {
  return field ? `field ${number} (${field.name})` : `unknown field ${number}`;
}

function wrongWireType(field: FieldRule | undefined, number: number, wireType: number): string {
  if (wireType === 3 || wireType === 4)
    return `wire type ${WIRE_TYPE_NAMES[wireType]} in ${describeField(field, number)} (proto3 has no groups)`;
  if (field === undefined || wireType > 5) return `wire type ${WIRE_TYPE_NAMES[wireType]} in ${describeField(field, number)}`;
  return `field ${number} (${field.name}) has wire type ${WIRE_TYPE_NAMES[wireType]}, not its declared one`;
}

function checkMessage(buf: Uint8Array, pos: number, end: number, rule: MessageRule, depth: number): void {
  const dense = rule.dense;
  while (pos < end) {
    const at = pos;
    pos = readVarint32(buf, pos, end);
    if (pos < 0)
      fail(rule, at, pos === TRUNCATED ? "truncated tag" : "tag longer than 5 bytes or above 2^32 - 1 (field number above 2^29 - 1)");
    const tag = varintValue;
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (number === 0) fail(rule, at, "field number 0");
    const field = number < dense.length ? dense[number] : rule.sparse.get(number);
    if (field !== undefined && (field.wireTypes & (1 << wireType)) === 0) fail(rule, at, wrongWireType(field, number, wireType));
    switch (wireType) {
      case VARINT: {
        const start = pos;
        pos = skipVarint(buf, pos, end);
        if (pos < 0)
          fail(rule, start, `${pos === TRUNCATED ? "truncated" : "over 10 bytes or 64 bits"} varint in ${describeField(field, number)}`);
        break;
      }
      case I64:
        if (end - pos < 8) fail(rule, pos, `truncated 64-bit value in ${describeField(field, number)}`);
        pos += 8;
        break;
      case I32:
        if (end - pos < 4) fail(rule, pos, `truncated 32-bit value in ${describeField(field, number)}`);
        pos += 4;
        break;
      case LEN: {
        const start = pos;
        pos = readVarint32(buf, pos, end);
        if (pos < 0) {
          fail(rule, start, `${pos === TRUNCATED ? "truncated" : "over 5 bytes or 2^32 - 1"} length in ${describeField(field, number)}`);
        }
        const length = varintValue;
        if (length > end - pos)
          fail(rule, start, `length ${length} of ${describeField(field, number)} exceeds the ${end - pos} bytes left`);
        const valueEnd = pos + length;
        if (field !== undefined) {
          if (field.message !== undefined) {
            if (depth >= MAX_DEPTH) fail(rule, at, `messages nested deeper than ${MAX_DEPTH}`);
            checkMessage(buf, pos, valueEnd, field.message, depth + 1);
          } else if (field.packed !== NOT_PACKABLE) {
            checkPacked(buf, pos, valueEnd, field, rule, number);
          }
        }
        pos = valueEnd;
        break;
      }
      default:
        fail(rule, at, wrongWireType(field, number, wireType));
    }
  }
}

function checkPacked(buf: Uint8Array, pos: number, end: number, field: FieldRule, rule: MessageRule, number: number): void {
  const length = end - pos;
  switch (field.packed) {
    case PACKED_FIXED32:
      if (length % 4 !== 0) fail(rule, pos, `packed field ${number} (${field.name}) of ${length} bytes is not whole 32-bit values`);
      return;
    case PACKED_FIXED64:
      if (length % 8 !== 0) fail(rule, pos, `packed field ${number} (${field.name}) of ${length} bytes is not whole 64-bit values`);
      return;
    default:
      while (pos < end) {
        const start = pos;
        pos = skipVarint(buf, pos, end);
        if (pos < 0)
          fail(
            rule,
            start,
            `${pos === TRUNCATED ? "truncated" : "over 10 bytes or 64 bits"} varint in packed field ${number} (${field.name})`,
          );
      }
  }
}
