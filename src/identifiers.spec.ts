import { expect, it } from "vitest";
import { canonicalIdentifier, identifierProblem } from "./identifiers.js";

it("stores identifiers in NFC: composed and decomposed spellings become one", () => {
  expect(canonicalIdentifier("Jose\u0301")).toBe("Jos\u00e9");
  expect(canonicalIdentifier("Jos\u00e9")).toBe("Jos\u00e9");
  expect(canonicalIdentifier("plain-ascii_id.1")).toBe("plain-ascii_id.1");
  expect(canonicalIdentifier("\uac00")).toBe(canonicalIdentifier("\u1100\u1161")); // Hangul syllable from its jamo
});

it("refuses characters nobody can see, naming the first", () => {
  for (const invisible of [
    "\u0000",
    "\u001f",
    "\u007f",
    "\u0085",
    "\u00ad",
    "\u200b",
    "\u200e",
    "\u202e",
    "\u2028",
    "\u2029",
    "\u2060",
    "\ufeff",
    "\ue000",
    "\ufdd0",
    "\uffff",
    "\u{1fffe}",
  ]) {
    const problem = identifierProblem(`id${invisible}x`);
    expect(problem, JSON.stringify(invisible)).toMatch(/invisible characters/);
    expect(problem).toContain(`U+${invisible.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} at 2`);
  }
});

it("accepts visible text in any script, with spaces, punctuation and emoji", () => {
  for (const visible of ["ada", "José", "東京", "café au lait", "🧠💾", "a.b-c_d:e/f", "❤️"])
    expect(identifierProblem(visible), visible).toBeUndefined();
});
