/** PostgreSQL's own time limits (lock_timeout, statement_timeout) as clients see them over gRPC. */

import { status } from "@grpc/grpc-js";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/storage/open.js";
import { parsePostgresUrl } from "../../src/storage/postgres/url.js";
import { failure, statusDetails } from "../../testkit/client.js";
import { useTestServer } from "../helpers/server.js";
import { backend } from "../support/backends.js";

const postgres = backend("postgres");

describe.skipIf(postgres.unavailable)(`postgres backend (${postgres.unavailable ?? "available"})`, () => {
  /** Holds `sql` (a row or table lock) in another session on the schema of `url` while `during` runs. */
  async function whileLocked<T>(url: string, sql: (schema: string) => string, params: unknown[], during: () => Promise<T>): Promise<T> {
    const { connectionString, schema } = parsePostgresUrl(url);
    const locker = new pg.Client({ connectionString });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query(sql(schema), params);
      return await during();
    } finally {
      await locker.query("ROLLBACK");
      await locker.end();
    }
  }

  // The database's own time limits for memoryd's sessions, as an operator may set them.
  const withOptions = (options: string) => `${postgres.storageUrl()}&options=${encodeURIComponent(options)}`;

  describe("with lock_timeout", () => {
    const url = withOptions("-c lock_timeout=200");
    const t = useTestServer(() => openStore(url));

    it("answers a lock wait past lock_timeout UNAVAILABLE with STORAGE_BUSY and RetryInfo, and changes nothing", async () => {
      const { userMemory: created } = await t.client.create({ userMemory: { userId: "locked", memory: "before" } });
      const rowLock = (schema: string) => `SELECT 1 FROM "${schema}".memories WHERE user_id = $1 AND memory_id = $2 FOR UPDATE`;
      const err = await whileLocked(url, rowLock, [created!.userId, created!.memoryId], () =>
        failure(t.client.replace({ userMemory: { userId: "locked", memoryId: created!.memoryId, memory: "after" } })),
      );
      expect(err.code).toBe(status.UNAVAILABLE);
      const details = statusDetails(err);
      expect(details.errorInfo).toMatchObject({ reason: "STORAGE_BUSY", domain: "memoryd.dev" });
      expect(details.status.details.map((d) => d.typeUrl)).toContain("type.googleapis.com/google.rpc.RetryInfo");
      expect((await t.client.get(created!)).userMemory).toEqual(created);
    });
  });

  describe("with statement_timeout", () => {
    const url = withOptions("-c statement_timeout=300");
    const t = useTestServer(() => openStore(url));

    it("answers a statement the database cancels at statement_timeout DEADLINE_EXCEEDED, not INTERNAL", async () => {
      const { userMemory: created } = await t.client.create({ userMemory: { userId: "slow", memory: "before" } });
      const tableLock = (schema: string) => `LOCK TABLE "${schema}".memories IN ACCESS EXCLUSIVE MODE`;
      const err = await whileLocked(url, tableLock, [], () => failure(t.client.get({ userId: "slow", memoryId: created!.memoryId })));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      expect(statusDetails(err).errorInfo).toMatchObject({ reason: "DEADLINE_EXCEEDED", domain: "memoryd.dev" });
      expect(err.details).toMatch(/statement_timeout/);
    });
  });
});
