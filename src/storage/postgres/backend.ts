import { storageBackend } from "../backend.js";
import { PostgresStore } from "./store.js";
import { parsePostgresUrl } from "./url.js";

export const postgresBackend = storageBackend({
  name: "postgres",
  schemes: ["postgres", "postgresql"],
  parse: parsePostgresUrl,
  open: PostgresStore.open,
});
