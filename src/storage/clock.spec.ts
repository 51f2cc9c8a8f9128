import { expect, it } from "vitest";
import { dateFromMicros, microsFromDate, nowMicros, secondsAndNanos, timeAfter } from "./clock.js";

it("gives strictly increasing microseconds within the process, even within one millisecond", () => {
  const times = Array.from({ length: 1000 }, () => nowMicros());
  for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
  expect(Math.abs(times[0]! / 1000 - Date.now())).toBeLessThan(1000);
});

it("puts a write after the user's newest time, even one from a clock ahead of this one", () => {
  const ahead = nowMicros() + 5_000_000;
  const time = timeAfter(ahead);
  expect(time).toBe(ahead + 1);
  expect(nowMicros()).toBeGreaterThan(time); // and the process clock keeps going from there
  expect(timeAfter(undefined)).toBeGreaterThan(time);
  expect(timeAfter(null)).toBeGreaterThan(time);
  expect(timeAfter(0)).toBeGreaterThan(0);
});

it("converts between microseconds, Dates and Timestamp fields", () => {
  expect(microsFromDate(new Date(1_700_000_000_123))).toBe(1_700_000_000_123_000);
  expect(dateFromMicros(1_700_000_000_123_999).getTime()).toBe(1_700_000_000_123);
  expect(secondsAndNanos(1_700_000_000_123_456)).toEqual({ seconds: 1_700_000_000, nanos: 123_456_000 });
  expect(secondsAndNanos(0)).toEqual({ seconds: 0, nanos: 0 });
});
