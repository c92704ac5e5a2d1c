/**
 * Characters a client name shown on the consent page must not contain: controls, format characters
 * (bidirectional overrides and isolates, zero-width characters, BOM, soft hyphen, tags: they reorder
 * or hide text, so "Good App" can read as something else), private-use and unassigned code points,
 * line and paragraph separators, blanks other than the space, and the Hangul and Braille fillers that
 * render as nothing.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u2800]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');
/** More than three combining marks on one character ("Zalgo" text that paints over its neighbours). */
const STACKED_MARKS = /\p{M}{4,}/u;

/** Why a client name may not be shown, or undefined. */
export function clientNameProblem(name: string): string | undefined {
  if (UNSAFE.test(name)) return 'must not contain invisible, bidirectional-control or other format characters';
  if (STACKED_MARKS.test(name)) return 'must not stack combining marks';
  if (name.trim().length === 0) return 'must contain visible characters';
  return undefined;
}

/**
 * The name as the consent page shows it: any character the rules above refuse (a name stored before
 * they existed) is replaced by a visible `[U+XXXX]`, and stacked marks are cut to three.
 */
export function displayableClientName(name: string): string {
  return name.replace(UNSAFE_ALL, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`).replace(/(\p{M}{3})\p{M}+/gu, '$1');
}
