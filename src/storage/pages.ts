/**
 * Keyset pages, as every store cuts them: by a time (create time for
 * listings, update time for searches), then memory id.
 *
 * @module
 */
import type { Cursor, MemoryRecord, Page, SortDirection } from "./store.js";

/** The sort key of a listing: create time. */
export const byCreateTime = (record: MemoryRecord): number => record.createTime;

/** The sort key of a search: update time. */
export const byUpdateTime = (record: MemoryRecord): number => record.updateTime;

/** The cursor before the first page of a listing: every real key sorts after it. */
export function startCursor(direction: SortDirection): Cursor {
  return direction === "newest" ? { time: Number.MAX_SAFE_INTEGER, memoryId: "" } : { time: -1, memoryId: "" };
}

/**
 * A page from the rows a store fetched: stores ask for one row more than
 * the page holds, and that extra row only says that more follow.
 */
export function toPage<Row>(rows: readonly Row[], pageSize: number, toRecord: (row: Row) => MemoryRecord, timeOf = byCreateTime): Page {
  const more = rows.length > pageSize;
  const memories = (more ? rows.slice(0, pageSize) : rows).map(toRecord);
  const last = memories.at(-1);
  return { memories, next: more && last ? { time: timeOf(last), memoryId: last.memoryId } : undefined };
}
