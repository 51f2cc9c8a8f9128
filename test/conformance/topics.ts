import { describe, expect, it } from "vitest";
import type { TopicCount } from "../../src/storage/store.js";
import type { Conformance } from "./context.js";

/** listTopics: distinct topics with how many memories carry each, in code point order, paged. */
export function describeTopics(t: Conformance): void {
  describe("topics", () => {
    it("counts each memory once per topic, for one user or one scope of the user", async () => {
      const userId = t.newUser();
      await t.addOne(userId, { topics: ["food", "drinks"], agentId: "a" });
      await t.addOne(userId, { topics: ["food", "food"], agentId: "b" });
      await t.addOne(userId, { topics: ["work"], teamId: "x" });
      await t.addOne(userId, { topics: [] });
      await t.addOne(t.newUser(), { topics: ["food", "secret"] });
      const all = await t.store.listTopics({ userId, pageSize: 10, after: undefined });
      expect(all).toEqual({
        topics: [
          { topic: "drinks", memoryCount: 1 },
          { topic: "food", memoryCount: 2 },
          { topic: "work", memoryCount: 1 },
        ],
        next: undefined,
      });
      expect((await t.store.listTopics({ userId, agentId: "b", pageSize: 10, after: undefined })).topics).toEqual([
        { topic: "food", memoryCount: 1 },
      ]);
      expect((await t.store.listTopics({ userId, teamId: "x", pageSize: 10, after: undefined })).topics).toEqual([
        { topic: "work", memoryCount: 1 },
      ]);
      expect((await t.store.listTopics({ userId: t.newUser(), pageSize: 10, after: undefined })).topics).toEqual([]);
    });

    it("pages in code point order, non-ASCII and hostile topics included", async () => {
      const userId = t.newUser();
      const topics = ["zeta", "Alpha", "alpha", "émile", "'; DROP", "$where", "🧠", "中文", "a b"];
      for (const topic of topics) await t.addOne(userId, { topics: [topic] });
      const seen: TopicCount[] = [];
      let after: string | undefined;
      do {
        const page = await t.store.listTopics({ userId, pageSize: 2, after });
        expect(page.topics.length).toBeLessThanOrEqual(2);
        seen.push(...page.topics);
        after = page.next;
      } while (after !== undefined);
      const codePointOrder = [...topics].sort((a, b) => {
        const [x, y] = [[...a].map((c) => c.codePointAt(0)!), [...b].map((c) => c.codePointAt(0)!)];
        for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
        return x.length - y.length;
      });
      expect(seen.map((s) => s.topic)).toEqual(codePointOrder);
      expect(seen.every((s) => s.memoryCount === 1)).toBe(true);
    });

    it("lists every user's topics when asked for all users", async () => {
      const [alice, bob] = [t.newUser(), t.newUser()];
      const topic = `shared-${alice.slice(-8)}`;
      await t.addOne(alice, { topics: [topic] });
      await t.addOne(bob, { topics: [topic] });
      const all: TopicCount[] = [];
      let after: string | undefined;
      do {
        const page = await t.store.listTopics({ userId: undefined, pageSize: 1000, after });
        all.push(...page.topics);
        after = page.next;
      } while (after !== undefined);
      expect(all.find((s) => s.topic === topic)).toEqual({ topic, memoryCount: 2 });
    });
  });
}
