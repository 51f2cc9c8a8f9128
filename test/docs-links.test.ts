/**
 * The README and docs/ link to each other by relative paths and #anchors;
 * this keeps every such link pointing at a file that exists and, with a
 * fragment, at a heading that file has (GitHub's slugs). Links out of the
 * repository are not allowed: the documents name what they mean instead.
 * URLs may appear inside code only as loopback examples.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const docsDir = join(root, "docs");
const documents = [
  join(root, "README.md"),
  ...readdirSync(docsDir)
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(docsDir, name)),
];

interface Parsed {
  /** The text with fenced code blocks and inline code spans blanked out. */
  prose: string;
  /** The contents of fenced code blocks and inline code spans. */
  code: string[];
  /** Heading texts, outside fenced code. */
  headings: string[];
}

function parse(markdown: string): Parsed {
  const code: string[] = [];
  const headings: string[] = [];
  const proseLines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      else code.push(line);
      proseLines.push("");
      continue;
    }
    if (marker) {
      fence = marker;
      proseLines.push("");
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) headings.push(heading[1]!);
    proseLines.push(line);
  }
  // Inline code spans may run over a line break; blank them out of the prose.
  const prose = proseLines.join("\n").replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_span, _ticks, content: string) => {
    code.push(content);
    return "";
  });
  return { prose, code, headings };
}

/** GitHub's anchor for a heading: markup dropped, lowercased, punctuation but '-' and '_' removed, spaces to '-'. */
function slug(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a document offers, with GitHub's -1, -2 ... for repeated headings. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const heading of parse(readFileSync(file, "utf8")).headings) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Inline links and images, reference definitions, and autolinks in the prose. */
function links(prose: string): string[] {
  const found: string[] = [];
  for (const m of prose.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) found.push(m[1]!);
  for (const m of prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) found.push(m[1]!);
  for (const m of prose.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) found.push(m[1]!);
  return found;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const LOOPBACK_URL = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/\S*)?$/;

const name = (file: string) => relative(root, file);

describe("links in README.md and docs/", () => {
  it("finds the documents", () => {
    expect(documents.map(name)).toContain("README.md");
    expect(documents.length).toBeGreaterThan(1);
  });

  it("computes GitHub's slugs", () => {
    expect(slug("Moving from Agno: `memoryd import`")).toBe("moving-from-agno-memoryd-import");
    expect(slug("SQLite (default)")).toBe("sqlite-default");
    expect(slug("Logs, metrics, traces")).toBe("logs-metrics-traces");
    expect(slug("File map (before the reshape)")).toBe("file-map-before-the-reshape");
  });

  for (const file of documents) {
    const parsed = parse(readFileSync(file, "utf8"));

    it(`${name(file)}: every relative link reaches an existing file and heading`, () => {
      const broken: string[] = [];
      for (const target of links(parsed.prose)) {
        if (SCHEME.test(target)) continue; // judged below
        const [path, fragment] = target.split("#", 2) as [string, string | undefined];
        const destination = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
        if (relative(root, destination).startsWith("..")) {
          broken.push(`${target}: outside the repository`);
          continue;
        }
        if (!existsSync(destination)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (fragment === undefined) continue;
        if (!destination.endsWith(".md") || statSync(destination).isDirectory()) {
          broken.push(`${target}: a fragment on a file that is not Markdown`);
          continue;
        }
        if (!anchors(destination).has(fragment)) broken.push(`${target}: no heading with that anchor in ${name(destination)}`);
      }
      expect(broken).toEqual([]);
    });

    it(`${name(file)}: links nothing outside the repository`, () => {
      const external = links(parsed.prose).filter((target) => SCHEME.test(target));
      const bare = [...parsed.prose.matchAll(/\b(?:https?|ftp):\/\/[^\s)>\]]+/gi)].map((m) => m[0]);
      expect([...new Set([...external, ...bare])]).toEqual([]);
    });

    it(`${name(file)}: URLs in code are loopback examples only`, () => {
      const urls = parsed.code.flatMap((text) => [...text.matchAll(/\bhttps?:\/\/[^\s"'`)]+/gi)].map((m) => m[0]));
      expect(urls.filter((url) => !LOOPBACK_URL.test(url))).toEqual([]);
    });
  }

  it("the README's Documentation list links every page in docs/", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const start = readme.indexOf("\n## Documentation\n");
    expect(start).toBeGreaterThan(0);
    const end = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    const listed = new Set(links(parse(section).prose).map((target) => target.split("#")[0]));
    const pages = documents.filter((file) => dirname(file) === docsDir).map((file) => `docs/${relative(docsDir, file)}`);
    expect(pages.filter((page) => !listed.has(page))).toEqual([]);
  });
});
