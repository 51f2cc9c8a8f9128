import { expect, it } from "vitest";
import { integerParam, redactUrl, StorageUrlError, schemeOf, takeParams } from "./url.js";

it("takes memoryd's parameters off a URL and leaves every other character as written", () => {
  expect(takeParams("postgres://h/db?sslmode=require&schema=a%20b&x=1%2B1", ["schema"])).toEqual({
    url: "postgres://h/db?sslmode=require&x=1%2B1",
    params: new Map([["schema", "a b"]]),
  });
  expect(takeParams("postgres://h/db?schema=s", ["schema"]).url).toBe("postgres://h/db");
  expect(takeParams("sqlite://./x.db", ["readers"])).toEqual({ url: "sqlite://./x.db", params: new Map() });
});

it("reads integer parameters with a floor, refusing anything else", () => {
  const params = new Map([
    ["n", "7"],
    ["bad", "7.5"],
    ["low", "0"],
  ]);
  expect(integerParam(params, "n", 1, 1)).toBe(7);
  expect(integerParam(params, "absent", 3, 1)).toBe(3);
  expect(() => integerParam(params, "bad", 1, 1)).toThrow(StorageUrlError);
  expect(() => integerParam(params, "low", 1, 1)).toThrow(/at least 1/);
});

it("masks credentials and secret query parameters, and names schemes", () => {
  expect(redactUrl("postgres://user:secret@db:5432/x")).toBe("postgres://***@db:5432/x");
  expect(redactUrl("mongodb+srv://u:p@cluster/db")).toBe("mongodb+srv://***@cluster/db");
  expect(redactUrl("sqlite://./data/m.db")).toBe("sqlite://./data/m.db");
  expect(redactUrl("postgres://db/memoryd?user=m&password=s3cret&sslpassword=k3y&sslmode=require")).toBe(
    "postgres://db/memoryd?user=m&password=***&sslpassword=***&sslmode=require",
  );
  expect(redactUrl("mongodb://u:p@a:27017,b:27017/memoryd?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:t0k3n")).toBe(
    "mongodb://***@a:27017,b:27017/memoryd?authMechanism=MONGODB-AWS&authMechanismProperties=***",
  );
  expect(schemeOf("mongodb+srv://x")).toBe("mongodb+srv");
  expect(schemeOf("no-scheme")).toBe("");
});
