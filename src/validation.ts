/**
 * The one validation layer: every request passes through here before it
 * reaches a store, and comes out as the store's own types. Rules are zod
 * schemas over the decoded protobuf messages; a failure lists every
 * offending field by its proto path (`user_memory.topics[3]`), which the
 * gRPC layer turns into a google.rpc.BadRequest. The limits are stated on
 * each field in proto/memoryd/v1, and `validation.spec.ts` checks the two
 * agree.
 *
 * @module
 */
import { z } from "zod";
import type { Duration } from "../gen/ts/google/protobuf/duration.js";
import type { Timestamp } from "../gen/ts/google/protobuf/timestamp.js";
import type {
  BatchCreateUserMemoriesRequest,
  BatchDeleteUserMemoriesRequest,
  BatchUpsertUserMemoriesRequest,
  ClearUserMemoriesRequest,
  ConsolidateUserMemoriesRequest,
  CreateUserMemoryRequest,
  DeleteUserMemoryRequest,
  GetUserMemoryRequest,
  ListMemoryTopicsRequest,
  ListUserMemoriesRequest,
  ListUserStatsRequest,
  ReplaceUserMemoryRequest,
  SearchUserMemoriesRequest,
  UpdateUserMemoryRequest,
} from "../gen/ts/memoryd/v1/memory_service.js";
import { canonicalIdentifier, identifierProblem } from "./identifiers.js";
import {
  decodePageToken,
  InvalidPageTokenError,
  MAX_PAGE_TOKEN_LENGTH,
  MEMORY_POSITION,
  TOPIC_POSITION,
  type TokenPosition,
  type TokenScope,
  USER_STATS_POSITION,
} from "./page-token.js";
import { wallClockMicros } from "./storage/clock.js";
import { sortedLabels } from "./storage/records.js";
import {
  type BatchDeletion,
  type ClearScope,
  type Consolidation,
  type ListQuery,
  type MemoryContent,
  type MemoryDeletion,
  type MemoryFilter,
  type MemoryRecord,
  type MemoryReplacement,
  type MemoryUpdate,
  type NewMemory,
  NO_FILTER,
  type SortDirection,
  type SortTime,
  type TopicsQuery,
  type UserStatsQuery,
} from "./storage/store.js";

/** Documented on each field in proto/memoryd/v1; sizes are UTF-8 bytes. */
export const LIMITS = {
  userIdBytes: 256,
  memoryIdBytes: 128,
  agentIdBytes: 256,
  teamIdBytes: 256,
  memoryBytes: 16_384,
  inputBytes: 65_536,
  feedbackBytes: 16_384,
  topicCount: 32,
  topicBytes: 128,
  labelCount: 32,
  labelKeyBytes: 128,
  labelValueBytes: 1024,
  requestIdBytes: 128,
  etagBytes: 128,
  queryBytes: 256,
  pageTokenBytes: MAX_PAGE_TOKEN_LENGTH,
  listPageSize: { default: 50, max: 1000 },
  searchPageSize: { default: 10, max: 1000 },
  topicsPageSize: { default: 100, max: 1000 },
  statsPageSize: { default: 50, max: 1000 },
  skip: 100_000,
  batchSize: 500,
  filterMemoryIds: 1000,
  updateMaskPaths: 16,
  /** ttl: at least a second, at most 100 years of 365.25 days. */
  ttlSeconds: { min: 1, max: 3_155_760_000 },
} as const;

export interface FieldViolation {
  /** Proto field path, e.g. `requests[2].user_memory.memory`. */
  readonly field: string;
  readonly description: string;
}

export class ValidationError extends Error {
  constructor(readonly violations: readonly FieldViolation[]) {
    super(violations.map((v) => `${v.field}: ${v.description}`).join("; "));
    this.name = "ValidationError";
  }
}

const NUL = "\u0000";
const MICROS_PER_SECOND = 1_000_000;
/** 10000-01-01T00:00:00Z: google.protobuf.Timestamp's upper bound. */
const YEAR_10000_SECONDS = 253_402_300_800;

function maxBytes(limit: number) {
  return [(s: string) => Buffer.byteLength(s, "utf8") <= limit, `must be at most ${limit} bytes of UTF-8`] as const;
}

/** Ids, user ids, topics and label keys: required, bounded, visible, in NFC (see identifiers.ts); limits apply to the stored form. */
function identifier(limit: number) {
  return z
    .string()
    .transform(canonicalIdentifier)
    .pipe(
      z
        .string()
        .min(1, "is required")
        .refine(...maxBytes(limit))
        .superRefine((s, ctx) => {
          const problem = identifierProblem(s);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
    );
}

/** Free text: stored verbatim, but no NUL (PostgreSQL cannot store it in text). */
function text(limit: number) {
  return z
    .string()
    .refine(...maxBytes(limit))
    .refine((s) => !s.includes(NUL), "must not contain NUL characters");
}

/** An empty string means "not set" for scalar fields in proto3. */
function optionalIdentifier(limit: number) {
  return z.union([z.literal("").transform(() => undefined), identifier(limit)]);
}

const topics = z.array(identifier(LIMITS.topicBytes)).max(LIMITS.topicCount, `must have at most ${LIMITS.topicCount} entries`);

/**
 * Parses `value` with `schema` as part of a larger message: its issues are
 * reported under `path`, with `prefix` before each message.
 */
function nested<T>(schema: z.ZodType<T>, value: unknown, ctx: z.RefinementCtx, path: PropertyKey[], prefix = ""): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: "custom", path: [...path, ...issue.path] as (string | number)[], message: prefix + issue.message });
  }
  return undefined;
}

const labelKey = identifier(LIMITS.labelKeyBytes);
const labelValue = text(LIMITS.labelValueBytes);

/**
 * A label map (decoded as a Map, see buf.gen.yaml) as a record of own
 * properties in key order. Keys are identifiers, so two spellings of one
 * key that meet in NFC are refused rather than merged.
 */
const labels = z.map(z.string(), z.string()).transform((map, ctx) => {
  if (map.size > LIMITS.labelCount) ctx.addIssue({ code: "custom", message: `must have at most ${LIMITS.labelCount} entries` });
  const entries = new Map<string, string>();
  for (const [rawKey, rawValue] of map) {
    const key = nested(labelKey, rawKey, ctx, [rawKey], "key ");
    const value = nested(labelValue, rawValue, ctx, [rawKey], "value ");
    if (key === undefined || value === undefined) continue;
    if (entries.has(key)) ctx.addIssue({ code: "custom", path: [rawKey], message: "repeats another key once normalized to NFC" });
    entries.set(key, value);
  }
  return Object.fromEntries(sortedLabels(Object.fromEntries(entries))) as Record<string, string>;
});

/** A page size: 0 means the default, larger values are lowered to the maximum (AIP-158). */
function pageSize(limits: { default: number; max: number }) {
  return z
    .number()
    .int()
    .min(0, "must not be negative")
    .transform((n) => (n === 0 ? limits.default : Math.min(n, limits.max)));
}

const skip = z.number().int().min(0, "must not be negative").max(LIMITS.skip, `must be at most ${LIMITS.skip}`);

/** A google.protobuf.Timestamp as microseconds, within the range the type allows. */
const timestamp = z
  .object({ seconds: z.number(), nanos: z.number() })
  .refine((t) => Number.isSafeInteger(t.seconds) && t.seconds >= 0 && t.seconds < YEAR_10000_SECONDS, "must be between 1970 and 9999")
  .refine((t) => Number.isInteger(t.nanos) && t.nanos >= 0 && t.nanos < 1e9, "must have nanos between 0 and 999,999,999")
  .transform((t: Timestamp) => t.seconds * MICROS_PER_SECOND + Math.floor(t.nanos / 1000));

const ttl = z
  .object({ seconds: z.number(), nanos: z.number() })
  .refine(
    (d: Duration) => Number.isSafeInteger(d.seconds) && d.seconds >= LIMITS.ttlSeconds.min && d.seconds <= LIMITS.ttlSeconds.max,
    `must be between ${LIMITS.ttlSeconds.min} second and 100 years`,
  )
  .refine((d) => Number.isInteger(d.nanos) && d.nanos >= 0 && d.nanos < 1e9, "must have nanos between 0 and 999,999,999")
  .transform((d) => d.seconds * MICROS_PER_SECOND + Math.floor(d.nanos / 1000));

type Expiration = { $case: "expireTime"; expireTime: Timestamp } | { $case: "ttl"; ttl: Duration } | undefined;

/**
 * The expiration oneof (decoded as a tagged union, see buf.gen.yaml) as an
 * expire time in microseconds, later than now, or undefined for never.
 */
const expiration = z.custom<Expiration>().transform((oneof, ctx) => {
  if (oneof === undefined) return undefined;
  if (oneof.$case === "ttl") {
    const micros = nested(ttl, oneof.ttl, ctx, ["ttl"]);
    return micros === undefined ? z.NEVER : wallClockMicros() + micros;
  }
  const micros = nested(timestamp, oneof.expireTime, ctx, ["expireTime"]);
  if (micros === undefined) return z.NEVER;
  if (micros <= wallClockMicros()) {
    ctx.addIssue({ code: "custom", path: ["expireTime"], message: "must be later than the server's clock" });
    return z.NEVER;
  }
  return micros;
});

/** The fields of a UserMemory a client may write, as the store's content. */
const contentFields = {
  memory: text(LIMITS.memoryBytes).min(1, "is required"),
  topics,
  input: text(LIMITS.inputBytes).optional(),
  agentId: optionalIdentifier(LIMITS.agentIdBytes),
  teamId: optionalIdentifier(LIMITS.teamIdBytes),
  feedback: text(LIMITS.feedbackBytes).optional(),
  labels,
  expiration,
};

/** The parsed content fields as `MemoryContent`. */
function content(parsed: {
  memory: string;
  topics: string[];
  input?: string | undefined;
  agentId: string | undefined;
  teamId: string | undefined;
  feedback?: string | undefined;
  labels: Record<string, string>;
  expiration: number | undefined;
}): MemoryContent {
  const { expiration: expireTime, ...rest } = parsed;
  return { ...rest, expireTime };
}

/** A message field that must be set: proto3 leaves an unset one undefined. */
function requiredMessage<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape, { error: (issue) => (issue.input === undefined ? "is required" : undefined) });
}

const userId = identifier(LIMITS.userIdBytes);
const memoryId = identifier(LIMITS.memoryIdBytes);
const etag = optionalIdentifier(LIMITS.etagBytes);
const pageToken = z.string().max(MAX_PAGE_TOKEN_LENGTH, "is not a page token issued by this service");

const createRequest = z
  .object({
    userMemory: requiredMessage({ memoryId: optionalIdentifier(LIMITS.memoryIdBytes), userId, ...contentFields }),
    requestId: optionalIdentifier(LIMITS.requestIdBytes),
  })
  .transform(
    ({ userMemory, requestId }): NewMemory => ({
      userId: userMemory.userId,
      memoryId: userMemory.memoryId,
      ...content(userMemory),
      requestId,
    }),
  );

/** Flags every entry after the first that repeats a key `keyOf` gives, at `path` within the entry. */
function noRepeats<T>(what: string, path: (string | number)[], keyOf: (entry: T) => string | undefined) {
  return (entries: readonly T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    entries.forEach((entry, index) => {
      const key = keyOf(entry);
      if (key === undefined) return;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else ctx.addIssue({ code: "custom", path: [index, ...path], message: `repeats the ${what} of entry ${first}` });
    });
  };
}

function batch<T extends z.ZodType>(entry: T) {
  return z.array(entry).min(1, "must not be empty").max(LIMITS.batchSize, `must have at most ${LIMITS.batchSize} entries`);
}

const batchCreateRequest = z
  .object({
    requests: batch(createRequest)
      .superRefine(
        noRepeats<NewMemory>("user_id and memory_id", ["userMemory", "memoryId"], (m) =>
          m.memoryId === undefined ? undefined : JSON.stringify([m.userId, m.memoryId]),
        ),
      )
      .superRefine(
        noRepeats<NewMemory>("user_id and request_id", ["requestId"], (m) =>
          m.requestId === undefined ? undefined : JSON.stringify([m.userId, m.requestId]),
        ),
      ),
  })
  .transform(({ requests }) => requests);

const getRequest = z.object({ userId, memoryId });

/** The position a page token carries, or undefined for the first page; an issue on `page_token` when it is not valid for `scope`. */
function pagePosition<T>(kind: TokenPosition<T>, token: string, scope: TokenScope, ctx: z.RefinementCtx): T | undefined {
  if (token === "") return undefined;
  try {
    return decodePageToken(kind, token, scope);
  } catch (err) {
    if (!(err instanceof InvalidPageTokenError)) throw err;
    ctx.addIssue({ code: "custom", path: ["pageToken"], message: err.message });
    return z.NEVER as never;
  }
}

/** AIP-132 order_by: "create_time" or "update_time", optionally followed by "desc" (or "asc"). */
function orderBy(defaultOrder: { orderBy: SortTime; direction: SortDirection }) {
  const fields: Record<string, SortTime> = { create_time: "createTime", update_time: "updateTime" };
  return z.string().transform((text, ctx): { orderBy: SortTime; direction: SortDirection } => {
    const words = text.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return defaultOrder;
    const field = fields[words[0]!];
    const direction: SortDirection | undefined =
      words.length === 1 ? "oldest" : words[1] === "desc" ? "newest" : words[1] === "asc" ? "oldest" : undefined;
    if (field === undefined || direction === undefined || words.length > 2) {
      ctx.addIssue({
        code: "custom",
        message: `must be "create_time", "update_time", either followed by " desc", or empty; not ${JSON.stringify(text.slice(0, 64))}`,
      });
      return z.NEVER;
    }
    return { orderBy: field, direction };
  });
}

const filterMessage = z
  .object({
    agentId: optionalIdentifier(LIMITS.agentIdBytes),
    teamId: optionalIdentifier(LIMITS.teamIdBytes),
    anyTopics: topics,
    allTopics: topics,
    labels,
    showExpired: z.boolean(),
    memoryIds: z
      .array(memoryId)
      .max(LIMITS.filterMemoryIds, `must have at most ${LIMITS.filterMemoryIds} entries`)
      .superRefine(noRepeats<string>("memory_id", [], (id) => id)),
  })
  .optional()
  .transform((f): MemoryFilter => f ?? NO_FILTER);

/** What a memory page token is bound to: the method and every parameter that selects or orders memories. */
export function listingScope(method: "list" | "search", query: Omit<ListQuery, "pageSize" | "skip" | "after" | "withTotal">): TokenScope {
  const { filter } = query;
  return [
    method,
    query.userId,
    query.orderBy,
    query.direction,
    query.text,
    filter.agentId ?? null,
    filter.teamId ?? null,
    filter.anyTopics,
    filter.allTopics,
    sortedLabels(filter.labels),
    filter.showExpired,
    filter.memoryIds,
  ];
}

function listingRequest(
  method: "list" | "search",
  defaults: { orderBy: SortTime; direction: SortDirection },
  size: { default: number; max: number },
) {
  return z
    .object({
      userId: optionalIdentifier(LIMITS.userIdBytes),
      allUsers: z.boolean(),
      query: method === "search" ? text(LIMITS.queryBytes) : z.undefined().optional(),
      filter: filterMessage,
      orderBy: orderBy(defaults),
      pageSize: pageSize(size),
      pageToken,
      skip,
      includeTotalSize: z.boolean(),
    })
    .transform((r, ctx): ListQuery => {
      const scope = userOrAllUsers(r, ctx);
      const selection = { userId: "allUsers" in scope ? undefined : scope.userId, ...r.orderBy, filter: r.filter, text: r.query ?? "" };
      const after = pagePosition(MEMORY_POSITION, r.pageToken, listingScope(method, selection), ctx);
      return { ...selection, pageSize: r.pageSize, skip: r.skip, after, withTotal: r.includeTotalSize };
    });
}

const listRequest = listingRequest("list", { orderBy: "createTime", direction: "newest" }, LIMITS.listPageSize);
const searchRequest = listingRequest("search", { orderBy: "updateTime", direction: "newest" }, LIMITS.searchPageSize);

const replaceRequest = z
  .object({
    userMemory: requiredMessage({ memoryId, userId, ...contentFields, etag }),
    allowMissing: z.boolean(),
  })
  .transform(
    ({ userMemory, allowMissing }): MemoryReplacement => ({
      userId: userMemory.userId,
      memoryId: userMemory.memoryId,
      ...content(userMemory),
      etag: userMemory.etag,
      allowMissing,
    }),
  );

/** The update_mask paths that name a content field, and the store field each sets. */
const MASKABLE: Record<string, keyof MemoryContent> = {
  memory: "memory",
  topics: "topics",
  input: "input",
  agent_id: "agentId",
  team_id: "teamId",
  feedback: "feedback",
  labels: "labels",
  expire_time: "expireTime",
};
const OUTPUT_ONLY_PATHS = new Set(["create_time", "update_time"]);
const IMMUTABLE_PATHS = new Set(["user_id", "memory_id", "etag"]);

/** Why `path` cannot be in an update mask, or undefined when it can. */
function maskPathProblem(path: string): string | undefined {
  if (path === "*" || path in MASKABLE) return undefined;
  if (OUTPUT_ONLY_PATHS.has(path)) return `"${path}" is output only`;
  if (IMMUTABLE_PATHS.has(path)) return `"${path}" cannot be changed (etag goes in user_memory.etag as a condition)`;
  if (path === "ttl") return `name "expire_time" to change the expiration, set by user_memory.expire_time or user_memory.ttl`;
  if (path.startsWith("labels.")) return `"${path}": labels are replaced as a whole; name "labels"`;
  return `"${path.slice(0, 64)}" is not a field of UserMemory that can be changed`;
}

/** Fields a request sets, for an update without a mask (AIP-134): proto3 defaults count as unset. */
function fieldsSet(memory: NonNullable<UpdateUserMemoryRequest["userMemory"]>): (keyof MemoryContent)[] {
  const set: (keyof MemoryContent)[] = [];
  if (memory.memory !== "") set.push("memory");
  if (memory.topics.length > 0) set.push("topics");
  if (memory.input !== undefined) set.push("input");
  if (memory.agentId !== "") set.push("agentId");
  if (memory.teamId !== "") set.push("teamId");
  if (memory.feedback !== undefined) set.push("feedback");
  if (memory.labels.size > 0) set.push("labels");
  if (memory.expiration !== undefined) set.push("expireTime");
  return set;
}

const updateRequest = z
  .object({
    userMemory: requiredMessage({
      memoryId,
      userId,
      ...contentFields,
      memory: text(LIMITS.memoryBytes),
      etag,
    }),
    updateMask: z
      .array(z.string())
      .max(LIMITS.updateMaskPaths, `must name at most ${LIMITS.updateMaskPaths} paths`)
      .superRefine((paths, ctx) => {
        paths.forEach((path, index) => {
          const problem = maskPathProblem(path);
          if (problem) ctx.addIssue({ code: "custom", path: ["paths", index], message: problem });
        });
      })
      .optional(),
    /** Added by `validate.update` from the request as decoded: what user_memory sets. */
    fieldsSet: z.array(z.string()),
  })
  .transform(({ userMemory, updateMask, fieldsSet: set }, ctx): MemoryUpdate => {
    const parsed = content(userMemory);
    const fields: (keyof MemoryContent)[] =
      updateMask === undefined || updateMask.length === 0
        ? (set as (keyof MemoryContent)[])
        : updateMask.includes("*")
          ? Object.values(MASKABLE)
          : updateMask.map((path) => MASKABLE[path]!);
    if (fields.length === 0) {
      ctx.addIssue({ code: "custom", path: ["updateMask"], message: "names no field to change, and user_memory sets none" });
      return z.NEVER;
    }
    if (fields.includes("memory") && parsed.memory === "") {
      ctx.addIssue({ code: "custom", path: ["userMemory", "memory"], message: "is required: a memory cannot be cleared" });
      return z.NEVER;
    }
    const changes = Object.fromEntries(fields.map((field) => [field, parsed[field]])) as Partial<MemoryContent>;
    return { userId: userMemory.userId, memoryId: userMemory.memoryId, changes, etag: userMemory.etag };
  });

const deleteRequest = z.object({ userId, memoryId, etag, allowMissing: z.boolean() });

const batchDeleteRequest = z
  .object({
    userId,
    memoryIds: batch(memoryId).superRefine(noRepeats<string>("memory_id", [], (id) => id)),
    allowMissing: z.boolean(),
  })
  .transform((r): BatchDeletion => r);

/** A user id, or the explicit choice of every user. */
function userOrAllUsers(request: { userId: string | undefined; allUsers: boolean }, ctx: z.RefinementCtx): ClearScope {
  const { userId: user, allUsers } = request;
  if (allUsers && user === undefined) return { allUsers: true };
  if (!allUsers && user !== undefined) return { userId: user };
  ctx.addIssue({
    code: "custom",
    path: allUsers ? ["allUsers"] : ["userId"],
    message: allUsers ? "must not be set together with user_id" : "is required; for the memories of every user set all_users instead",
  });
  return z.NEVER;
}

const clearRequest = z
  .object({ userId: optionalIdentifier(LIMITS.userIdBytes), allUsers: z.boolean() })
  .transform((r, ctx) => userOrAllUsers(r, ctx));

/** What a topics page token is bound to. */
export const topicsScope = (q: Pick<TopicsQuery, "userId" | "agentId" | "teamId">): TokenScope => [
  "topics",
  q.userId ?? null,
  q.agentId ?? null,
  q.teamId ?? null,
];

const topicsRequest = z
  .object({
    userId: optionalIdentifier(LIMITS.userIdBytes),
    agentId: optionalIdentifier(LIMITS.agentIdBytes),
    teamId: optionalIdentifier(LIMITS.teamIdBytes),
    pageSize: pageSize(LIMITS.topicsPageSize),
    pageToken,
  })
  .transform((r, ctx): TopicsQuery => {
    const after = pagePosition(TOPIC_POSITION, r.pageToken, topicsScope(r), ctx);
    return { userId: r.userId, agentId: r.agentId, teamId: r.teamId, pageSize: r.pageSize, after };
  });

const userStatsRequest = z
  .object({
    userId: optionalIdentifier(LIMITS.userIdBytes),
    pageSize: pageSize(LIMITS.statsPageSize),
    pageToken,
    skip,
    includeTotalSize: z.boolean(),
  })
  .transform((r, ctx): UserStatsQuery => {
    const after = pagePosition(USER_STATS_POSITION, r.pageToken, userStatsScope(r), ctx);
    return { userId: r.userId, pageSize: r.pageSize, skip: r.skip, after, withTotal: r.includeTotalSize };
  });

/** What a user statistics page token is bound to. */
export const userStatsScope = (q: { userId: string | undefined }): TokenScope => ["user-stats", q.userId ?? null];

const upsertEntry = z
  .object({
    userMemory: requiredMessage({ memoryId, userId, ...contentFields }),
    createTime: timestamp.optional(),
    updateTime: timestamp.optional(),
  })
  .transform((entry, ctx): MemoryRecord => {
    const now = wallClockMicros();
    const createTime = entry.createTime ?? now;
    const updateTime = entry.updateTime ?? createTime;
    if (createTime > now) ctx.addIssue({ code: "custom", path: ["createTime"], message: "must not be after the server's clock" });
    if (updateTime > now) ctx.addIssue({ code: "custom", path: ["updateTime"], message: "must not be after the server's clock" });
    if (updateTime < createTime) ctx.addIssue({ code: "custom", path: ["updateTime"], message: "must not be before create_time" });
    const { userMemory } = entry;
    return { userId: userMemory.userId, memoryId: userMemory.memoryId, ...content(userMemory), createTime, updateTime, etag: "" };
  });

const batchUpsertRequest = z
  .object({
    upserts: batch(upsertEntry).superRefine(
      noRepeats<MemoryRecord>("user_id and memory_id", ["userMemory", "memoryId"], (m) => JSON.stringify([m.userId, m.memoryId])),
    ),
  })
  .transform(({ upserts }) => upserts);

const consolidateRequest = z
  .object({
    userId,
    memoryIds: batch(memoryId).superRefine(noRepeats<string>("memory_id", [], (id) => id)),
    userMemories: z
      .array(
        z.object({ memoryId: optionalIdentifier(LIMITS.memoryIdBytes), userId: optionalIdentifier(LIMITS.userIdBytes), ...contentFields }),
      )
      .max(LIMITS.batchSize, `must have at most ${LIMITS.batchSize} entries`)
      .superRefine(noRepeats("memory_id", ["memoryId"], (m: { memoryId: string | undefined }) => m.memoryId)),
    allowMissing: z.boolean(),
  })
  .transform((r, ctx): Consolidation => {
    const removed = new Set(r.memoryIds);
    r.userMemories.forEach((m, index) => {
      if (m.userId !== undefined && m.userId !== r.userId) {
        ctx.addIssue({ code: "custom", path: ["userMemories", index, "userId"], message: "must be empty or the request's user_id" });
      }
      if (m.memoryId !== undefined && removed.has(m.memoryId)) {
        ctx.addIssue({
          code: "custom",
          path: ["userMemories", index, "memoryId"],
          message: "is in memory_ids: a consolidated memory is a new one",
        });
      }
    });
    const memories = r.userMemories.map(
      ({ userId: _, memoryId: chosenId, ...fields }): NewMemory => ({
        ...content(fields),
        userId: r.userId,
        memoryId: chosenId,
      }),
    );
    return { userId: r.userId, memoryIds: r.memoryIds, memories, allowMissing: r.allowMissing };
  });

/** A zod issue path as the proto field path BadRequest names: `user_memory.labels["k"]`, `requests[3].request_id`. */
function protoFieldPath(path: readonly PropertyKey[]): string {
  let field = "";
  let previous: PropertyKey | undefined;
  for (const key of path) {
    if (typeof key === "number") field += `[${key}]`;
    else if (previous === "labels") field += `[${JSON.stringify(key)}]`;
    else if (key !== "expiration") field += (field === "" ? "" : ".") + String(key).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    previous = key;
  }
  return field;
}

/** Parses a decoded request into store types, or throws `ValidationError` naming every bad field. */
function validator<In, Out>(schema: z.ZodType<Out>, prepare: (request: In) => unknown = (request) => request) {
  return (request: In): Out => {
    const result = schema.safeParse(prepare(request));
    if (result.success) return result.data;
    throw new ValidationError(result.error.issues.map((issue) => ({ field: protoFieldPath(issue.path), description: issue.message })));
  };
}

export const validate = {
  create: validator<CreateUserMemoryRequest, NewMemory>(createRequest),
  batchCreate: validator<BatchCreateUserMemoriesRequest, NewMemory[]>(batchCreateRequest),
  get: validator<GetUserMemoryRequest, { userId: string; memoryId: string }>(getRequest),
  list: validator<ListUserMemoriesRequest, ListQuery>(listRequest),
  search: validator<SearchUserMemoriesRequest, ListQuery>(searchRequest),
  replace: validator<ReplaceUserMemoryRequest, MemoryReplacement>(replaceRequest),
  update: validator<UpdateUserMemoryRequest, MemoryUpdate>(updateRequest, (request) => ({
    ...request,
    fieldsSet: request.userMemory ? fieldsSet(request.userMemory) : [],
  })),
  delete: validator<DeleteUserMemoryRequest, MemoryDeletion>(deleteRequest),
  batchDelete: validator<BatchDeleteUserMemoriesRequest, BatchDeletion>(batchDeleteRequest),
  clear: validator<ClearUserMemoriesRequest, ClearScope>(clearRequest),
  listTopics: validator<ListMemoryTopicsRequest, TopicsQuery>(topicsRequest),
  listUserStats: validator<ListUserStatsRequest, UserStatsQuery>(userStatsRequest),
  batchUpsert: validator<BatchUpsertUserMemoriesRequest, MemoryRecord[]>(batchUpsertRequest),
  consolidate: validator<ConsolidateUserMemoriesRequest, Consolidation>(consolidateRequest),
};
