import { describe, expect, it } from "vitest";
import { type Conformance, HOSTILE_STRINGS } from "./context.js";

/** Strings that break naive query building: stored, filtered and searched for as data. */
export function describeHostileInput(t: Conformance): void {
  describe("hostile input", () => {
    /** A hostile string as an id or topic: identifiers hold no line breaks or tabs (validation refuses them). */
    const asIdentifier = (text: string) => text.replace(/[\n\t]/g, " ");

    it("stores hostile and non-ASCII strings verbatim", async () => {
      const userId = `${t.newUser()}-'"%_$`;
      for (const text of HOSTILE_STRINGS) {
        const record = await t.addOne(userId, {
          memoryId: `id ${asIdentifier(text)}`,
          memory: text,
          topics: [asIdentifier(text)],
          input: text,
        });
        expect(await t.store.get(userId, record.memoryId)).toEqual(record);
      }
      const page = await t.store.list(t.query(userId, { direction: "oldest", pageSize: 100 }));
      expect(page.memories.map((m) => m.memory)).toEqual(HOSTILE_STRINGS);
    });

    it("filters by hostile topics and searches for hostile text literally, finding exactly the memory that holds it", async () => {
      const userId = t.newUser();
      for (const text of HOSTILE_STRINGS) await t.addOne(userId, { memory: `note: ${text}`, topics: [asIdentifier(text)] });
      for (const text of HOSTILE_STRINGS) {
        const listed = await t.store.list(
          t.query(userId, { direction: "oldest", pageSize: 100, filter: { anyTopics: [asIdentifier(text)] } }),
        );
        expect(
          listed.memories.map((m) => m.memory),
          text,
        ).toEqual([`note: ${text}`]);
        const found = await t.firstMatches(t.search(userId, text, { direction: "oldest", pageSize: 100 }));
        expect(
          found.map((m) => m.memory),
          text,
        ).toEqual([`note: ${text}`]);
      }
    });
  });
}
