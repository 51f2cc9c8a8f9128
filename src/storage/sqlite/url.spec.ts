import { expect, it } from "vitest";
import { StorageUrlError } from "../url.js";
import { parseSqliteUrl } from "./url.js";

it("parses relative, absolute and in-memory URLs with options", () => {
  expect(parseSqliteUrl("sqlite://./data/memoryd.db")).toEqual({
    path: "./data/memoryd.db",
    synchronous: "normal",
    busyTimeoutMs: 5000,
    readerThreads: 2,
    cacheKib: 2000,
  });
  expect(parseSqliteUrl("sqlite:///var/lib/memoryd/m%20d.db?synchronous=full&busy_timeout_ms=100")).toEqual({
    path: "/var/lib/memoryd/m d.db",
    synchronous: "full",
    busyTimeoutMs: 100,
    readerThreads: 2,
    cacheKib: 2000,
  });
  expect(parseSqliteUrl("sqlite://:memory:").path).toBe(":memory:");
  expect(() => parseSqliteUrl("sqlite://x.db?synchronous=off")).toThrow(StorageUrlError);
  expect(() => parseSqliteUrl("sqlite://")).toThrow(StorageUrlError);
});
