import { describe, expect, it } from "vitest";
import type { NewMemory } from "../../src/storage/store.js";
import { byKey, type Conformance, HOSTILE_STRINGS, ids } from "./context.js";

/** Filters of list and search: agent, team, any and all topics, labels, and every combination. */
export function describeFilters(t: Conformance): void {
  describe("filters", () => {
    /** 24 memories of one user over two agents, two teams, three topics and two label values; one other user with the same. */
    async function scoped() {
      const userId = t.newUser();
      const fields = (i: number): Partial<NewMemory> => ({
        agentId: ["agent-a", "agent-b", undefined][i % 3],
        teamId: i % 2 ? "team-x" : undefined,
        topics: [["food"], ["food", "drinks"], ["work"], []][i % 4]!,
        labels: i % 4 === 0 ? { source: "chat", lang: "en" } : i % 4 === 1 ? { source: "import" } : ({} as Record<string, string>),
      });
      const records = await t.addMany(userId, 24, fields);
      await t.addMany(t.newUser(), 6, fields);
      return { userId, records };
    }

    it("selects by agent, by team, and by both", async () => {
      const { userId, records } = await scoped();
      const expected = (keep: (r: (typeof records)[number]) => boolean) =>
        ids(records.filter(keep).sort(byKey((m) => m.createTime, "newest")));
      const list = async (filter: { agentId?: string; teamId?: string }) =>
        ids((await t.listAll(t.query(userId, { pageSize: 3, filter }))).flat());
      expect(await list({ agentId: "agent-a" })).toEqual(expected((r) => r.agentId === "agent-a"));
      expect(await list({ teamId: "team-x" })).toEqual(expected((r) => r.teamId === "team-x"));
      expect(await list({ agentId: "agent-b", teamId: "team-x" })).toEqual(
        expected((r) => r.agentId === "agent-b" && r.teamId === "team-x"),
      );
      expect(await list({ agentId: "nobody" })).toEqual([]);
    });

    it("selects by any of the topics, by all of them, and by both", async () => {
      const { userId, records } = await scoped();
      const has = (r: (typeof records)[number], topic: string) => r.topics.includes(topic);
      const oldest = (keep: (r: (typeof records)[number]) => boolean) => ids(records.filter(keep));
      const list = async (filter: { anyTopics?: string[]; allTopics?: string[] }) =>
        ids((await t.listAll(t.query(userId, { direction: "oldest", pageSize: 4, filter }))).flat());
      expect(await list({ anyTopics: ["work", "drinks"] })).toEqual(oldest((r) => has(r, "work") || has(r, "drinks")));
      expect(await list({ allTopics: ["food", "drinks"] })).toEqual(oldest((r) => has(r, "food") && has(r, "drinks")));
      expect(await list({ allTopics: ["food"] })).toEqual(oldest((r) => has(r, "food")));
      expect(await list({ anyTopics: ["work", "drinks"], allTopics: ["food"] })).toEqual(oldest((r) => has(r, "drinks")));
      expect(await list({ allTopics: ["food", "work"] })).toEqual([]);
    });

    it("selects by labels: each given key with exactly the given value", async () => {
      const { userId, records } = await scoped();
      const list = async (labels: Record<string, string>) =>
        ids((await t.listAll(t.query(userId, { direction: "oldest", pageSize: 5, filter: { labels } }))).flat());
      expect(await list({ source: "chat" })).toEqual(ids(records.filter((r) => r.labels.source === "chat")));
      expect(await list({ source: "chat", lang: "en" })).toEqual(ids(records.filter((r) => r.labels.lang === "en")));
      expect(await list({ source: "import" })).toEqual(ids(records.filter((r) => r.labels.source === "import")));
      expect(await list({ source: "chat", lang: "de" })).toEqual([]);
      expect(await list({ lang: "" })).toEqual([]);
    });

    it("combines every filter with text and either order, in list and search alike", async () => {
      const { userId, records } = await scoped();
      const keep = (r: (typeof records)[number]) => r.agentId === "agent-a" && r.topics.includes("food") && r.labels.source === "chat";
      const filter = { agentId: "agent-a", anyTopics: ["food"], labels: { source: "chat" } };
      for (const direction of ["newest", "oldest"] as const) {
        for (const orderBy of ["createTime", "updateTime"] as const) {
          const listed = await t.listAll(t.query(userId, { orderBy, direction, pageSize: 1, filter }));
          expect(ids(listed.flat())).toEqual(ids(records.filter(keep).sort(byKey((m) => m.createTime, direction))));
        }
      }
      const text = "memory 1"; // memory 1, 10..19
      const found = await t.listAll(t.search(userId, text, { pageSize: 2, filter: { teamId: "team-x" } }));
      expect(ids(found.flat())).toEqual(
        ids(records.filter((r) => r.memory.startsWith(text) && r.teamId === "team-x").sort(byKey((m) => m.updateTime, "newest"))),
      );
    });

    it("takes hostile label keys and values as data, and finds exactly the memory that holds them", async () => {
      const userId = t.newUser();
      const keys = ["'; DROP TABLE memories; --", "$where", "a.b", "__proto__", 'quote"key', "ünï 🧠", "constructor"];
      const stored = [];
      for (const [i, key] of keys.entries()) {
        const labels = { [key]: HOSTILE_STRINGS[i % HOSTILE_STRINGS.length]!, plain: `v${i}` };
        stored.push(await t.addOne(userId, { memoryId: `m${i}`, labels: Object.fromEntries(Object.entries(labels)) }));
      }
      for (const [i, key] of keys.entries()) {
        const record = await t.store.get(userId, `m${i}`);
        expect(Object.entries(record.labels).sort(), key).toEqual(Object.entries(stored[i]!.labels).sort());
        const labels = Object.fromEntries([[key, HOSTILE_STRINGS[i % HOSTILE_STRINGS.length]!]]);
        const found = await t.store.list(t.query(userId, { filter: { labels } }));
        expect(ids(found.memories), key).toEqual([`m${i}`]);
      }
      const proto = await t.store.get(userId, "m3");
      expect(Object.getPrototypeOf(proto.labels)).toBe(Object.prototype);
      expect(Object.keys(proto.labels).sort()).toEqual(["__proto__", "plain"]);
    });
  });
}
