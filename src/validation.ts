/**
 * The one validation layer: every request passes through here before it
 * reaches a store, and comes out as the store's own types. Rules are zod
 * schemas over the decoded protobuf messages; a failure lists every
 * offending field by its proto path (`user_memory.topics[3]`), which the
 * gRPC layer turns into a google.rpc.BadRequest.
 *
 * @module
 */
import { z } from "zod";
import { ListOrder, RetrievalMethod } from "../gen/ts/memory/v1/memory_service.js";
import { canonicalIdentifier, identifierProblem } from "./identifiers.js";
import { decodePageToken, InvalidPageTokenError, type ListingScope, MAX_PAGE_TOKEN_LENGTH } from "./page-token.js";
import type {
  ClearScope,
  Cursor,
  ListQuery,
  MemoryDeletion,
  MemoryReplacement,
  NewMemory,
  SearchQuery,
  SortDirection,
} from "./storage/store.js";

/** Documented in proto/memory/v1; sizes are UTF-8 bytes. */
export const LIMITS = {
  userIdBytes: 256,
  memoryIdBytes: 128,
  memoryBytes: 16_384,
  inputBytes: 65_536,
  topicCount: 32,
  topicBytes: 128,
  requestIdBytes: 128,
  etagBytes: 128,
  queryBytes: 256,
  pageSize: { default: 50, max: 1000 },
  searchLimit: { default: 10, max: 1000 },
  batchSize: 500,
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

function maxBytes(limit: number) {
  return [(s: string) => Buffer.byteLength(s, "utf8") <= limit, `must be at most ${limit} bytes of UTF-8`] as const;
}

/** Ids, user ids and topics: required, bounded, visible, in NFC (see identifiers.ts); limits apply to the stored form. */
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

/** An empty string means "not set" for optional scalar fields in proto3. */
function optionalIdentifier(limit: number) {
  return z.union([z.literal("").transform(() => undefined), identifier(limit)]);
}

const topics = z.array(identifier(LIMITS.topicBytes)).max(LIMITS.topicCount, `must have at most ${LIMITS.topicCount} entries`);

function boundedCount(limits: { default: number; max: number }) {
  return z
    .number()
    .int()
    .min(0, "must not be negative")
    .max(limits.max, `must be at most ${limits.max}`)
    .transform((n) => (n === 0 ? limits.default : n));
}

function enumeration<T>(values: ReadonlyMap<number, T>) {
  return z
    .number()
    .refine((n) => values.has(n), "is not a known value")
    .transform((n) => values.get(n) as T);
}

const listOrder = enumeration<SortDirection>(
  new Map([
    [ListOrder.LIST_ORDER_UNSPECIFIED, "newest"],
    [ListOrder.LIST_ORDER_NEWEST_FIRST, "newest"],
    [ListOrder.LIST_ORDER_OLDEST_FIRST, "oldest"],
  ]),
);

const retrievalMethod = enumeration<SortDirection>(
  new Map([
    [RetrievalMethod.RETRIEVAL_METHOD_UNSPECIFIED, "newest"],
    [RetrievalMethod.RETRIEVAL_METHOD_LAST_N, "newest"],
    [RetrievalMethod.RETRIEVAL_METHOD_FIRST_N, "oldest"],
  ]),
);

/** The content fields shared by create and replace. */
const content = {
  userId: identifier(LIMITS.userIdBytes),
  memory: text(LIMITS.memoryBytes).min(1, "is required"),
  topics,
  input: text(LIMITS.inputBytes).optional(),
};

/** A message field that must be set: proto3 leaves an unset one undefined. */
function requiredMessage<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape, { error: (issue) => (issue.input === undefined ? "is required" : undefined) });
}

const addRequest = z
  .object({
    userMemory: requiredMessage({ ...content, memoryId: optionalIdentifier(LIMITS.memoryIdBytes) }),
    requestId: optionalIdentifier(LIMITS.requestIdBytes),
  })
  .transform(({ userMemory, requestId }): NewMemory => ({ ...userMemory, requestId }));

const batchAddRequest = z
  .object({
    requests: z
      .array(addRequest)
      .min(1, "must not be empty")
      .max(LIMITS.batchSize, `must have at most ${LIMITS.batchSize} entries`)
      .superRefine((memories, ctx) => {
        const seen = new Map<string, number>();
        const flag = (key: string, index: number, path: (string | number)[], what: string) => {
          const first = seen.get(key);
          if (first === undefined) seen.set(key, index);
          else ctx.addIssue({ code: "custom", path: [index, ...path], message: `repeats the ${what} of requests[${first}]` });
        };
        memories.forEach((m, index) => {
          if (m.memoryId !== undefined) flag(JSON.stringify(["id", m.userId, m.memoryId]), index, ["userMemory", "memoryId"], "memory_id");
          if (m.requestId !== undefined) flag(JSON.stringify(["request", m.userId, m.requestId]), index, ["requestId"], "request_id");
        });
      }),
  })
  .transform(({ requests }) => requests);

const getRequest = z.object({
  userId: identifier(LIMITS.userIdBytes),
  memoryId: identifier(LIMITS.memoryIdBytes),
});

const pageToken = z.string().max(MAX_PAGE_TOKEN_LENGTH, "is not a page token issued by this service");

/** The cursor a page token carries, or undefined for the first page; an issue on `page_token` when it is not valid for `scope`. */
function pageCursor(token: string, scope: ListingScope, ctx: z.RefinementCtx): Cursor | undefined | typeof z.NEVER {
  if (token === "") return undefined;
  try {
    return decodePageToken(token, scope);
  } catch (err) {
    if (!(err instanceof InvalidPageTokenError)) throw err;
    ctx.addIssue({ code: "custom", path: ["pageToken"], message: err.message });
    return z.NEVER;
  }
}

const listRequest = z
  .object({
    userId: identifier(LIMITS.userIdBytes),
    pageSize: boundedCount(LIMITS.pageSize),
    pageToken,
    order: listOrder,
    topics,
  })
  .transform((request, ctx): ListQuery => {
    const query = { userId: request.userId, direction: request.order, anyTopics: request.topics };
    const after = pageCursor(request.pageToken, listingScope(query), ctx);
    return { ...query, pageSize: request.pageSize, after };
  });

const searchRequest = z
  .object({
    userId: identifier(LIMITS.userIdBytes),
    query: text(LIMITS.queryBytes),
    topics,
    retrievalMethod,
    limit: boundedCount(LIMITS.searchLimit),
    pageToken,
  })
  .transform((r, ctx): SearchQuery => {
    const query = { userId: r.userId, text: r.query, anyTopics: r.topics, direction: r.retrievalMethod, limit: r.limit };
    return { ...query, after: pageCursor(r.pageToken, searchScope(query), ctx) };
  });

/** The scope a list page token is bound to. */
export function listingScope(query: Pick<ListQuery, "userId" | "direction" | "anyTopics">): ListingScope {
  return { method: "list", userId: query.userId, direction: query.direction, anyTopics: query.anyTopics, text: "" };
}

/** The scope a search page token is bound to. */
export function searchScope(query: Pick<SearchQuery, "userId" | "direction" | "anyTopics" | "text">): ListingScope {
  return { method: "search", userId: query.userId, direction: query.direction, anyTopics: query.anyTopics, text: query.text };
}

const replaceRequest = z
  .object({
    userMemory: requiredMessage({
      ...content,
      memoryId: identifier(LIMITS.memoryIdBytes),
      etag: optionalIdentifier(LIMITS.etagBytes),
    }),
    allowMissing: z.boolean(),
  })
  .transform(({ userMemory, allowMissing }): MemoryReplacement => ({ ...userMemory, allowMissing }));

const deleteRequest = z.object({
  userId: identifier(LIMITS.userIdBytes),
  memoryId: identifier(LIMITS.memoryIdBytes),
  etag: optionalIdentifier(LIMITS.etagBytes),
  allowMissing: z.boolean(),
});

const clearRequest = z
  .object({ userId: optionalIdentifier(LIMITS.userIdBytes), allUsers: z.boolean() })
  .transform(({ userId, allUsers }, ctx): ClearScope => {
    if (allUsers && userId === undefined) return { allUsers: true };
    if (!allUsers && userId !== undefined) return { userId };
    ctx.addIssue({
      code: "custom",
      path: allUsers ? ["allUsers"] : ["userId"],
      message: allUsers
        ? "must not be set together with user_id"
        : "is required; to delete the memories of every user set all_users instead",
    });
    return z.NEVER;
  });

function protoFieldPath(path: readonly PropertyKey[]): string {
  let field = "";
  for (const key of path) {
    if (typeof key === "number") field += `[${key}]`;
    else field += (field === "" ? "" : ".") + String(key).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  }
  return field;
}

/** Parses a decoded request into store types, or throws `ValidationError` naming every bad field. */
function validator<Out>(schema: z.ZodType<Out>) {
  return (request: unknown): Out => {
    const result = schema.safeParse(request);
    if (result.success) return result.data;
    throw new ValidationError(result.error.issues.map((issue) => ({ field: protoFieldPath(issue.path), description: issue.message })));
  };
}

export const validate = {
  add: validator(addRequest),
  batchAdd: validator(batchAddRequest),
  get: validator(getRequest),
  list: validator(listRequest),
  search: validator(searchRequest),
  replace: validator(replaceRequest),
  delete: validator<MemoryDeletion>(deleteRequest),
  clear: validator(clearRequest),
};
