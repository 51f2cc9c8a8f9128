import { describe, expect, it } from "vitest";
import { AlreadyExistsError, RequestIdReusedError } from "../../src/storage/errors.js";
import { type Conformance, ids } from "./context.js";

/** add: ids, times, etags, request ids. */
export function describeCreate(t: Conformance): void {
  describe("create", () => {
    it("generates a UUID, sets both times to the same instant and an etag", async () => {
      const before = Date.now() * 1000;
      const record = await t.addOne(t.newUser(), { input: "I love green tea" });
      expect(record.memoryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(record.createTime).toBe(record.updateTime);
      expect(record.createTime).toBeGreaterThanOrEqual(before - 1000);
      expect(record.createTime).toBeLessThanOrEqual(Date.now() * 1000 + 1000);
      expect(record.etag).not.toBe("");
      expect(await t.store.get(record.userId, record.memoryId)).toEqual(record);
    });

    it("keeps a client-chosen id, topics in order, and input exactly (absent, empty or text)", async () => {
      const userId = t.newUser();
      const a = await t.addOne(userId, { memoryId: "pref.theme", topics: ["ui", "preferences", "ui"] });
      const b = await t.addOne(userId, { memoryId: "with-empty-input", input: "" });
      const c = await t.addOne(userId, { memoryId: "no-topics", topics: [] });
      expect(await t.store.get(userId, "pref.theme")).toMatchObject({ topics: ["ui", "preferences", "ui"], input: undefined });
      expect((await t.store.get(userId, b.memoryId)).input).toBe("");
      expect((await t.store.get(userId, c.memoryId)).topics).toEqual([]);
      expect(a.memoryId).toBe("pref.theme");
    });

    it("refuses an id the user already has, and keeps the original", async () => {
      const userId = t.newUser();
      const original = await t.addOne(userId, { memoryId: "m1" });
      const err = await t.store.add([t.draft(userId, { memoryId: "m1", memory: "other" })]).catch((e) => e);
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect(err).toMatchObject({ userId, memoryId: "m1", index: 0 });
      expect(await t.store.get(userId, "m1")).toEqual(original);
    });

    it("gives each user its own id space", async () => {
      const [alice, bob] = [t.newUser(), t.newUser()];
      await t.addOne(alice, { memoryId: "shared-id", memory: "alice's" });
      await t.addOne(bob, { memoryId: "shared-id", memory: "bob's" });
      expect((await t.store.get(alice, "shared-id")).memory).toBe("alice's");
      expect((await t.store.get(bob, "shared-id")).memory).toBe("bob's");
    });

    it("returns the first result for a retried request id instead of adding again", async () => {
      const userId = t.newUser();
      const first = await t.addOne(userId, { requestId: "req-1" });
      const retry = await t.addOne(userId, { requestId: "req-1" });
      expect(retry).toEqual(first);
      const page = await t.store.list(t.query(userId, { pageSize: 10 }));
      expect(ids(page.memories)).toEqual([first.memoryId]);
    });

    it("refuses a request id reused for different content", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { requestId: "req-2", memory: "first" });
      const err = await t.store.add([t.draft(userId, { requestId: "req-2", memory: "second" })]).catch((e) => e);
      expect(err).toBeInstanceOf(RequestIdReusedError);
      expect(err).toMatchObject({ requestId: "req-2", index: 0 });
    });

    it("scopes request ids to their user", async () => {
      const [alice, bob] = [t.newUser(), t.newUser()];
      const a = await t.addOne(alice, { requestId: "same" });
      const b = await t.addOne(bob, { requestId: "same" });
      expect(b.memoryId).not.toBe(a.memoryId);
      expect(b.userId).toBe(bob);
    });
  });
}
