import { expect, it } from "vitest";
import { EtagMismatchError, NotFoundError } from "./errors.js";
import { missedWriteError } from "./missed-write.js";

const key = { userId: "u", memoryId: "m" };

it.each([
  ["replace", true, false, EtagMismatchError],
  ["replace", true, true, EtagMismatchError],
  ["replace", false, false, NotFoundError],
  // With allowMissing a replace that still missed carried an etag: no missing memory has it.
  ["replace", false, true, EtagMismatchError],
  ["delete", true, false, EtagMismatchError],
  ["delete", true, true, EtagMismatchError],
  ["delete", false, false, NotFoundError],
] as const)("%s that missed, memory exists: %s, allowMissing: %s → %o", (operation, exists, allowMissing, expected) => {
  const error = missedWriteError({ ...key, operation, exists, allowMissing });
  expect(error).toBeInstanceOf(expected);
  expect(error).toMatchObject(key);
});

it("is no error to delete a missing memory with allowMissing", () => {
  expect(missedWriteError({ ...key, operation: "delete", exists: false, allowMissing: true })).toBeUndefined();
});
