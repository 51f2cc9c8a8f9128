/**
 * MemoryService handlers: decode strictly, authenticate, validate,
 * authorize, call the store, map the outcome. Each handler is a few lines
 * of glue; the rules live in `validation.ts`, access in `auth.ts`, the
 * storage semantics in `storage/`, the status mapping in `errors.ts`.
 *
 * @module
 */

import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { handleUnaryCall, ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { type MemoryServiceServer, MemoryServiceService } from "../gen/ts/memoryd/v1/memory_service.js";
import type { UserMemory } from "../gen/ts/memoryd/v1/user_memory.js";
import { principalOf } from "./admission.js";
import type { Principal } from "./auth.js";
import { MalformedMessageError } from "./malformed-message-error.js";
import { annotateCall } from "./observability.js";
import { encodePageToken, MEMORY_POSITION, TOPIC_POSITION, USER_STATS_POSITION } from "./page-token.js";
import {
  countThatFits,
  creationResponseBound,
  idEntryBound,
  prefixThatFits,
  RESPONSE_OVERHEAD_BYTES,
  writtenRecordsBound,
} from "./response-size.js";
import { batchCreate, type CreatePath, consolidationCreate, internalError, toStatusError } from "./status.js";
import { secondsAndNanos } from "./storage/clock.js";
import { DeadlineExceededError, UnavailableError } from "./storage/errors.js";
import { cursorAfter } from "./storage/pages.js";
import type { ListQuery, MemoryRecord, MemoryStore, OperationOptions, Page } from "./storage/store.js";
import { listingScope, topicsScope, userStatsScope, ValidationError, validate } from "./validation.js";
import { requestWireChecks } from "./wire-check.js";

export function toUserMemory(record: MemoryRecord): UserMemory {
  return {
    memoryId: record.memoryId,
    userId: record.userId,
    memory: record.memory,
    topics: [...record.topics],
    input: record.input,
    createTime: secondsAndNanos(record.createTime),
    updateTime: secondsAndNanos(record.updateTime),
    etag: record.etag,
    agentId: record.agentId ?? "",
    teamId: record.teamId ?? "",
    feedback: record.feedback,
    labels: new Map(Object.entries(record.labels)),
    expiration: record.expireTime === undefined ? undefined : { $case: "expireTime", expireTime: secondsAndNanos(record.expireTime) },
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const checkWire = requestWireChecks(MemoryServiceService);

/**
 * The MemoryService definition with request decoding that never throws into
 * grpc-js: grpc-js answers a deserializer exception with INTERNAL, but a
 * malformed request is the caller's fault and must get INVALID_ARGUMENT. A
 * failed decode therefore yields a `MalformedMessageError` as the request,
 * which the handler reports. Strings are decoded strictly: proto3 requires
 * valid UTF-8, and silently storing U+FFFD instead would alter data.
 * Before decoding, the bytes must pass the strict wire check of
 * `wire-check.ts`: ts-proto's decode accepts malformed encodings.
 */
export const strictMemoryServiceDefinition = Object.fromEntries(
  Object.entries(MemoryServiceService).map(([name, method]) => [
    name,
    {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          checkWire(method.path, bytes);
          // ts-proto's decode accepts a reader as well as bytes; the cast passes
          // ours, with its strict UTF-8 decoder, through requestDeserialize.
          const reader = new BinaryReader(bytes, (data) => strictUtf8.decode(data));
          return method.requestDeserialize(reader as unknown as Buffer);
        } catch (cause) {
          return new MalformedMessageError({ cause });
        }
      },
    },
  ]),
) as unknown as typeof MemoryServiceService;

/** What a handler needs beyond the request. */
export interface ServiceContext {
  readonly log: Logger;
  /** The open store; throws `UnavailableError` while storage is not ready or known to be down. */
  readonly store: () => MemoryStore;
  /** Told when a call found storage unreachable, so health can re-check at once. */
  readonly storageUnavailable?: () => void;
  /** Upper bound of a call's deadline: the client's deadline is used when it is sooner. */
  readonly maxCallDurationMs: number;
  /** The largest response message; pages are cut to fit it. */
  readonly maxMessageBytes: number;
}

/** One accepted call: who makes it, until when, against which store. */
interface CallScope {
  readonly principal: Principal;
  readonly store: MemoryStore;
  readonly options: OperationOptions;
}

/** The client's deadline, or none (Infinity). */
function clientDeadline(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * Builds a unary handler around `run`, in this order: a call whose deadline
 * has passed is answered DEADLINE_EXCEEDED without running; a request that
 * did not decode is refused; then `run` validates, authorizes the caller
 * (authenticated before the request was read) and calls the store. Its errors become statuses
 * through `toStatusError`; unanticipated ones are logged with their cause
 * and answered with a bare INTERNAL.
 */
function unary<Req, Res>(
  context: ServiceContext,
  run: (request: Req, scope: CallScope) => Promise<Res>,
  createPath?: CreatePath,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const fail = (err: unknown) => {
      if (err instanceof UnavailableError) context.storageUnavailable?.();
      const statusError = toStatusError(err, createPath);
      if (statusError) return callback(statusError);
      context.log.error({ err, method: call.getPath() }, "unexpected error");
      callback(internalError());
    };
    try {
      const requested = clientDeadline(call);
      if (call.cancelled || requested <= Date.now()) {
        return callback(toStatusError(new DeadlineExceededError("deadline passed before the call started"))!);
      }
      // No call runs unbounded: without a client deadline, or with a longer
      // one, storage gets the server's limit (PostgreSQL cancels the statement).
      const deadline = Math.min(requested, Date.now() + context.maxCallDurationMs);
      const principal = principalOf(call.metadata); // authenticated on the headers (admission.ts)
      annotateCall(call.metadata, { principal: principal.name });
      const request: unknown = call.request;
      if (request instanceof MalformedMessageError) return fail(request);
      const scope = { principal, store: context.store(), options: { deadline } };
      run(request as Req, scope).then((response) => callback(null, response), fail);
    } catch (err) {
      fail(err);
    }
  };
}

/**
 * The page a response carries: the store's page, cut further so that the
 * response fits the message size limit, with the token for what follows.
 */
function responsePage(method: "list" | "search", query: ListQuery, page: Page, budget: number) {
  const fitting = countThatFits(page.memories, budget);
  const last = page.memories[fitting - 1];
  const next = fitting < page.memories.length && last ? cursorAfter(last, query) : page.next;
  return {
    userMemories: page.memories.slice(0, fitting).map(toUserMemory),
    nextPageToken: next ? encodePageToken(MEMORY_POSITION, next, listingScope(method, query)) : "",
    totalSize: page.total,
  };
}

/** One user's listing needs that user in scope; a listing across users, a scope of every user. */
function authorizeListing(principal: Principal, query: ListQuery): void {
  if (query.userId === undefined) principal.authorizeAllUsers();
  else principal.authorize([query.userId]);
}

/** Refuses a batch whose response could not fit the message size limit, before anything is written. */
function assertResponseFits(field: string, responseBytes: number, budget: number, maxMessageBytes: number): void {
  if (responseBytes <= budget) return;
  throw new ValidationError([
    {
      field,
      description: `the response would take up to ${responseBytes} bytes, more than the ${maxMessageBytes}-byte message limit allows: send the memories in smaller batches`,
    },
  ]);
}

export function memoryServiceHandlers(context: ServiceContext): MemoryServiceServer & UntypedServiceImplementation {
  const budget = context.maxMessageBytes - RESPONSE_OVERHEAD_BYTES;
  return {
    createUserMemory: unary(context, async (request, { principal, store, options }) => {
      const memory = validate.create(request);
      principal.authorize([memory.userId]);
      const [created] = await store.add([memory], options);
      return { userMemory: toUserMemory(created!) };
    }),

    batchCreateUserMemories: unary(
      context,
      async (request, { principal, store, options }) => {
        const memories = validate.batchCreate(request);
        assertResponseFits("requests", creationResponseBound(memories), budget, context.maxMessageBytes);
        principal.authorize(memories.map((m) => m.userId));
        const created = await store.add(memories, options);
        return { userMemories: created.map(toUserMemory) };
      },
      batchCreate,
    ),

    getUserMemory: unary(context, async (request, { principal, store, options }) => {
      const { userId, memoryId } = validate.get(request);
      principal.authorize([userId]);
      return { userMemory: toUserMemory(await store.get(userId, memoryId, options)) };
    }),

    listUserMemories: unary(context, async (request, { principal, store, options }) => {
      const query = validate.list(request);
      authorizeListing(principal, query);
      return responsePage("list", query, await store.list(query, options), budget);
    }),

    searchUserMemories: unary(context, async (request, { principal, store, options }) => {
      const query = validate.search(request);
      authorizeListing(principal, query);
      return responsePage("search", query, await store.list(query, options), budget);
    }),

    replaceUserMemory: unary(context, async (request, { principal, store, options }) => {
      const replacement = validate.replace(request);
      principal.authorize([replacement.userId]);
      return { userMemory: toUserMemory(await store.replace(replacement, options)) };
    }),

    updateUserMemory: unary(context, async (request, { principal, store, options }) => {
      const update = validate.update(request);
      principal.authorize([update.userId]);
      return { userMemory: toUserMemory(await store.update(update, options)) };
    }),

    deleteUserMemory: unary(context, async (request, { principal, store, options }) => {
      const deletion = validate.delete(request);
      principal.authorize([deletion.userId]);
      await store.delete(deletion, options);
      return {};
    }),

    batchDeleteUserMemories: unary(context, async (request, { principal, store, options }) => {
      const deletion = validate.batchDelete(request);
      principal.authorize([deletion.userId]);
      return { deletedCount: await store.deleteMany(deletion, options) };
    }),

    clearUserMemories: unary(context, async (request, { principal, store, options }) => {
      const scope = validate.clear(request);
      if ("allUsers" in scope) principal.authorizeAllUsers();
      else principal.authorize([scope.userId]);
      return { deletedCount: await store.clear(scope, options) };
    }),

    listMemoryTopics: unary(context, async (request, { principal, store, options }) => {
      const query = validate.listTopics(request);
      if (query.userId === undefined) principal.authorizeAllUsers();
      else principal.authorize([query.userId]);
      const page = await store.listTopics(query, options);
      const fitting = prefixThatFits(page.topics, budget, (t) => idEntryBound(t.topic));
      const next = fitting < page.topics.length ? page.topics[fitting - 1]!.topic : page.next;
      return {
        topics: page.topics.slice(0, fitting).map((t) => ({ topic: t.topic, memoryCount: t.memoryCount })),
        nextPageToken: next === undefined ? "" : encodePageToken(TOPIC_POSITION, next, topicsScope(query)),
      };
    }),

    listUserStats: unary(context, async (request, { principal, store, options }) => {
      const query = validate.listUserStats(request);
      if (query.userId === undefined) principal.authorizeAllUsers();
      else principal.authorize([query.userId]);
      const page = await store.listUserStats(query, options);
      const fitting = prefixThatFits(page.users, budget, (u) => idEntryBound(u.userId));
      const last = page.users[fitting - 1];
      const next = fitting < page.users.length && last ? { time: last.lastUpdateTime, userId: last.userId } : page.next;
      return {
        userStats: page.users.slice(0, fitting).map((u) => ({
          userId: u.userId,
          memoryCount: u.memoryCount,
          lastUpdateTime: secondsAndNanos(u.lastUpdateTime),
        })),
        nextPageToken: next === undefined ? "" : encodePageToken(USER_STATS_POSITION, next, userStatsScope(query)),
        totalSize: page.total,
      };
    }),

    consolidateUserMemories: unary(
      context,
      async (request, { principal, store, options }) => {
        const consolidation = validate.consolidate(request);
        principal.authorize([consolidation.userId]);
        assertResponseFits("user_memories", creationResponseBound(consolidation.memories), budget, context.maxMessageBytes);
        const { records, deleted } = await store.consolidate(consolidation, options);
        return { userMemories: records.map(toUserMemory), deletedCount: deleted };
      },
      consolidationCreate,
    ),

    batchUpsertUserMemories: unary(context, async (request, { principal, store, options }) => {
      const records = validate.batchUpsert(request);
      principal.authorizeOperator();
      principal.authorize(records.map((r) => r.userId));
      assertResponseFits("upserts", writtenRecordsBound(records), budget, context.maxMessageBytes);
      const { records: stored } = await store.importMemories(records, "overwrite", options);
      return { userMemories: stored.map(toUserMemory) };
    }),
  };
}
