import { describe, expect, it } from "vitest";
import { redactStorageUrl, storageLocation } from "./storage-location.js";

describe("storageLocation", () => {
  it("gives SQLite's database file as an absolute path, resolved against the working directory", () => {
    expect(storageLocation("sqlite://./data/memoryd.db", "/srv/app")).toEqual({ storage: "sqlite://./data/memoryd.db", sqliteFile: "/srv/app/data/memoryd.db" });
    expect(storageLocation("sqlite://m.db?synchronous=full", "/srv/app")).toEqual({ storage: "sqlite://m.db?synchronous=full", sqliteFile: "/srv/app/m.db" });
    expect(storageLocation("sqlite:///var/lib/memoryd/m.db", "/srv/app").sqliteFile).toBe("/var/lib/memoryd/m.db");
    expect(storageLocation("sqlite://my%20data/m.db", "/srv").sqliteFile).toBe("/srv/my data/m.db");
    expect(storageLocation("sqlite://:memory:", "/srv").sqliteFile).toBe(":memory:");
  });

  it("still describes a URL that does not parse (opening it reports the error)", () => {
    expect(storageLocation("sqlite://", "/srv")).toEqual({ storage: "sqlite://" });
    expect(storageLocation("redis://localhost")).toEqual({ storage: "redis://localhost" });
  });

  it("masks credentials and secret query parameters, and nothing else", () => {
    expect(redactStorageUrl("postgres://memoryd:s3cret@db:5432/memoryd?schema=m&pool_max=5")).toBe("postgres://***@db:5432/memoryd?schema=m&pool_max=5");
    expect(redactStorageUrl("postgres://db/memoryd?user=m&password=s3cret&sslpassword=k3y&sslmode=require")).toBe(
      "postgres://db/memoryd?user=m&password=***&sslpassword=***&sslmode=require",
    );
    expect(redactStorageUrl("mongodb://u:p@a:27017,b:27017/memoryd?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:t0k3n")).toBe(
      "mongodb://***@a:27017,b:27017/memoryd?authMechanism=MONGODB-AWS&authMechanismProperties=***",
    );
    expect(storageLocation("mongodb://127.0.0.1:27017/memoryd")).toEqual({ storage: "mongodb://127.0.0.1:27017/memoryd" });
  });
});
