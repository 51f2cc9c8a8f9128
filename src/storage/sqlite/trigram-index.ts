/**
 * SQLite's substring index: an FTS5 table of each memory's trigrams, whose
 * tokens carry the owner.
 *
 * Tokens name their owner, so every posting list holds one user's
 * memories: a search costs what the caller stores, never what other tenants
 * store, and its timing tells nothing about their data. (A shared trigram
 * index would do both.)
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Most trigrams of a query looked up in the index; the candidates are checked against the whole query anyway. */
const MAX_QUERY_TRIGRAMS = 24;

const userTags = new Map<string, string>();

/** 16 hex digits standing for a user in index tokens (cached: every write and search needs one). */
function userTag(userId: string): string {
  let tag = userTags.get(userId);
  if (tag === undefined) {
    if (userTags.size >= 4096) userTags.clear();
    tag = createHash("sha256").update(userId).digest("hex").slice(0, 16);
    userTags.set(userId, tag);
  }
  return tag;
}

/**
 * A user's trigrams of `text` (repeats included), each as an index token
 * `u<user tag>t<trigram as UTF-8 hex>`. Hot on every write: it hex-encodes
 * the text once and cuts trigrams out at code point boundaries.
 */
function userTrigrams(userId: string, text: string): string[] {
  const hex = Buffer.from(text, "utf8").toString("hex");
  const offsets = new Int32Array(text.length + 1);
  let count = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    offsets[count++] = at;
    const unit = text.charCodeAt(i);
    if (unit < 0x80) at += 2;
    else if (unit < 0x800) at += 4;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      at += 8; // a surrogate pair: one 4-byte code point
      i++;
    } else at += 6; // lone surrogates are encoded as U+FFFD, 3 bytes
  }
  offsets[count] = at;
  const prefix = `u${userTag(userId)}t`;
  const tokens: string[] = [];
  for (let k = 0; k + 3 <= count; k++) tokens.push(prefix + hex.slice(offsets[k], offsets[k + 3]));
  return tokens;
}

/** The index document of one memory: its owner's trigram tokens, space-separated (the `ascii` tokenizer splits them). */
export function trigramTokens(userId: string, folded: string): string {
  return userTrigrams(userId, folded).join(" ");
}

/** An FTS5 query for memories holding a spread of the query's trigrams, all of them. */
export function trigramQuery(userId: string, folded: string): string {
  const tokens = [...new Set(userTrigrams(userId, folded))];
  const step = Math.max(1, tokens.length / MAX_QUERY_TRIGRAMS);
  const picked: string[] = [];
  for (let i = 0; i < tokens.length && picked.length < MAX_QUERY_TRIGRAMS; i += step) picked.push(tokens[Math.floor(i)]!);
  return picked.join(" AND ");
}
