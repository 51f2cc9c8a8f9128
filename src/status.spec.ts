import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { statusDetails } from "../testkit/client.js";
import { OperatorScopeRequiredError, PermissionDeniedError, UnauthenticatedError } from "./auth.js";
import { MalformedMessageError } from "./malformed-message-error.js";
import { batchCreate, ERROR_DOMAIN, internalError, requestTimeout, toStatusError } from "./status.js";
import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  EtagMismatchError,
  NotFoundError,
  OverloadedError,
  RequestIdReusedError,
  StorageBusyError,
  StorageError,
  StorageFullError,
  StorageLostError,
  UnavailableError,
} from "./storage/errors.js";
import { ValidationError } from "./validation.js";

/** The status as a client decodes it from the trailers. */
function seen(err: unknown, createPath = undefined as Parameters<typeof toStatusError>[1]) {
  const statusError = toStatusError(err, createPath)!;
  const details = statusDetails({ ...statusError, name: "", message: "", metadata: statusError.metadata! });
  const types = details.status.details.map((d) => d.typeUrl.replace("type.googleapis.com/", ""));
  return {
    code: statusError.code,
    message: statusError.details,
    reason: details.errorInfo?.reason,
    domain: details.errorInfo?.domain,
    types,
    details,
  };
}

it.each([
  [new UnauthenticatedError("no token"), status.UNAUTHENTICATED, "UNAUTHENTICATED", ["google.rpc.ErrorInfo"]],
  [new PermissionDeniedError("not yours"), status.PERMISSION_DENIED, "USER_OUT_OF_SCOPE", ["google.rpc.ErrorInfo"]],
  [new MalformedMessageError({ cause: new Error("tag 0") }), status.INVALID_ARGUMENT, "MALFORMED_MESSAGE", ["google.rpc.ErrorInfo"]],
  [new EtagMismatchError("u", "m"), status.ABORTED, "ETAG_MISMATCH", ["google.rpc.ErrorInfo"]],
  [new ConflictError("raced"), status.ABORTED, "CONFLICT", ["google.rpc.ErrorInfo", "google.rpc.RetryInfo"]],
  [new OperatorScopeRequiredError("not an operator"), status.PERMISSION_DENIED, "OPERATOR_SCOPE_REQUIRED", ["google.rpc.ErrorInfo"]],
  [new NotFoundError("u", "m"), status.NOT_FOUND, "MEMORY_NOT_FOUND", ["google.rpc.ErrorInfo", "google.rpc.ResourceInfo"]],
  [
    new AlreadyExistsError("u", "m", 0),
    status.ALREADY_EXISTS,
    "MEMORY_ALREADY_EXISTS",
    ["google.rpc.ErrorInfo", "google.rpc.ResourceInfo"],
  ],
  [
    new ValidationError([{ field: "f", description: "bad" }]),
    status.INVALID_ARGUMENT,
    "INVALID_FIELD",
    ["google.rpc.ErrorInfo", "google.rpc.BadRequest"],
  ],
  [new RequestIdReusedError("r", 0), status.INVALID_ARGUMENT, "REQUEST_ID_REUSED", ["google.rpc.ErrorInfo", "google.rpc.BadRequest"]],
  [new DeadlineExceededError("late"), status.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", ["google.rpc.ErrorInfo"]],
  [new UnavailableError("down"), status.UNAVAILABLE, "STORAGE_UNAVAILABLE", ["google.rpc.ErrorInfo", "google.rpc.RetryInfo"]],
  [new StorageLostError("file gone"), status.UNAVAILABLE, "STORAGE_UNAVAILABLE", ["google.rpc.ErrorInfo", "google.rpc.RetryInfo"]],
  [new StorageBusyError("locked"), status.UNAVAILABLE, "STORAGE_BUSY", ["google.rpc.ErrorInfo", "google.rpc.RetryInfo"]],
  [new StorageFullError("full"), status.RESOURCE_EXHAUSTED, "STORAGE_FULL", ["google.rpc.ErrorInfo"]],
  [new OverloadedError("queued"), status.RESOURCE_EXHAUSTED, "OVERLOADED", ["google.rpc.ErrorInfo", "google.rpc.RetryInfo"]],
] as const)("maps %o to code %i with reason %s", (err, code, reason, types) => {
  const status_ = seen(err);
  expect(status_).toMatchObject({ code, reason, domain: ERROR_DOMAIN, types });
});

it("keeps the driver's words out of UNAVAILABLE", () => {
  expect(seen(new UnavailableError("connect ECONNREFUSED 10.1.2.3:5432")).message).toBe("storage is unavailable; retry later");
});

it("names the resource of NOT_FOUND and ALREADY_EXISTS, and the batch entry of a create", () => {
  const notFound = seen(new NotFoundError("ada", "m1"));
  expect(notFound.code).toBe(status.NOT_FOUND);
  expect(notFound.details.resourceInfo).toMatchObject({ resourceType: "memoryd.v1.UserMemory", resourceName: "m1", owner: "ada" });
  const taken = seen(new AlreadyExistsError("ada", "m1", 3), batchCreate);
  expect(taken.code).toBe(status.ALREADY_EXISTS);
  expect(taken.message).toMatch(/^requests\[3\]\.user_memory\.memory_id: /);
  expect(seen(new AlreadyExistsError("ada", "m1", 0)).message).toMatch(/^user_memory\.memory_id: /);
});

it("answers INVALID_ARGUMENT with a BadRequest naming each field", () => {
  const invalid = seen(
    new ValidationError([
      { field: "user_memory.user_id", description: "is required" },
      { field: "page_size", description: "too big" },
    ]),
  );
  expect(invalid.code).toBe(status.INVALID_ARGUMENT);
  expect(invalid.details.badRequest?.fieldViolations.map((v) => v.field)).toEqual(["user_memory.user_id", "page_size"]);
  const reused = seen(new RequestIdReusedError("r", 2), batchCreate);
  expect(reused.details.badRequest?.fieldViolations.map((v) => v.field)).toEqual(["requests[2].request_id"]);
});

it("leaves errors nobody anticipated to INTERNAL with its reason and nothing of the cause", () => {
  expect(toStatusError(new StorageError("sqlite: disk I/O error"))).toBeUndefined();
  expect(toStatusError(new TypeError("x is undefined"))).toBeUndefined();
  const internal = internalError();
  const details = statusDetails({ ...internal, name: "", message: "", metadata: internal.metadata! });
  expect(internal).toMatchObject({ code: status.INTERNAL, details: "internal error" });
  expect(details.errorInfo).toMatchObject({ reason: "INTERNAL_ERROR", domain: ERROR_DOMAIN });
  expect(details.status.details).toHaveLength(1);
});

it("says how long a request may take to arrive", () => {
  const timeout = requestTimeout(300);
  expect(timeout.code).toBe(status.DEADLINE_EXCEEDED);
  expect(timeout.details).toMatch(/within 300 ms/);
});
