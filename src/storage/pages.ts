/**
 * Keyset pages, as every store cuts them: by a time (create or update
 * time), then memory id, then (in listings across users) user id.
 *
 * @module
 */
import type { Cursor, MemoryRecord, Page, SortDirection, SortTime } from "./store.js";

export const byCreateTime = (record: MemoryRecord): number => record.createTime;

export const byUpdateTime = (record: MemoryRecord): number => record.updateTime;

/** The sort key a listing ordered by `orderBy` cuts its pages on. */
export function timeOf(orderBy: SortTime): (record: MemoryRecord) => number {
  return orderBy === "createTime" ? byCreateTime : byUpdateTime;
}

/** The cursor before the first page of a listing: every real key sorts after it. */
export function startCursor(direction: SortDirection): Cursor {
  return direction === "newest" ? { time: Number.MAX_SAFE_INTEGER, memoryId: "" } : { time: -1, memoryId: "" };
}

/** The cursor just after `record` in a listing of `query`'s order and scope. */
export function cursorAfter(record: MemoryRecord, query: { readonly orderBy: SortTime; readonly userId: string | undefined }): Cursor {
  const position = { time: timeOf(query.orderBy)(record), memoryId: record.memoryId };
  return query.userId === undefined ? { ...position, userId: record.userId } : position;
}

/**
 * A page from the rows a store fetched: stores ask for one row more than
 * the page holds, and that extra row only says that more follow.
 */
export function toPage<Row>(
  rows: readonly Row[],
  query: { readonly pageSize: number; readonly orderBy: SortTime; readonly userId: string | undefined },
  toRecord: (row: Row) => MemoryRecord,
  total?: number,
): Page {
  const more = rows.length > query.pageSize;
  const memories = (more ? rows.slice(0, query.pageSize) : rows).map(toRecord);
  const last = memories.at(-1);
  const next = more && last ? cursorAfter(last, query) : undefined;
  return total === undefined ? { memories, next } : { memories, next, total };
}
