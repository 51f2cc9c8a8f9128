import { MongoClient } from "mongodb";
import { parseMongoDbUrl } from "../storage/mongodb/url.js";
import type { SourceDatabase, SourceRow } from "./source-database.js";

/** An Agno MongoDB database: `mongodb://host/<db>`, `agno` (Agno's default) when the URL names none. */
export async function openMongoDbSource(url: string): Promise<SourceDatabase> {
  const { connectionString, database } = parseMongoDbUrl(url, "agno");
  const client = new MongoClient(connectionString, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db(database);
  return {
    kind: "mongodb",
    describe: (collection) => `${database}.${collection}`,
    async fields(collection) {
      const found = await db.listCollections({ name: collection }, { nameOnly: true }).toArray();
      if (found.length === 0) return undefined;
      const one = await db.collection(collection).findOne({});
      return new Set(one ? Object.keys(one) : []);
    },
    count: (collection) => db.collection(collection).estimatedDocumentCount(),
    rows: (collection, key) =>
      db
        .collection(collection)
        .find({})
        .sort({ [key]: 1 }) as AsyncIterable<SourceRow>,
    close: () => client.close(),
  };
}
