/**
 * What a stored record is made of, built the same way by every backend:
 * ids, etags, request fingerprints, and the records a creation or a
 * replacement writes.
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import type { MemoryRecord, MemoryReplacement, NewMemory } from "./store.js";

export function newMemoryId(): string {
  return randomUUID();
}

/** 80 random bits: an etag must never repeat for the same memory, even across delete and re-create. */
export function newEtag(): string {
  return randomUUID().replaceAll("-", "").slice(0, 20);
}

/**
 * A digest of what a creation asked for, stored beside its request id, so a
 * retry can be told apart from a reuse of the id for something else.
 */
export function requestFingerprint(memory: NewMemory): string {
  const content = JSON.stringify([memory.memoryId ?? null, memory.memory, memory.topics, memory.input ?? null]);
  return createHash("sha256").update(content).digest("base64url").slice(0, 22);
}

/** The record a creation writes: `time` as both times, a fresh etag, and a UUID unless the caller chose the id. */
export function newRecord(memory: NewMemory, time: number): MemoryRecord {
  return {
    userId: memory.userId,
    memoryId: memory.memoryId ?? newMemoryId(),
    memory: memory.memory,
    topics: memory.topics,
    input: memory.input,
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
    memory: replacement.memory,
    topics: replacement.topics,
    input: replacement.input,
    createTime: updateTime,
    updateTime,
    etag: newEtag(),
  };
}

/**
 * A memory as the document stores (PostgreSQL rows, MongoDB documents) hold
 * it: snake_case fields, times in microseconds (PostgreSQL's int8 arrives
 * as a string).
 */
export interface MemoryColumns {
  user_id: string;
  memory_id: string;
  memory: string;
  topics: string[];
  input?: string | null;
  create_us: number | string;
  update_us: number | string;
  etag: string;
}

export function recordFromColumns(columns: MemoryColumns): MemoryRecord {
  return {
    userId: columns.user_id,
    memoryId: columns.memory_id,
    memory: columns.memory,
    topics: columns.topics,
    input: columns.input ?? undefined,
    createTime: Number(columns.create_us),
    updateTime: Number(columns.update_us),
    etag: columns.etag,
  };
}
