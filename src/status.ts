/**
 * The one place where errors become gRPC statuses (the status map). Every
 * status memoryd itself sends carries a google.rpc.Status in the
 * `grpc-status-details-bin` trailer (the convention grpcurl and the
 * official gRPC libraries decode) with a google.rpc.ErrorInfo whose reason
 * is a `memoryd.v1.ErrorReason` name, so clients switch on reasons and never
 * parse messages; INVALID_ARGUMENT adds a BadRequest naming each field,
 * NOT_FOUND and ALREADY_EXISTS a ResourceInfo, and what may succeed when
 * repeated a RetryInfo.
 *
 * @module
 */
import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import type { Any } from "../gen/ts/google/protobuf/any.js";
import { BadRequest, BadRequest_FieldViolation, ErrorInfo, ResourceInfo, RetryInfo } from "../gen/ts/google/rpc/error_details.js";
import { Status } from "../gen/ts/google/rpc/status.js";
import { ErrorReason, errorReasonToJSON } from "../gen/ts/memoryd/v1/error_reason.js";
import { OperatorScopeRequiredError, PermissionDeniedError, UnauthenticatedError } from "./auth.js";
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

const USER_MEMORY_TYPE = "memoryd.v1.UserMemory";

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

interface Extras {
  /** ErrorInfo.metadata. */
  readonly metadata?: Record<string, string>;
  readonly violations?: readonly FieldViolation[];
  readonly resource?: { readonly userId: string; readonly memoryId: string };
  /** Add a RetryInfo: the call may succeed if repeated after a pause. */
  readonly retry?: boolean;
}

/** A status with ErrorInfo (reason and domain) and the details `extras` asks for. */
function statusError(code: status, message: string, reason: ErrorReason, extras: Extras = {}): StatusError {
  const details: Any[] = [
    pack(ERROR_INFO, { reason: errorReasonToJSON(reason), domain: ERROR_DOMAIN, metadata: new Map(Object.entries(extras.metadata ?? {})) }),
  ];
  if (extras.violations) {
    const fieldViolations = extras.violations.map(({ field, description }) =>
      BadRequest_FieldViolation.fromPartial({ field, description }),
    );
    details.push(pack(BAD_REQUEST, { fieldViolations }));
  }
  if (extras.resource) {
    const { userId, memoryId } = extras.resource;
    details.push(pack(RESOURCE_INFO, { resourceType: USER_MEMORY_TYPE, resourceName: memoryId, owner: userId, description: message }));
  }
  if (extras.retry) details.push(pack(RETRY_INFO, { retryDelay: RETRY_DELAY }));
  const metadata = new Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(Status.encode({ code, message, details }).finish()));
  return { code, details: message, metadata };
}

export function invalidArgument(violations: readonly FieldViolation[], reason = ErrorReason.INVALID_FIELD): StatusError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return statusError(status.INVALID_ARGUMENT, message, reason, { violations });
}

/** A call whose request message did not arrive in time (see admission.ts). */
export function requestTimeout(timeoutMs: number): StatusError {
  return statusError(
    status.DEADLINE_EXCEEDED,
    `the request message did not arrive within ${timeoutMs} ms of its headers`,
    ErrorReason.REQUEST_TIMEOUT,
  );
}

/**
 * Where the memory and request id of the create at `index` sit in the
 * request, so a batch error names `requests[3].request_id`, a single create
 * just `request_id`, and a consolidation `user_memories[3].memory_id`.
 */
export type CreatePath = (index: number) => { readonly memory: string; readonly requestId: string };

export const singleCreate: CreatePath = () => ({ memory: "user_memory", requestId: "request_id" });
export const batchCreate: CreatePath = (index) => ({
  memory: `requests[${index}].user_memory`,
  requestId: `requests[${index}].request_id`,
});
export const consolidationCreate: CreatePath = (index) => ({ memory: `user_memories[${index}]`, requestId: "" });

/**
 * Maps an error from validation, authentication or storage to the status a
 * client sees. Returns undefined for errors nobody anticipated: those are
 * bugs, which the caller logs and answers with `INTERNAL_ERROR`.
 */
export function toStatusError(err: unknown, createPath: CreatePath = singleCreate): StatusError | undefined {
  if (err instanceof ValidationError) return invalidArgument(err.violations);
  if (err instanceof UnauthenticatedError) return statusError(status.UNAUTHENTICATED, err.message, ErrorReason.UNAUTHENTICATED);
  if (err instanceof OperatorScopeRequiredError) {
    return statusError(status.PERMISSION_DENIED, err.message, ErrorReason.OPERATOR_SCOPE_REQUIRED);
  }
  if (err instanceof PermissionDeniedError) return statusError(status.PERMISSION_DENIED, err.message, ErrorReason.USER_OUT_OF_SCOPE);
  if (err instanceof MalformedMessageError) {
    const message = `${err.message}: ${(err.cause as Error | undefined)?.message ?? "undecodable"}`;
    return statusError(status.INVALID_ARGUMENT, message, ErrorReason.MALFORMED_MESSAGE);
  }
  if (err instanceof NotFoundError) {
    return statusError(status.NOT_FOUND, err.message, ErrorReason.MEMORY_NOT_FOUND, { resource: err });
  }
  if (err instanceof AlreadyExistsError) {
    const message = `${createPath(err.index).memory}.memory_id: ${err.message}`;
    return statusError(status.ALREADY_EXISTS, message, ErrorReason.MEMORY_ALREADY_EXISTS, { resource: err });
  }
  if (err instanceof RequestIdReusedError) {
    return invalidArgument([{ field: createPath(err.index).requestId, description: err.message }], ErrorReason.REQUEST_ID_REUSED);
  }
  if (err instanceof EtagMismatchError) {
    const metadata = { user_id: err.userId, memory_id: err.memoryId };
    return statusError(status.ABORTED, err.message, ErrorReason.ETAG_MISMATCH, { metadata });
  }
  if (err instanceof ConflictError)
    return statusError(status.ABORTED, `${err.message}; retry the call`, ErrorReason.CONFLICT, { retry: true });
  if (err instanceof DeadlineExceededError) return statusError(status.DEADLINE_EXCEEDED, err.message, ErrorReason.DEADLINE_EXCEEDED);
  if (err instanceof UnavailableError) {
    // The driver's words (host names, addresses) stay in the server's logs.
    return statusError(status.UNAVAILABLE, "storage is unavailable; retry later", ErrorReason.STORAGE_UNAVAILABLE, { retry: true });
  }
  if (err instanceof StorageBusyError) {
    return statusError(status.UNAVAILABLE, `${err.message}; retry later`, ErrorReason.STORAGE_BUSY, { retry: true });
  }
  if (err instanceof StorageFullError) return statusError(status.RESOURCE_EXHAUSTED, err.message, ErrorReason.STORAGE_FULL);
  if (err instanceof OverloadedError) return statusError(status.RESOURCE_EXHAUSTED, err.message, ErrorReason.OVERLOADED, { retry: true });
  return undefined;
}

/** A bug in memoryd: the reason and nothing else, so nothing of the cause leaks. */
export function internalError(): StatusError {
  return statusError(status.INTERNAL, "internal error", ErrorReason.INTERNAL_ERROR);
}
