import { describe, expect, it } from "vitest";
import { byKey, type Conformance, ids } from "./context.js";

/** search: text, topics, pages by update time. */
export function describeSearch(t: Conformance): void {
  describe("search", () => {
    it("orders by update time: newest first for last_n, oldest first for first_n", async () => {
      const userId = t.newUser();
      const records = await t.addMany(userId, 5);
      const bumped = await t.store.replace(t.replacement(records[1]!));
      const current = records.map((r) => (r.memoryId === bumped.memoryId ? bumped : r));
      const last = await t.firstMatches(t.search(userId, "", { pageSize: 3 }));
      expect(ids(last)).toEqual(ids([...current].sort(byKey((m) => m.updateTime, "newest")).slice(0, 3)));
      expect(last[0]!.memoryId).toBe(bumped.memoryId);
      const first = await t.firstMatches(t.search(userId, "", { direction: "oldest", pageSize: 10 }));
      expect(ids(first)).toEqual(ids([...current].sort(byKey((m) => m.updateTime, "oldest"))));
    });

    it("matches text case-insensitively, including beyond ASCII", async () => {
      const userId = t.newUser();
      const [tea, school, _other] = await t.store.add([
        t.draft(userId, { memory: "Likes Green TEA in the morning" }),
        t.draft(userId, { memory: "Went to an ÉCOLE in Zürich" }),
        t.draft(userId, { memory: "Drives a bike" }),
      ]);
      expect(ids(await t.firstMatches(t.search(userId, "green tea", { pageSize: 10 })))).toEqual([tea!.memoryId]);
      expect(ids(await t.firstMatches(t.search(userId, "école", { pageSize: 10 })))).toEqual([school!.memoryId]);
      expect(ids(await t.firstMatches(t.search(userId, "ZÜRICH", { pageSize: 10 })))).toEqual([school!.memoryId]);
      expect(await t.firstMatches(t.search(userId, "coffee", { pageSize: 10 }))).toEqual([]);
    });

    it("treats LIKE and regex metacharacters in the query literally", async () => {
      const userId = t.newUser();
      const [percent] = await t.store.add([
        t.draft(userId, { memory: "is 100% sure" }),
        t.draft(userId, { memory: "is 1000 sure" }),
        t.draft(userId, { memory: "snake_case fan" }),
        t.draft(userId, { memory: "snakeXcase fan" }),
        t.draft(userId, { memory: "a.b*c(d)[e]^$|?+\\" }),
      ]);
      const search = (text: string) => t.firstMatches(t.search(userId, text, { direction: "oldest" }));
      expect(ids(await search("0%"))).toEqual([percent!.memoryId]);
      expect((await search("e_c")).map((m) => m.memory)).toEqual(["snake_case fan"]);
      expect((await search(".b*c(d)[e]^$|?+\\")).map((m) => m.memory)).toEqual(["a.b*c(d)[e]^$|?+\\"]);
      expect(await search("%")).toHaveLength(1);
    });

    it("finds rare matches deep in a long history, in order, and frequent ones among the newest", async () => {
      const userId = t.newUser();
      const memories = Array.from({ length: 700 }, (_, i) =>
        t.draft(userId, { memory: `entry ${i} ${i === 3 || i === 650 ? "Quetzalcoatl" : "plain"}` }),
      );
      const created = [...(await t.store.add(memories.slice(0, 500))), ...(await t.store.add(memories.slice(500)))];
      const rare = await t.firstMatches(t.search(userId, "quetzal", { pageSize: 10 }));
      expect(rare.map((m) => m.memory)).toEqual(["entry 650 Quetzalcoatl", "entry 3 Quetzalcoatl"]);
      const oldestFirst = await t.firstMatches(t.search(userId, "QUETZAL", { direction: "oldest", pageSize: 1 }));
      expect(oldestFirst.map((m) => m.memory)).toEqual(["entry 3 Quetzalcoatl"]);
      const frequent = await t.firstMatches(t.search(userId, "plain", { pageSize: 3 }));
      expect(ids(frequent)).toEqual(
        ids(
          [...created]
            .sort(byKey((m) => m.updateTime, "newest"))
            .filter((m) => m.memory.endsWith("plain"))
            .slice(0, 3),
        ),
      );
    });

    it("combines text, topics and limit, and never returns other users' memories", async () => {
      const userId = t.newUser();
      await t.addMany(t.newUser(), 3, () => ({ memory: "tea lover", topics: ["food"] }));
      const mine = await t.addMany(userId, 6, (i) => ({
        memory: i % 2 ? "tea lover" : "coffee lover",
        topics: i < 3 ? ["food"] : ["drinks"],
      }));
      const found = await t.firstMatches(t.search(userId, "TEA", { pageSize: 10, filter: { anyTopics: ["drinks"] } }));
      const expected = mine.filter((m) => m.memory === "tea lover" && m.topics.includes("drinks"));
      expect(ids(found)).toEqual(ids(expected.sort(byKey((m) => m.updateTime, "newest"))));
      expect(await t.firstMatches(t.search(userId, "lover", { pageSize: 2 }))).toHaveLength(2);
    });
  });
}
