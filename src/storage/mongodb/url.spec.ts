import { expect, it } from "vitest";
import { parseMongoDbUrl } from "./url.js";

it("parses the database and memoryd's collection parameter off a MongoDB URL, leaving the rest to the driver", () => {
  expect(parseMongoDbUrl("mongodb://a:1,b:2/agents?replicaSet=rs&collection=mem&maxPoolSize=5")).toEqual({
    connectionString: "mongodb://a:1,b:2/agents?replicaSet=rs&maxPoolSize=5",
    database: "agents",
    collection: "mem",
  });
  expect(parseMongoDbUrl("mongodb://localhost")).toMatchObject({ database: "memoryd", collection: "memories" });
  expect(parseMongoDbUrl("mongodb+srv://u:p@cluster.example/?retryWrites=true").database).toBe("memoryd");
  expect(parseMongoDbUrl("mongodb://localhost", "agno").database).toBe("agno");
});
