/**
 * Keeps every response within the message size limit.
 *
 * grpc-js refuses to send a message over the limit and answers the call
 * RESOURCE_EXHAUSTED instead: after a write had committed, that would tell
 * the caller "failed" about something that happened, and a page of large
 * memories could never be read at all. So pages are cut by bytes as well
 * as by count (a shorter page with a next_page_token), and a batch whose
 * response cannot fit is refused before anything is written.
 *
 * Sizes are upper bounds of the protobuf encoding, computed from the
 * strings' lengths rather than by encoding: cheap, and never too small.
 *
 * @module
 */
import type { MemoryRecord, NewMemory } from "./storage/store.js";

/** Room a response keeps beside its memories: the page token and the fields' own tags. */
export const RESPONSE_OVERHEAD_BYTES = 1024;

/** Tag and length prefix of a string or message field, at most. */
const FIELD_OVERHEAD = 6;
/** An encoded google.protobuf.Timestamp field, at most. */
const TIMESTAMP_BYTES = 20;
/** Generated memory ids (UUIDs) and etags. */
const GENERATED_ID_BYTES = 36;
const ETAG_BYTES = 20;

type Measure = (text: string) => number;
/** UTF-8 takes at most 3 bytes per UTF-16 unit: an instant bound. */
const roughly: Measure = (text) => text.length * 3;
const exactly: Measure = (text) => Buffer.byteLength(text, "utf8");

type SizedFields = Pick<
  MemoryRecord,
  "userId" | "memoryId" | "memory" | "topics" | "input" | "agentId" | "teamId" | "feedback" | "labels" | "etag"
>;

/** A map entry: the entry's own tag and length, and its key and value fields' tags and lengths. */
const MAP_ENTRY_OVERHEAD = 3 * FIELD_OVERHEAD;

function fieldsBound(fields: SizedFields, measure: Measure): number {
  // Create, update and expire time; a record without an expiry is only overestimated.
  let bytes = FIELD_OVERHEAD + 3 * TIMESTAMP_BYTES;
  for (const text of [fields.userId, fields.memoryId, fields.memory, fields.etag]) bytes += FIELD_OVERHEAD + measure(text);
  for (const text of [fields.input, fields.agentId, fields.teamId, fields.feedback]) {
    if (text !== undefined) bytes += FIELD_OVERHEAD + measure(text);
  }
  for (const topic of fields.topics) bytes += FIELD_OVERHEAD + measure(topic);
  for (const key in fields.labels) bytes += MAP_ENTRY_OVERHEAD + measure(key) + measure(fields.labels[key]!);
  return bytes;
}

/** An upper bound of the bytes `record` adds to a response as a repeated UserMemory. */
export function encodedSizeBound(record: MemoryRecord): number {
  return fieldsBound(record, exactly);
}

/**
 * How many of `items`, from the first, fit in `budget` bytes by `bound`; at
 * least one, so that paging always moves on (a single entry is far below
 * any limit the server accepts). `rough`, an upper bound of `bound` that is
 * cheaper to compute, settles the common case of a page that fits.
 */
export function prefixThatFits<T>(items: readonly T[], budget: number, bound: (item: T) => number, rough = bound): number {
  let roughTotal = 0;
  for (const item of items) roughTotal += rough(item);
  if (roughTotal <= budget) return items.length;
  let total = 0;
  for (const [index, item] of items.entries()) {
    total += bound(item);
    if (total > budget) return Math.max(1, index);
  }
  return items.length;
}

/** How many of `records`, from the first, fit in `budget` bytes as repeated UserMemory. */
export function countThatFits(records: readonly MemoryRecord[], budget: number): number {
  return prefixThatFits(records, budget, encodedSizeBound, (record) => fieldsBound(record, roughly));
}

/** An upper bound of one entry of a topics or statistics page: its id and two numbers or a timestamp. */
export function idEntryBound(id: string): number {
  return 2 * FIELD_OVERHEAD + exactly(id) + TIMESTAMP_BYTES + 11;
}

/** An upper bound of the response to creating `memories`, whatever ids and etags the store gives them. */
export function creationResponseBound(memories: readonly NewMemory[]): number {
  let total = 0;
  for (const memory of memories) {
    const generated = (memory.memoryId === undefined ? GENERATED_ID_BYTES : 0) + ETAG_BYTES;
    total += generated + fieldsBound({ ...memory, memoryId: memory.memoryId ?? "", etag: "" }, exactly);
  }
  return total;
}

/** An upper bound of the response to writing `records` as given, with the etags the store gives them. */
export function writtenRecordsBound(records: readonly MemoryRecord[]): number {
  let total = 0;
  for (const record of records) total += ETAG_BYTES + fieldsBound(record, exactly);
  return total;
}
