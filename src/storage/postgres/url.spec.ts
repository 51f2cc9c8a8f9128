import { expect, it } from "vitest";
import { parsePostgresUrl } from "./url.js";

it("parses memoryd's parameters off a PostgreSQL URL and leaves the rest to pg", () => {
  expect(parsePostgresUrl("postgres://u:p@db:5432/app?sslmode=require&schema=mem&pool_max=4&application_name=a%20b")).toEqual({
    connectionString: "postgres://u:p@db:5432/app?sslmode=require&application_name=a%20b",
    schema: "mem",
    poolMax: 4,
    connectTimeoutMs: 5000,
  });
  expect(parsePostgresUrl("postgresql:///app").schema).toBe("memoryd");
  expect(() => parsePostgresUrl("postgres://h/db?pool_max=0")).toThrow(/pool_max/);
});
