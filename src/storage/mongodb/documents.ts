/**
 * How a memory is stored in MongoDB: its document, and the filters that
 * page through documents.
 *
 * Times are BSON dates (`create_time`, `update_time`, for people and
 * tools) plus the same instants in microseconds (`create_us`, `update_us`),
 * which order and page exactly as on the SQL backends.
 *
 * @module
 */
import type { Filter, IndexDescription } from "mongodb";
import { dateFromMicros } from "../clock.js";
import type { Cursor, MemoryRecord } from "../store.js";
import { foldForSearch } from "../text-search.js";

export interface MemoryDocument {
  user_id: string;
  memory_id: string;
  memory: string;
  memory_folded: string;
  topics: string[];
  input?: string;
  create_time: Date;
  update_time: Date;
  create_us: number;
  update_us: number;
  etag: string;
  request_key: string;
  request_fingerprint?: string;
}

/**
 * Request ids are unique through an index on `(user_id, request_key)`; since
 * neither FerretDB nor every MongoDB deployment has partial indexes, a
 * memory created without a request id gets a key no request id can have
 * (this prefix + its memory id: request ids hold no control characters).
 */
const NO_REQUEST_PREFIX = "\u0001";

export const INDEXES: IndexDescription[] = [
  { key: { user_id: 1, memory_id: 1 }, name: "memories_by_id", unique: true },
  { key: { user_id: 1, create_us: 1, memory_id: 1 }, name: "memories_by_create_time" },
  { key: { user_id: 1, update_us: 1, memory_id: 1 }, name: "memories_by_update_time" },
  { key: { user_id: 1, request_key: 1 }, name: "memories_by_request_id", unique: true },
];

/** The content fields of a document, as `$set` writes them. */
export function contentFields(record: MemoryRecord) {
  return {
    memory: record.memory,
    memory_folded: foldForSearch(record.memory),
    topics: [...record.topics],
    update_time: dateFromMicros(record.updateTime),
    update_us: record.updateTime,
    etag: record.etag,
  };
}

export function toDocument(record: MemoryRecord, requestId: string | undefined, fingerprint: string | undefined): MemoryDocument {
  const doc: MemoryDocument = {
    user_id: record.userId,
    memory_id: record.memoryId,
    ...contentFields(record),
    create_time: dateFromMicros(record.createTime),
    create_us: record.createTime,
    request_key: requestId ?? NO_REQUEST_PREFIX + record.memoryId,
  };
  if (record.input !== undefined) doc.input = record.input;
  if (fingerprint !== undefined) doc.request_fingerprint = fingerprint;
  return doc;
}

/** Documents after `cursor` in a listing by `field` (then memory id), newest or oldest first. */
export function after(field: "create_us" | "update_us", newest: boolean, cursor: Cursor): Filter<MemoryDocument>[] {
  const op = newest ? "$lt" : "$gt";
  return [{ [field]: { [op]: cursor.time } }, { [field]: cursor.time, memory_id: { [op]: cursor.memoryId } }];
}

/** A regular expression matching `text` literally. */
export const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
