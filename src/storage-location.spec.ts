import { describe, expect, it } from "vitest";
import { storageLocation } from "./storage-location.js";

describe("storageLocation", () => {
  it("gives SQLite's database file as an absolute path, resolved against the working directory", () => {
    expect(storageLocation("sqlite://./data/memoryd.db", "/srv/app")).toEqual({
      storage: "sqlite://./data/memoryd.db",
      sqliteFile: "/srv/app/data/memoryd.db",
    });
    expect(storageLocation("sqlite://m.db?synchronous=full", "/srv/app")).toEqual({
      storage: "sqlite://m.db?synchronous=full",
      sqliteFile: "/srv/app/m.db",
    });
    expect(storageLocation("sqlite:///var/lib/memoryd/m.db", "/srv/app").sqliteFile).toBe("/var/lib/memoryd/m.db");
    expect(storageLocation("sqlite://my%20data/m.db", "/srv").sqliteFile).toBe("/srv/my data/m.db");
    expect(storageLocation("sqlite://:memory:", "/srv").sqliteFile).toBe(":memory:");
  });

  it("still describes a URL that does not parse (opening it reports the error)", () => {
    expect(storageLocation("sqlite://", "/srv")).toEqual({ storage: "sqlite://" });
    expect(storageLocation("redis://localhost")).toEqual({ storage: "redis://localhost" });
  });

  it("masks secrets and leaves other URLs as written", () => {
    expect(storageLocation("postgres://memoryd:s3cret@db:5432/memoryd?password=s3cret&schema=m")).toEqual({
      storage: "postgres://***@db:5432/memoryd?password=***&schema=m",
    });
    expect(storageLocation("mongodb://127.0.0.1:27017/memoryd")).toEqual({ storage: "mongodb://127.0.0.1:27017/memoryd" });
  });
});
