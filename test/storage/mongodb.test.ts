/** What is MongoDB's own (documents, indexes, reopening); the contract every backend shares is in test/conformance/. */
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { parseMongoDbUrl } from "../../src/storage/mongodb/url.js";
import { openStore } from "../../src/storage/open.js";
import { backend } from "../support/backends.js";

const mongodb = backend("mongodb");

describe.skipIf(mongodb.unavailable)(`mongodb backend (${mongodb.unavailable ?? "available"})`, () => {
  it("reopens a database it created before, as every restart does", async () => {
    const url = mongodb.storageUrl();
    const first = await openStore(url);
    const [created] = await first.add([{ userId: "u", memory: "kept", topics: [], labels: {} }]);
    await first.close();
    const second = await openStore(url);
    expect(await second.get("u", created!.memoryId)).toEqual(created);
    await second.close();
  });

  it("creates unique and per-user indexes and stores ids and BSON dates", async () => {
    const url = mongodb.storageUrl();
    const store = await openStore(url);
    const [created] = await store.add([{ userId: "u", memory: "stored as a document", topics: ["a"], labels: {} }]);
    const { database, connectionString } = parseMongoDbUrl(url);
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
