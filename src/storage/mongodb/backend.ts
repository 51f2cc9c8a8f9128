import { storageBackend } from "../backend.js";
import { MongoDbStore } from "./store.js";
import { parseMongoDbUrl } from "./url.js";

export const mongodbBackend = storageBackend({
  name: "mongodb",
  schemes: ["mongodb", "mongodb+srv"],
  parse: (url) => parseMongoDbUrl(url),
  open: MongoDbStore.open,
});
