/**
 * Control characters in text from outside (pure; the construct, the Lambda code and the local
 * runtime share it). Quoted into logs, error messages or terminals, they garble or forge lines.
 */

/** C0, DEL and C1: the Unicode category Cc. */
const CONTROL_CHARACTER = /\p{Cc}/u;
/** Control characters, and the invisible ones that hide or reorder text (zero-width, bidi, BOM). */
const UNPRINTABLE_CHARACTERS = /[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

/** Quotes input back safely: short, and with each control or invisible character as '?'. */
export function printable(value: string, max = 64): string {
  const cleaned = value.replace(UNPRINTABLE_CHARACTERS, '?');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}
