/**
 * Data for the benchmark's noisy-neighbour scenario (`--rpcs noisy`): one
 * tenant's long memories, and the worst searches the API lets a client run
 * on them: queries as long as allowed, made only of words and trigrams that
 * occur in (nearly) every one of that tenant's memories, so no index can
 * rule a memory out, yet matching none of them, so a search cannot stop
 * early and every memory is read and compared to the end.
 */

/** The longest query SearchUserMemories accepts (UTF-8 bytes). */
export const MAX_QUERY_BYTES = 256;
/** The longest memory the API accepts (UTF-8 bytes). */
export const MAX_MEMORY_BYTES = 16_384;

const SUBJECTS = [
  "the user",
  "the user",
  "the user",
  "she",
  "he",
  "they",
  "their manager",
  "the team",
  "her partner",
  "his sister",
  "the customer",
  "our support agent",
  "the new colleague",
  "the landlord",
];
const VERBS = [
  "prefers",
  "mentioned",
  "asked about",
  "is planning",
  "wants to avoid",
  "recently started",
  "usually reviews",
  "has been working on",
  "complained about",
  "would like to try",
  "often talks about",
  "decided to cancel",
  "forgot about",
  "is worried about",
  "booked",
  "recommended",
  "keeps postponing",
  "finished",
  "needs help with",
  "was excited about",
];
const OBJECTS = [
  "dark mode in every application",
  "short answers in plain english",
  "the quarterly budget review",
  "a vegetarian diet",
  "the weekly standup meeting",
  "the new mobile project",
  "early morning meetings",
  "train travel across europe",
  "old jazz records",
  "the trip to tokyo",
  "a gluten free bakery",
  "the premium subscription",
  "keyboard shortcuts",
  "the invoice from last month",
  "a running club near the office",
  "the migration to typescript",
  "learning german",
  "the python course",
  "their cat",
  "a quiet desk by the window",
  "the conference in berlin",
  "podcasts about history",
  "a standing desk",
  "the support ticket about billing",
  "a novel by a french author",
  "hiking in the alps",
  "the calendar invitations",
  "a cheaper phone plan",
  "the code review backlog",
  "a birthday present for her mother",
];
const PHRASES = [
  "in the morning",
  "after work",
  "with the team",
  "during the weekend",
  "for the next release",
  "before the deadline",
  "at the office",
  "on weekends",
  "because of the budget",
  "when travelling",
  "for the whole family",
  "at least twice a week",
  "since last spring",
  "without telling anyone",
  "as soon as possible",
  "in the evening",
  "every other month",
  "with a friend from university",
  "once the project is over",
  "if the weather is good",
];
const CONNECTIVES = ["", "", "", "Also, ", "However, ", "In addition, ", "Later, ", "As a result, ", "Apparently ", "Last week "];

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function sentence(random: () => number): string {
  const parts = [pick(random, SUBJECTS), pick(random, VERBS), pick(random, OBJECTS)];
  if (random() < 0.7) parts.push(pick(random, PHRASES));
  if (random() < 0.3) parts.push(pick(random, PHRASES));
  if (random() < 0.15) parts.push(`on ${1 + Math.floor(random() * 28)} ${pick(random, ["march", "june", "october", "january"])}`);
  const text = pick(random, CONNECTIVES) + parts.join(" ");
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/**
 * A long memory of plain sentences (a conversation's notes), about `bytes`
 * long (±25%, never beyond the API's limit), ASCII.
 */
export function longMemoryText(random: () => number, bytes: number): string {
  const target = Math.min(MAX_MEMORY_BYTES, Math.max(1, Math.round(bytes * (0.75 + random() * 0.5))));
  let text = sentence(random);
  for (;;) {
    const next = sentence(random);
    if (text.length + 1 + next.length > target) return text;
    text += ` ${next}`;
  }
}

/** Distinct trigrams (of UTF-16 units; the texts here are ASCII) of `text`. */
function trigrams(text: string): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i + 3 <= text.length; i++) set.add(text.slice(i, i + 3));
  return set;
}

export interface WorstQueries {
  queries: string[];
  /** Words the queries are made of: each in at least `threshold` of the memories. */
  words: number;
  /** The share of memories a word and a trigram must occur in to be used. */
  threshold: number;
  /** Of the sampled memories, the share holding every trigram of a query (mean over the queries): what an index cannot exclude. */
  candidateShare: number;
}

/**
 * `count` queries of up to MAX_QUERY_BYTES, lowercase (as searches fold
 * text), each a random walk over the words found in at least `threshold` of
 * `memories` (sampled) such that every trigram of the query, across word
 * boundaries too, is as common; none occurs in any of `memories`.
 */
export function worstQueries(memories: readonly string[], count: number, random: () => number): WorstQueries {
  const sample = Array.from({ length: Math.min(500, memories.length) }, () => pick(random, memories).toLowerCase());
  const wordDf = new Map<string, number>();
  const trigramDf = new Map<string, number>();
  const sampleTrigrams = sample.map((text) => {
    for (const word of new Set(text.match(/[a-z]+/g) ?? [])) wordDf.set(word, (wordDf.get(word) ?? 0) + 1);
    const set = trigrams(text);
    for (const t of set) trigramDf.set(t, (trigramDf.get(t) ?? 0) + 1);
    return set;
  });
  // As common as possible: lower the bar only when too few words clear it.
  let threshold = 0.99;
  let words: string[] = [];
  for (; threshold > 0.5; threshold -= 0.05) {
    words = [...wordDf].filter(([word, n]) => word.length > 1 && n >= threshold * sample.length && frequent(` ${word} `)).map(([w]) => w);
    if (words.length >= 8) break;
  }
  function frequent(text: string): boolean {
    for (const t of trigrams(text)) if ((trigramDf.get(t) ?? 0) < threshold * sample.length) return false;
    return true;
  }
  if (words.length < 2) throw new Error("the noisy user's memories have too few common words for a worst-case query");
  const folded = memories.map((m) => m.toLowerCase());
  // A depth-first walk that backtracks from words nothing common can follow,
  // until the query is within a few bytes of the limit.
  const longEnough = MAX_QUERY_BYTES - 12;
  let steps = 0;
  const extend = (query: string): string | undefined => {
    if (query.length >= longEnough) return query;
    if (++steps > 100_000) return undefined;
    const fits = words.filter((w) => query.length + 1 + w.length <= MAX_QUERY_BYTES && frequent(`${query.slice(-2)} ${w}`));
    for (let left = fits.length; left > 0; left--) {
      const [word] = fits.splice(Math.floor(random() * left), 1);
      const found = extend(`${query} ${word}`);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const queries: string[] = [];
  for (let attempt = 0; queries.length < count && attempt < count * 20; attempt++) {
    steps = 0;
    const query = extend(pick(random, words));
    if (query !== undefined && !folded.some((m) => m.includes(query))) queries.push(query);
  }
  if (queries.length === 0) throw new Error("every generated query occurs in a noisy memory");
  const candidateShare =
    queries.reduce((sum, q) => {
      const wanted = [...trigrams(q)];
      return sum + sampleTrigrams.filter((set) => wanted.every((t) => set.has(t))).length / sample.length;
    }, 0) / queries.length;
  return { queries, words: words.length, threshold: Math.round(threshold * 100) / 100, candidateShare };
}
