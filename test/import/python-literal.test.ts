import { describe, expect, it } from "vitest";
import { PythonLiteralError, parsePythonLiteral } from "../../src/import/python-literal.js";

describe("parsePythonLiteral", () => {
  it("reads what Python's repr writes for Agno's memory dicts", () => {
    const text = `{'memory_id': 'a1', 'memory': "It's \\"x\\" \\\\ and\\nnew", 'topics': ['ui', "it's"], 'input': None, 'n': -1.5e3, 'ok': True, 'no': False, 't': (1, 2), 'e': [], 'd': {}}`;
    expect(parsePythonLiteral(text)).toEqual({
      memory_id: "a1",
      memory: 'It\'s "x" \\ and\nnew',
      topics: ["ui", "it's"],
      input: null,
      n: -1500,
      ok: true,
      no: false,
      t: [1, 2],
      e: [],
      d: {},
    });
  });

  it("decodes escapes: hex, unicode, octal, and keeps non-ASCII as written", () => {
    expect(parsePythonLiteral(`'\\x00\\x7f\\u00e9\\U0001f9e0\\101 Käse 🧀 \\t'`)).toBe("\u0000\u007fé🧠A Käse 🧀 \t");
  });

  it("refuses anything that is not a literal, so no row can run code", () => {
    for (const text of [
      `__import__('os').system('id')`,
      `{'a': open('x')}`,
      `{'a': 1} + {}`,
      `'unterminated`,
      `{'a' 1}`,
      `datetime.datetime(2024, 1, 1)`,
    ]) {
      expect(() => parsePythonLiteral(text), text).toThrow(PythonLiteralError);
    }
  });

  it("does not let a key reach the object prototype", () => {
    const parsed = parsePythonLiteral(`{'__proto__': {'polluted': True}}`) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
  });
});
