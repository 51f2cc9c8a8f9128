/**
 * MemoryService handlers: decode strictly, validate, call the store, map
 * the outcome. Each handler is one line of glue; the rules live in
 * `validation.ts`, the storage semantics in `storage/`, the status mapping
 * in `errors.ts`.
 *
 * @module
 */
import type { handleUnaryCall, sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { Logger } from "pino";
import type { Timestamp } from "../gen/ts/google/protobuf/timestamp.js";
import type { UserMemory } from "../gen/ts/memory/v1/memory.js";
import { MemoryServiceService, type MemoryServiceServer } from "../gen/ts/memory/v1/memory_service.js";
import { batchCreate, type CreatePath, INTERNAL_ERROR, MalformedMessageError, toStatusError } from "./errors.js";
import { encodePageToken } from "./page-token.js";
import type { MemoryRecord, MemoryStore } from "./storage/store.js";
import { validate } from "./validation.js";

function toTimestamp(micros: number): Timestamp {
  return { seconds: Math.floor(micros / 1e6), nanos: (micros % 1e6) * 1000 };
}

export function toUserMemory(record: MemoryRecord): UserMemory {
  return {
    memoryId: record.memoryId,
    userId: record.userId,
    memory: record.memory,
    topics: [...record.topics],
    input: record.input,
    createTime: toTimestamp(record.createTime),
    updateTime: toTimestamp(record.updateTime),
    etag: record.etag,
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The MemoryService definition with request decoding that never throws into
 * grpc-js: grpc-js answers a deserializer exception with INTERNAL, but a
 * malformed request is the caller's fault and must get INVALID_ARGUMENT. A
 * failed decode therefore yields a `MalformedMessageError` as the request,
 * which the handler reports. Strings are decoded strictly: proto3 requires
 * valid UTF-8, and silently storing U+FFFD instead would alter data.
 */
export const strictMemoryServiceDefinition = Object.fromEntries(
  Object.entries(MemoryServiceService).map(([name, method]) => [
    name,
    {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
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

/**
 * Builds a unary handler. `run` gets a request that decoded; errors it
 * throws become statuses through `toStatusError`, and unanticipated ones
 * are logged with their cause and answered with a bare INTERNAL.
 */
function unary<Req, Res>(
  log: Logger,
  run: (request: Req) => Promise<Res>,
  createPath?: CreatePath,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const request: unknown = call.request;
    const fail = (err: unknown) => {
      const statusError = toStatusError(err, createPath);
      if (statusError) return callback(statusError);
      log.error({ err, method: call.getPath() }, "unexpected error");
      callback(INTERNAL_ERROR);
    };
    if (request instanceof MalformedMessageError) return fail(request);
    run(request as Req).then((response) => callback(null, response), fail);
  };
}

export function memoryServiceHandlers(store: MemoryStore, log: Logger): MemoryServiceServer & UntypedServiceImplementation {
  return {
    addUserMemory: unary(log, async (request) => {
      const [created] = await store.add([validate.add(request)]);
      return { userMemory: toUserMemory(created!) };
    }),

    batchAddUserMemories: unary(
      log,
      async (request) => {
        const created = await store.add(validate.batchAdd(request));
        return { userMemories: created.map(toUserMemory) };
      },
      batchCreate,
    ),

    getUserMemory: unary(log, async (request) => {
      const { userId, memoryId } = validate.get(request);
      return { userMemory: toUserMemory(await store.get(userId, memoryId)) };
    }),

    listUserMemories: unary(log, async (request) => {
      const query = validate.list(request);
      const page = await store.list(query);
      return {
        userMemories: page.memories.map(toUserMemory),
        nextPageToken: page.next ? encodePageToken(page.next, query) : "",
      };
    }),

    searchUserMemories: unary(log, async (request) => {
      const found = await store.search(validate.search(request));
      return { userMemories: found.map(toUserMemory) };
    }),

    replaceUserMemory: unary(log, async (request) => {
      return { userMemory: toUserMemory(await store.replace(validate.replace(request))) };
    }),

    deleteUserMemory: unary(log, async (request) => {
      await store.delete(validate.delete(request));
      return {};
    }),

    clearUserMemories: unary(log, async (request) => {
      return { deletedCount: await store.clear(validate.clear(request)) };
    }),
  };
}
