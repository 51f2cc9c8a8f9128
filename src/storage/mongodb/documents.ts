/**
 * How a memory is stored in MongoDB: its document, and the filters that
 * select and page through documents.
 *
 * Times are BSON dates (`create_time`, `update_time`, `expire_time`, for
 * people and tools) plus the same instants in microseconds (`create_us`,
 * `update_us`, `expire_us`), which order, page and expire exactly as on
 * the SQL backends. Labels are stored as strings `key NUL value`: a label
 * key may hold `.` or start with `$`, which field names cannot, and neither
 * keys nor values hold NUL (validation), so the first NUL splits them.
 * Documents written before memoryd.v1 lack the newer fields; each reads
 * as unset.
 *
 * @module
 */
import type { Filter, IndexDescription } from "mongodb";
import { dateFromMicros } from "../clock.js";
import { type MemoryColumns, recordFromColumns, sortedLabels } from "../records.js";
import type { Cursor, MemoryFilter, MemoryRecord, SortTime } from "../store.js";
import { foldForSearch } from "../text-search.js";

export interface MemoryDocument {
  user_id: string;
  memory_id: string;
  memory: string;
  memory_folded: string;
  topics: string[];
  input?: string;
  agent_id?: string;
  team_id?: string;
  feedback?: string;
  labels?: string[];
  create_time: Date;
  update_time: Date;
  create_us: number;
  update_us: number;
  expire_time?: Date;
  expire_us?: number;
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

const LABEL_SEPARATOR = "\u0000";

export const INDEXES: IndexDescription[] = [
  { key: { user_id: 1, memory_id: 1 }, name: "memories_by_id", unique: true },
  { key: { user_id: 1, create_us: 1, memory_id: 1 }, name: "memories_by_create_time" },
  { key: { user_id: 1, update_us: 1, memory_id: 1 }, name: "memories_by_update_time" },
  { key: { user_id: 1, request_key: 1 }, name: "memories_by_request_id", unique: true },
  // Lists of one agent's or team's memories walk that scope in order.
  { key: { user_id: 1, agent_id: 1, create_us: 1, memory_id: 1 }, name: "memories_by_agent_create_time" },
  { key: { user_id: 1, agent_id: 1, update_us: 1, memory_id: 1 }, name: "memories_by_agent_update_time" },
  { key: { user_id: 1, team_id: 1, create_us: 1, memory_id: 1 }, name: "memories_by_team_create_time" },
  { key: { user_id: 1, team_id: 1, update_us: 1, memory_id: 1 }, name: "memories_by_team_update_time" },
  { key: { expire_us: 1 }, name: "memories_by_expire_time" },
  // Agno 3's ids are global: a lookup by id alone, across users, uses this.
  { key: { memory_id: 1 }, name: "memories_by_memory_id" },
];

/** The stored form of labels: `key NUL value`, in key order. */
export function labelStrings(labels: Readonly<Record<string, string>>): string[] {
  return sortedLabels(labels).map(([key, value]) => `${key}${LABEL_SEPARATOR}${value}`);
}

/** A document as the store's record. */
export function fromDocument(doc: Omit<MemoryColumns, "labels"> & { labels?: string[] | null }): MemoryRecord {
  const labels = (doc.labels ?? []).map((pair): [string, string] => {
    const at = pair.indexOf(LABEL_SEPARATOR);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
  return recordFromColumns({ ...doc, labels });
}

/**
 * The content fields of a document, as `$set` writes them, and those to
 * `$unset` (optional fields the record leaves empty).
 */
export function contentUpdate(record: MemoryRecord): { $set: Partial<MemoryDocument>; $unset: Record<string, ""> } {
  const $set: Partial<MemoryDocument> = {
    memory: record.memory,
    memory_folded: foldForSearch(record.memory),
    topics: [...record.topics],
    labels: labelStrings(record.labels),
    update_time: dateFromMicros(record.updateTime),
    update_us: record.updateTime,
    etag: record.etag,
  };
  const $unset: Record<string, ""> = {};
  const optional = { input: record.input, agent_id: record.agentId, team_id: record.teamId, feedback: record.feedback } as const;
  for (const [field, value] of Object.entries(optional)) {
    if (value === undefined) $unset[field] = "";
    else $set[field as keyof typeof optional] = value;
  }
  if (record.expireTime === undefined) {
    $unset.expire_time = "";
    $unset.expire_us = "";
  } else {
    $set.expire_time = dateFromMicros(record.expireTime);
    $set.expire_us = record.expireTime;
  }
  return { $set, $unset };
}

export function toDocument(record: MemoryRecord, requestId: string | undefined, fingerprint: string | undefined): MemoryDocument {
  const doc: MemoryDocument = {
    user_id: record.userId,
    memory_id: record.memoryId,
    ...(contentUpdate(record).$set as Omit<MemoryDocument, "user_id" | "memory_id" | "create_time" | "create_us" | "request_key">),
    create_time: dateFromMicros(record.createTime),
    create_us: record.createTime,
    request_key: requestId ?? NO_REQUEST_PREFIX + record.memoryId,
  };
  if (fingerprint !== undefined) doc.request_fingerprint = fingerprint;
  return doc;
}

/** Documents that have not expired at `now`: no expire time, or a later one. */
export function live(now: number): Filter<MemoryDocument> {
  return { expire_us: { $not: { $lte: now } } };
}

/** Documents that have expired at `now`. */
export function expired(now: number): Filter<MemoryDocument> {
  return { expire_us: { $lte: now } };
}

/** The time field a listing orders by. */
export const TIME_FIELD: Record<SortTime, "create_us" | "update_us"> = { createTime: "create_us", updateTime: "update_us" };

/** Documents after `cursor` in a listing by `field` (then memory id), newest or oldest first. */
export function after(field: "create_us" | "update_us", newest: boolean, cursor: Cursor): Filter<MemoryDocument> {
  const op = newest ? "$lt" : "$gt";
  const ties: Filter<MemoryDocument>[] = [{ [field]: cursor.time, memory_id: { [op]: cursor.memoryId } }];
  // Across users, the user id is the third key.
  if (cursor.userId !== undefined) ties.push({ [field]: cursor.time, memory_id: cursor.memoryId, user_id: { [op]: cursor.userId } });
  return { $or: [{ [field]: { [op]: cursor.time } }, ...ties] };
}

/** The documents of a user (or everyone's) that a filter selects, and that contain `folded` when it is not empty. */
export function selection(userId: string | undefined, filter: MemoryFilter, folded: string, now: number): Filter<MemoryDocument> {
  const where: Filter<MemoryDocument> = {};
  if (userId !== undefined) where.user_id = userId;
  if (filter.agentId !== undefined) where.agent_id = filter.agentId;
  if (filter.teamId !== undefined) where.team_id = filter.teamId;
  if (filter.memoryIds.length > 0) where.memory_id = { $in: [...filter.memoryIds] };
  if (!filter.showExpired) Object.assign(where, live(now));
  if (filter.anyTopics.length > 0 && filter.allTopics.length > 0) {
    where.$and = [{ topics: { $in: [...filter.anyTopics] } }, { topics: { $all: [...filter.allTopics] } }];
  } else if (filter.anyTopics.length > 0) where.topics = { $in: [...filter.anyTopics] };
  else if (filter.allTopics.length > 0) where.topics = { $all: [...filter.allTopics] };
  const labels = labelStrings(filter.labels);
  if (labels.length > 0) where.labels = { $all: labels };
  if (folded !== "") where.memory_folded = { $regex: escapeRegex(folded) };
  return where;
}

/** A regular expression matching `text` literally. */
export const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
