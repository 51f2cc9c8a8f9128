import { storageBackend } from "../backend.js";
import { SqliteStore } from "./store.js";
import { parseSqliteUrl } from "./url.js";

export const sqliteBackend = storageBackend({ name: "sqlite", schemes: ["sqlite"], parse: parseSqliteUrl, open: SqliteStore.open });
