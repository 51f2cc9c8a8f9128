/** Every error class names itself, so logs and `String(err)` say what it is. */
import { expect, it } from "vitest";
import { PermissionDeniedError, UnauthenticatedError } from "./auth.js";
import { PythonLiteralError } from "./import/python-literal.js";
import { MalformedMessageError } from "./malformed-message-error.js";
import { InvalidPageTokenError } from "./page-token.js";
import * as storageErrors from "./storage/errors.js";
import { DeadlinePassed } from "./storage/sqlite/errors.js";
import { ReaderError } from "./storage/sqlite/readers.js";
import { StorageUrlError } from "./storage/url.js";
import { ValidationError } from "./validation.js";
import { WireFormatError } from "./wire-check.js";

it("gives every error class its own name", () => {
  const made: [string, Error][] = [
    ["PermissionDeniedError", new PermissionDeniedError("x")],
    ["UnauthenticatedError", new UnauthenticatedError("x")],
    ["PythonLiteralError", new PythonLiteralError("x")],
    ["MalformedMessageError", new MalformedMessageError({})],
    ["InvalidPageTokenError", new InvalidPageTokenError("x")],
    ["DeadlinePassed", new DeadlinePassed()],
    ["ReaderError", new ReaderError("x", undefined)],
    ["StorageUrlError", new StorageUrlError("x")],
    ["ValidationError", new ValidationError([])],
    ["WireFormatError", new WireFormatError("x")],
  ];
  for (const [name, value] of Object.entries(storageErrors)) {
    if (typeof value === "function" && value.prototype instanceof Error) {
      made.push([name, new (value as unknown as new (...args: unknown[]) => Error)("u", "m", 0)]);
    }
  }
  expect(made.length).toBeGreaterThan(20);
  for (const [name, error] of made) expect(error.name, name).toBe(name);
});
