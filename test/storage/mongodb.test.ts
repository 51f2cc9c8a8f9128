import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { openStore, parseMongoUrl } from "../../src/storage/open.js";
import { describeStoreConformance } from "../conformance/store-conformance.js";
import { backend } from "../support/backends.js";

const mongodb = backend("mongodb");

it("parses the database and memoryd's collection parameter off a MongoDB URL", () => {
  expect(parseMongoUrl("mongodb://a:1,b:2/agents?replicaSet=rs&collection=mem&maxPoolSize=5")).toEqual({
    connectionString: "mongodb://a:1,b:2/agents?replicaSet=rs&maxPoolSize=5",
    database: "agents",
    collection: "mem",
  });
  expect(parseMongoUrl("mongodb://localhost")).toMatchObject({ database: "memoryd", collection: "memories" });
  expect(parseMongoUrl("mongodb+srv://u:p@cluster.example/?retryWrites=true").database).toBe("memoryd");
});

describe.skipIf(mongodb.unavailable)(`mongodb backend (${mongodb.unavailable ?? "available"})`, () => {
  describeStoreConformance("mongodb", () => openStore(mongodb.storageUrl()));

  it("reopens a database it created before, as every restart does", async () => {
    const url = mongodb.storageUrl();
    const first = await openStore(url);
    const [created] = await first.add([{ userId: "u", memory: "kept", topics: [] }]);
    await first.close();
    const second = await openStore(url);
    expect(await second.get("u", created!.memoryId)).toEqual(created);
    await second.close();
  });

  it("creates unique and per-user indexes and stores ids and BSON dates", async () => {
    const url = mongodb.storageUrl();
    const store = await openStore(url);
    const [created] = await store.add([{ userId: "u", memory: "stored as a document", topics: ["a"] }]);
    const { database, connectionString } = parseMongoUrl(url);
    const client = new MongoClient(connectionString);
    try {
      const collection = client.db(database).collection("memories");
      const indexes = await collection.listIndexes().toArray();
      const byName = Object.fromEntries(indexes.map((index) => [index.name, index]));
      expect(byName.memories_by_id).toMatchObject({ key: { user_id: 1, memory_id: 1 }, unique: true });
      expect(byName.memories_by_request_id).toMatchObject({ key: { user_id: 1, request_key: 1 }, unique: true });
      expect(byName.memories_by_create_time?.key).toEqual({ user_id: 1, create_us: 1, memory_id: 1 });
      expect(byName.memories_by_update_time?.key).toEqual({ user_id: 1, update_us: 1, memory_id: 1 });
      const doc = await collection.findOne({ user_id: "u" });
      expect(doc).toMatchObject({ memory_id: created!.memoryId, memory: "stored as a document", topics: ["a"] });
      expect(doc!.create_time).toBeInstanceOf(Date);
      expect(doc!.create_time.getTime()).toBe(Math.floor(created!.createTime / 1000));
    } finally {
      await client.close();
      await store.close();
    }
  });
});
