/**
 * The one place where errors become gRPC statuses (the status map). Every status other than
 * INTERNAL carries a google.rpc.Status with machine-readable details in the
 * `grpc-status-details-bin` trailer (the convention grpcurl and the
 * official gRPC libraries decode), so clients never have to parse messages.
 *
 * @module
 */
import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import type { Any } from "../gen/ts/google/protobuf/any.js";
import { BadRequest, BadRequest_FieldViolation, ErrorInfo, ResourceInfo, RetryInfo } from "../gen/ts/google/rpc/error_details.js";
import { Status } from "../gen/ts/google/rpc/status.js";
import { PermissionDeniedError, UnauthenticatedError } from "./auth.js";
import { MalformedMessageError } from "./malformed-message-error.js";
import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  EtagMismatchError,
  NotFoundError,
  OverloadedError,
  RequestIdReusedError,
  StorageBusyError,
  StorageFullError,
  UnavailableError,
} from "./storage/errors.js";
import { type FieldViolation, ValidationError } from "./validation.js";

/** `ErrorInfo.domain` of every error memoryd itself raises. */
export const ERROR_DOMAIN = "memoryd.dev";

const USER_MEMORY_TYPE = "memory.v1.UserMemory";

type StatusError = Partial<StatusObject> & { code: status; details: string };

/** A google.rpc detail message type, as ts-proto generates it. */
interface DetailType<T> {
  readonly typeName: string;
  readonly fns: { fromPartial(partial: Partial<T>): T; encode(message: T): { finish(): Uint8Array } };
}

function pack<T>(type: DetailType<T>, partial: Partial<T>): Any {
  const value = type.fns.encode(type.fns.fromPartial(partial)).finish();
  return { typeUrl: `type.googleapis.com/${type.typeName}`, value: Buffer.from(value) };
}

const BAD_REQUEST: DetailType<BadRequest> = { typeName: "google.rpc.BadRequest", fns: BadRequest };
const ERROR_INFO: DetailType<ErrorInfo> = { typeName: "google.rpc.ErrorInfo", fns: ErrorInfo };
const RESOURCE_INFO: DetailType<ResourceInfo> = { typeName: "google.rpc.ResourceInfo", fns: ResourceInfo };
const RETRY_INFO: DetailType<RetryInfo> = { typeName: "google.rpc.RetryInfo", fns: RetryInfo };

/** How long RetryInfo tells clients to wait before retrying a refused call. */
const RETRY_DELAY = { seconds: 1, nanos: 0 };

function withDetails(code: status, message: string, details: Any[]): StatusError {
  const metadata = new Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(Status.encode({ code, message, details }).finish()));
  return { code, details: message, metadata };
}

export function invalidArgument(violations: readonly FieldViolation[]): StatusError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  const fieldViolations = violations.map(({ field, description }) => BadRequest_FieldViolation.fromPartial({ field, description }));
  return withDetails(status.INVALID_ARGUMENT, message, [pack(BAD_REQUEST, { fieldViolations })]);
}

function errorInfo(code: status, message: string, reason: string, metadata: Record<string, string>): StatusError {
  return withDetails(code, message, [pack(ERROR_INFO, { reason, domain: ERROR_DOMAIN, metadata })]);
}

/** ErrorInfo plus RetryInfo: the call may succeed if repeated after a pause. */
function retryable(code: status, message: string, reason: string): StatusError {
  return withDetails(code, message, [
    pack(ERROR_INFO, { reason, domain: ERROR_DOMAIN, metadata: {} }),
    pack(RETRY_INFO, { retryDelay: RETRY_DELAY }),
  ]);
}

/** A call whose request message did not arrive in time (see admission.ts). */
export function requestTimeout(timeoutMs: number): StatusError {
  return errorInfo(
    status.DEADLINE_EXCEEDED,
    `the request message did not arrive within ${timeoutMs} ms of its headers`,
    "REQUEST_TIMEOUT",
    {},
  );
}

function resourceInfo(code: status, message: string, userId: string, memoryId: string): StatusError {
  const info = { resourceType: USER_MEMORY_TYPE, resourceName: memoryId, owner: userId, description: message };
  return withDetails(code, message, [pack(RESOURCE_INFO, info)]);
}

/**
 * Where the fields of a create sit in the request, so a batch error names
 * `requests[3].request_id` and a single create just `request_id`.
 */
export type CreatePath = (index: number) => string;

export const singleCreate: CreatePath = () => "";
export const batchCreate: CreatePath = (index) => `requests[${index}].`;

/**
 * Maps an error from validation or storage to the status a client sees.
 * Returns undefined for errors nobody anticipated: those are bugs, which the
 * caller logs and answers with a bare INTERNAL that leaks nothing.
 */
export function toStatusError(err: unknown, createPath: CreatePath = singleCreate): StatusError | undefined {
  if (err instanceof ValidationError) return invalidArgument(err.violations);
  if (err instanceof UnauthenticatedError) return errorInfo(status.UNAUTHENTICATED, err.message, "UNAUTHENTICATED", {});
  if (err instanceof PermissionDeniedError) return errorInfo(status.PERMISSION_DENIED, err.message, "USER_OUT_OF_SCOPE", {});
  if (err instanceof MalformedMessageError) {
    const message = `${err.message}: ${(err.cause as Error | undefined)?.message ?? "undecodable"}`;
    return errorInfo(status.INVALID_ARGUMENT, message, "MALFORMED_MESSAGE", {});
  }
  if (err instanceof NotFoundError) return resourceInfo(status.NOT_FOUND, err.message, err.userId, err.memoryId);
  if (err instanceof AlreadyExistsError) {
    const message = `${createPath(err.index)}user_memory.memory_id: ${err.message}`;
    return resourceInfo(status.ALREADY_EXISTS, message, err.userId, err.memoryId);
  }
  if (err instanceof RequestIdReusedError) {
    return invalidArgument([{ field: `${createPath(err.index)}request_id`, description: err.message }]);
  }
  if (err instanceof EtagMismatchError) {
    return errorInfo(status.ABORTED, err.message, "ETAG_MISMATCH", { user_id: err.userId, memory_id: err.memoryId });
  }
  if (err instanceof ConflictError) {
    return errorInfo(status.ABORTED, `${err.message}; retry the call`, "CONFLICT", {});
  }
  if (err instanceof DeadlineExceededError) return errorInfo(status.DEADLINE_EXCEEDED, err.message, "DEADLINE_EXCEEDED", {});
  if (err instanceof UnavailableError) {
    // The driver's words (host names, addresses) stay in the server's logs.
    return retryable(status.UNAVAILABLE, "storage is unavailable; retry later", "STORAGE_UNAVAILABLE");
  }
  if (err instanceof StorageBusyError) return retryable(status.UNAVAILABLE, `${err.message}; retry later`, "STORAGE_BUSY");
  if (err instanceof StorageFullError) return errorInfo(status.RESOURCE_EXHAUSTED, err.message, "STORAGE_FULL", {});
  if (err instanceof OverloadedError) return retryable(status.RESOURCE_EXHAUSTED, err.message, "OVERLOADED");
  return undefined;
}

export const INTERNAL_ERROR: StatusError = { code: status.INTERNAL, details: "internal error" };
