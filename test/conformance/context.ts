/**
 * What the conformance categories share: the store under test and the
 * helpers that write and read it. One store is opened per backend and
 * shared by the cases, which keep out of each other's way by using fresh
 * user ids.
 */
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import {
  type ListQuery,
  type MemoryFilter,
  type MemoryRecord,
  type MemoryReplacement,
  type MemoryStore,
  type NewMemory,
  NO_FILTER,
  type OperationOptions,
  type SortDirection,
} from "../../src/storage/store.js";

/** Strings that break naive query building; they must round-trip verbatim. */
export const HOSTILE_STRINGS = [
  "'; DROP TABLE memories; --",
  '{"$gt": ""}',
  "$where",
  "100% _sure_ \\ back\\slash",
  "ünïcödé 🧠 ÉCOLE",
  "line\nbreak\ttab",
];

/** Sort key order as the store defines it: time, then memory id (ASCII ids compare the same in JS). */
export function byKey(time: (m: MemoryRecord) => number, direction: SortDirection) {
  const sign = direction === "newest" ? -1 : 1;
  return (a: MemoryRecord, b: MemoryRecord) =>
    sign * (time(a) - time(b) || (a.memoryId < b.memoryId ? -1 : a.memoryId > b.memoryId ? 1 : 0));
}

export const ids = (records: readonly MemoryRecord[]) => records.map((r) => r.memoryId);

/** A query's fields, any of them overridden; the filter's too. */
export type QueryChanges = Partial<Omit<ListQuery, "filter">> & { filter?: Partial<MemoryFilter> };

export class Conformance {
  #store: MemoryStore | undefined;

  /** The store under test; set before the first case runs. */
  get store(): MemoryStore {
    if (!this.#store) throw new Error("the conformance store is not open yet");
    return this.#store;
  }

  set store(store: MemoryStore | undefined) {
    this.#store = store;
  }

  newUser(): string {
    return `user-${randomUUID()}`;
  }

  draft(userId: string, fields: Partial<NewMemory> = {}): NewMemory {
    return { userId, memory: "likes green tea", topics: ["food"], labels: {}, ...fields };
  }

  async addOne(userId: string, fields: Partial<NewMemory> = {}): Promise<MemoryRecord> {
    const [record] = await this.store.add([this.draft(userId, fields)]);
    return record!;
  }

  /** `count` memories added one after another ("memory 0", "memory 1", ...). */
  async addMany(userId: string, count: number, fields: (i: number) => Partial<NewMemory> = () => ({})): Promise<MemoryRecord[]> {
    const records: MemoryRecord[] = [];
    for (let i = 0; i < count; i++) records.push(await this.addOne(userId, { memory: `memory ${i}`, ...fields(i) }));
    return records;
  }

  /** A replacement of `record`'s content with `changes`: every content field given, as the API sends them. */
  replacement(record: { userId: string; memoryId: string }, changes: Partial<MemoryReplacement> = {}): MemoryReplacement {
    return {
      userId: record.userId,
      memoryId: record.memoryId,
      memory: "replaced",
      topics: [],
      labels: {},
      allowMissing: false,
      ...changes,
    };
  }

  /** A listing of `userId`'s memories: newest created first, no filter, pages of 10, unless `changes` say otherwise. */
  query(userId: string, changes: QueryChanges = {}): ListQuery {
    const { filter, ...rest } = changes;
    return {
      userId,
      orderBy: "createTime",
      direction: "newest",
      text: "",
      pageSize: 10,
      skip: 0,
      after: undefined,
      withTotal: false,
      ...rest,
      filter: { ...NO_FILTER, ...filter },
    };
  }

  /** A search as SearchUserMemories runs it: by update time, newest first, unless `changes` say otherwise. */
  search(userId: string, text: string, changes: QueryChanges = {}): ListQuery {
    return this.query(userId, { orderBy: "updateTime", text, ...changes });
  }

  /** The first page of a listing or search. */
  async firstMatches(query: ListQuery, options?: OperationOptions): Promise<MemoryRecord[]> {
    return (await this.store.list({ ...query, after: undefined }, options)).memories as MemoryRecord[];
  }

  /** Every page of a listing, checking each holds at most its page size. */
  async listAll(query: ListQuery): Promise<MemoryRecord[][]> {
    const pages: MemoryRecord[][] = [];
    let after = query.after;
    do {
      const page = await this.store.list({ ...query, after });
      expect(page.memories.length).toBeLessThanOrEqual(query.pageSize);
      pages.push([...page.memories]);
      after = page.next;
    } while (after && pages.length < 1000);
    return pages;
  }
}
