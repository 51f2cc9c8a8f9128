/**
 * The README documents every flag with its environment variable and
 * default; this keeps the table and the CLI from drifting apart.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memorydCommand } from "../src/config.js";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

/** Rows of the "Operating memoryd" flag table: flag, environment variable, default. */
function documentedOptions(): Map<string, { env: string; fallback: string }> {
  const section = readme.slice(readme.indexOf("## Operating memoryd"));
  const rows = new Map<string, { env: string; fallback: string }>();
  for (const match of section.matchAll(/^\| +`(--[a-z0-9-]+)[^`]*` +\| +`([A-Z0-9_]+)` +\| ([^|]*) \|/gm)) {
    rows.set(match[1]!, { env: match[2]!, fallback: match[3]!.trim().replace(/^`(.*)`$/, "$1") });
  }
  return rows;
}

describe("README", () => {
  it("starts with the two set-up commands", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(
      firstBlock
        .split("\n")
        .filter(Boolean)
        .map((line) => line.replace(/\s+#.*$/, "").trim()),
    ).toEqual(["npm install && npm start", "npm test"]);
  });

  it("lists every flag with its environment variable and default in 'Operating memoryd'", () => {
    const documented = documentedOptions();
    const options = memorydCommand().options.filter((o) => o.long !== "--help");
    expect([...documented.keys()].sort()).toEqual(options.map((o) => o.long).sort());
    for (const option of options) {
      const row = documented.get(option.long!)!;
      expect(row.env, option.long).toBe(option.envVar);
      expect(row.fallback, option.long).toBe(option.defaultValue === undefined ? "unset" : String(option.defaultValue));
    }
  });
});
