/**
 * The one rule for identifiers (user ids, memory ids, topics, request ids),
 * applied by validation, by `memoryd import` and to token scopes alike.
 *
 * Identifiers are compared as Unicode text, not bytes: two strings that
 * look the same must name the same thing, and a string must not carry
 * characters nobody can see. So an identifier is stored in Normalization
 * Form C ("José" with a combining accent becomes the precomposed é), and
 * one holding an invisible character is refused rather than cleaned, since
 * a silent removal could merge two ids an operator believes distinct:
 * control characters (Cc), format characters (Cf: U+200B zero width space,
 * U+FEFF, U+202E and the other bidirectional controls, U+00AD soft hyphen),
 * line and paragraph separators (Zl, Zp: U+2028, U+2029), private-use code
 * points (Co), lone surrogates (Cs) and noncharacters (U+FDD0–U+FDEF,
 * U+FFFE, U+FFFF and their twins in every plane).
 *
 * @module
 */

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Noncharacter_Code_Point}]/u;

/** Printable ASCII is already in NFC: the common case skips normalization. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Why `text` cannot be an identifier, or undefined when it can. */
export function identifierProblem(text: string): string | undefined {
  const found = INVISIBLE.exec(text);
  if (!found) return undefined;
  const codePoint = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `must not contain invisible characters (control, format, separator, private-use or noncharacter): U+${codePoint} at ${found.index}`;
}

/** The stored form of an identifier: Unicode Normalization Form C. */
export function canonicalIdentifier(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : text.normalize("NFC");
}
