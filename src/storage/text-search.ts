/**
 * How text search matches, the same on every backend: case-insensitive,
 * literal, over text folded once when it is written.
 *
 * @module
 */

/**
 * The form of memory text that search matches against. Folding in
 * JavaScript rather than with each database's `lower()` keeps
 * case-insensitive search identical on every backend (SQLite's `lower()`
 * only knows ASCII).
 */
export function foldForSearch(text: string): string {
  return text.toLowerCase();
}

/**
 * How many of a user's newest (or oldest) memories a text search checks
 * directly before it turns to the trigram index (SQLite, PostgreSQL). A
 * frequent word is found among them at once; a rare one then costs an index
 * lookup instead of a walk through everything the user has.
 */
export const SEARCH_WINDOW = 500;

/** A trigram index cannot find fewer than three characters (code points): such a search reads the user's memories in order. */
export function trigramSearchable(folded: string): boolean {
  return [...folded].length >= 3;
}
