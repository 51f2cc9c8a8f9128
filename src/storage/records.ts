/**
 * What a stored record is made of, built the same way by every backend:
 * ids, etags, request fingerprints, and the records a creation, a
 * replacement or an update writes.
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import type { MemoryContent, MemoryRecord, MemoryReplacement, MemoryUpdate, NewMemory } from "./store.js";

export function newMemoryId(): string {
  return randomUUID();
}

/** 80 random bits: an etag must never repeat for the same memory, even across delete and re-create. */
export function newEtag(): string {
  return randomUUID().replaceAll("-", "").slice(0, 20);
}

/** The content fields of `source`, and nothing else: what a write copies from its request. */
export function contentOf(source: MemoryContent): MemoryContent {
  return {
    memory: source.memory,
    topics: source.topics,
    input: source.input,
    agentId: source.agentId,
    teamId: source.teamId,
    feedback: source.feedback,
    labels: source.labels,
    expireTime: source.expireTime,
  };
}

/** Labels in key order, so that equal maps serialise (and fingerprint) equally. */
export function sortedLabels(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A digest of what a creation asked for, stored beside its request id, so a
 * retry can be told apart from a reuse of the id for something else.
 * Expiry is left out: a retry that sent a ttl gets a later expire time.
 */
export function requestFingerprint(memory: NewMemory): string {
  const content = JSON.stringify([
    memory.memoryId ?? null,
    memory.memory,
    memory.topics,
    memory.input ?? null,
    memory.agentId ?? null,
    memory.teamId ?? null,
    memory.feedback ?? null,
    sortedLabels(memory.labels),
  ]);
  return createHash("sha256").update(content).digest("base64url").slice(0, 22);
}

/** The record a creation writes: `time` as both times, a fresh etag, and a UUID unless the caller chose the id. */
export function newRecord(memory: NewMemory, time: number): MemoryRecord {
  return {
    userId: memory.userId,
    memoryId: memory.memoryId ?? newMemoryId(),
    ...contentOf(memory),
    createTime: time,
    updateTime: time,
    etag: newEtag(),
  };
}

/**
 * The record a replacement writes, with a fresh etag. Its create time is
 * the stored memory's, which the backend reads back with the write; until
 * then it is `updateTime` (right for an upsert that creates).
 */
export function replacedRecord(replacement: MemoryReplacement, updateTime: number): MemoryRecord {
  return {
    userId: replacement.userId,
    memoryId: replacement.memoryId,
    ...contentOf(replacement),
    createTime: updateTime,
    updateTime,
    etag: newEtag(),
  };
}

/**
 * The content an update leaves: each field `update.changes` holds (as an
 * own property, even when its value is undefined, which clears it) over
 * the stored record's.
 */
export function updatedContent(stored: MemoryRecord, update: MemoryUpdate): MemoryContent {
  return { ...contentOf(stored), ...update.changes };
}

/**
 * A memory as the document stores (PostgreSQL rows, MongoDB documents) hold
 * it: snake_case fields, times in microseconds (PostgreSQL's int8 arrives
 * as a string), labels as a JSON object (PostgreSQL's jsonb) or as
 * key/value pairs (MongoDB, whose field names cannot hold every key).
 */
export interface MemoryColumns {
  user_id: string;
  memory_id: string;
  memory: string;
  topics: string[];
  input?: string | null;
  agent_id?: string | null;
  team_id?: string | null;
  feedback?: string | null;
  labels?: Record<string, string> | [string, string][] | null;
  create_us: number | string;
  update_us: number | string;
  expire_us?: number | string | null;
  etag: string;
}

const absentAsUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

export function recordFromColumns(columns: MemoryColumns): MemoryRecord {
  const labels = columns.labels ?? {};
  return {
    userId: columns.user_id,
    memoryId: columns.memory_id,
    memory: columns.memory,
    topics: columns.topics,
    input: absentAsUndefined(columns.input),
    agentId: absentAsUndefined(columns.agent_id),
    teamId: absentAsUndefined(columns.team_id),
    feedback: absentAsUndefined(columns.feedback),
    labels: Array.isArray(labels) ? Object.fromEntries(labels) : labels,
    expireTime: columns.expire_us === null || columns.expire_us === undefined ? undefined : Number(columns.expire_us),
    createTime: Number(columns.create_us),
    updateTime: Number(columns.update_us),
    etag: columns.etag,
  };
}
