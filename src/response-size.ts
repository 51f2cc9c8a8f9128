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

interface SizedFields {
  readonly userId: string;
  readonly memoryId: string;
  readonly memory: string;
  readonly topics: readonly string[];
  readonly input: string | undefined;
  readonly etag: string;
}

function fieldsBound(fields: SizedFields, measure: Measure): number {
  let bytes = FIELD_OVERHEAD + 2 * TIMESTAMP_BYTES;
  for (const text of [fields.userId, fields.memoryId, fields.memory, fields.etag]) bytes += FIELD_OVERHEAD + measure(text);
  if (fields.input !== undefined) bytes += FIELD_OVERHEAD + measure(fields.input);
  for (const topic of fields.topics) bytes += FIELD_OVERHEAD + measure(topic);
  return bytes;
}

/** An upper bound of the bytes `record` adds to a response as a repeated UserMemory. */
export function encodedSizeBound(record: MemoryRecord): number {
  return fieldsBound(record, exactly);
}

/**
 * How many of `records`, from the first, fit in `budget` bytes; at least
 * one, so that paging always moves on (a single memory is far below any
 * limit the server accepts).
 */
export function countThatFits(records: readonly MemoryRecord[], budget: number): number {
  let rough = 0;
  for (const record of records) rough += fieldsBound(record, roughly);
  if (rough <= budget) return records.length;
  let total = 0;
  for (const [index, record] of records.entries()) {
    total += encodedSizeBound(record);
    if (total > budget) return Math.max(1, index);
  }
  return records.length;
}

/** An upper bound of the response to creating `memories`, whatever ids and etags the store gives them. */
export function creationResponseBound(memories: readonly NewMemory[]): number {
  let total = 0;
  for (const memory of memories) {
    const generated = (memory.memoryId === undefined ? GENERATED_ID_BYTES : 0) + ETAG_BYTES;
    total += generated + fieldsBound({ ...memory, memoryId: memory.memoryId ?? "", input: memory.input, etag: "" }, exactly);
  }
  return total;
}
