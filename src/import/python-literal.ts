/**
 * Parses Python literals as `repr()` writes them: dicts, lists, tuples,
 * strings, numbers, `None`, `True`, `False`.
 *
 * Agno's SqliteMemoryDb stores each memory as `str(dict)` and reads it back
 * with `eval()`. Importing those rows needs the same values without running
 * anything: this parser accepts literals only, so a hostile row cannot
 * execute code, and anything else is a clear error.
 *
 * @module
 */

/** Text that is not a Python literal of the kinds Agno stores. */
export class PythonLiteralError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PythonLiteralError";
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  r: "\r",
  t: "\t",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
};

export function parsePythonLiteral(text: string): unknown {
  let pos = 0;

  const fail = (what: string): never => {
    throw new PythonLiteralError(`${what} at offset ${pos}: ${JSON.stringify(text.slice(pos, pos + 20))}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[pos] !== char) fail(`expected ${JSON.stringify(char)}`);
    pos++;
  };

  function string(): string {
    const quote = text[pos]!;
    pos++;
    let out = "";
    for (;;) {
      if (pos >= text.length) fail("unterminated string");
      const char = text[pos++]!;
      if (char === quote) return out;
      if (char !== "\\") {
        out += char;
        continue;
      }
      const escaped = text[pos++] ?? fail("unterminated escaped");
      if (escaped in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[escaped];
      else if (escaped === "x" || escaped === "u" || escaped === "U") {
        const length = escaped === "x" ? 2 : escaped === "u" ? 4 : 8;
        const hex = text.slice(pos, pos + length);
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) fail(`bad \\${escaped} escaped`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        pos += length;
      } else if (/[0-7]/.test(escaped)) {
        const octal = /^[0-7]{1,3}/.exec(text.slice(pos - 1))![0];
        out += String.fromCodePoint(Number.parseInt(octal, 8));
        pos += octal.length - 1;
      } else out += `\\${escaped}`; // Python keeps unknown escapes as written
    }
  }

  function sequence(close: string): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return items;
      }
      items.push(value());
      skipSpace();
      if (text[pos] === ",") pos++;
      else if (text[pos] !== close) fail(`expected "," or ${JSON.stringify(close)}`);
    }
  }

  function dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      skipSpace();
      if (text[pos] === "}") {
        pos++;
        return out;
      }
      const key = value();
      if (typeof key !== "string" && typeof key !== "number") fail("dict key is not a string or number");
      expect(":");
      Object.defineProperty(out, String(key), { value: value(), enumerable: true, writable: true, configurable: true });
      skipSpace();
      if (text[pos] === ",") pos++;
      else if (text[pos] !== "}") fail('expected "," or "}"');
    }
  }

  function value(): unknown {
    skipSpace();
    const char = text[pos];
    if (char === "{" || char === "[" || char === "(") {
      pos++;
      return char === "{" ? dict() : sequence(char === "[" ? "]" : ")");
    }
    if (char === "'" || char === '"') return string();
    for (const [word, result] of [
      ["None", null],
      ["True", true],
      ["False", false],
    ] as const) {
      if (text.startsWith(word, pos) && !/\w/.test(text[pos + word.length] ?? "")) {
        pos += word.length;
        return result;
      }
    }
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos));
    if (number) {
      pos += number[0].length;
      return Number(number[0]);
    }
    return fail("not a Python literal");
  }

  const result = value();
  skipSpace();
  if (pos !== text.length) fail("unexpected text after the literal");
  return result;
}
