/** Patterns shorter than this are counted character by character. */
const MIN_PATTERN = 4;
/** Only this many characters are looked at (a secret longer than that is not short of entropy). */
const MAX_CHARS = 256;

/**
 * Roughly how many bits a guesser who knows the usual shapes of weak secrets needs, estimated from
 * the string's structure, not from a list of bad words (O9). The string is read left to right as
 * the cheapest of:
 * - a character: log2 of the alphabet its character classes span (lower, upper, digits, ASCII
 *   symbols and space, other Unicode, control characters; hex strings count 16);
 * - a repeat of something earlier (4+ characters, overlaps included: `aaaa`, `abcabc`,
 *   `Password1Password1`): the cost of naming where it starts and how long it is;
 * - a run with a constant step of ±1 (4+ characters: `abcdefgh`, `98765`): its first character,
 *   its length and its direction.
 * A random 32-byte base64 secret scores about 280 bits; the review's examples score under 80.
 */
export function estimateEntropyBits(secret: string): number {
  const chars = [...secret].slice(0, MAX_CHARS).map((c) => c.codePointAt(0)!);
  const perChar = Math.log2(alphabetSize(chars));
  let bits = 0;
  for (let i = 0; i < chars.length;) {
    const repeat = longestEarlierMatch(chars, i);
    const run = stepRun(chars, i);
    if (repeat >= MIN_PATTERN && repeat >= run) {
      bits += Math.log2(i + 1) + Math.log2(repeat);
      i += repeat;
    } else if (run >= MIN_PATTERN) {
      bits += perChar + Math.log2(run) + 1;
      i += run;
    } else {
      bits += perChar;
      i += 1;
    }
  }
  return bits;
}

function alphabetSize(chars: readonly number[]): number {
  const text = String.fromCodePoint(...chars);
  if (/^[0-9a-f]+$/.test(text) || /^[0-9A-F]+$/.test(text)) return 16;
  let size = 0;
  if (/[a-z]/.test(text)) size += 26;
  if (/[A-Z]/.test(text)) size += 26;
  if (/[0-9]/.test(text)) size += 10;
  if (/[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(text)) size += 33;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) size += 32;
  // eslint-disable-next-line no-control-regex -- the range is the point: everything above C1 controls
  if (/[^\u0000-\u009f]/u.test(text)) size += 100;
  return Math.max(size, 2);
}

/** Length of the longest match of `chars[i…]` starting at an earlier position (overlapping allowed). */
function longestEarlierMatch(chars: readonly number[], i: number): number {
  let best = 0;
  for (let j = 0; j < i; j++) {
    let k = 0;
    while (i + k < chars.length && chars[j + k] === chars[i + k]) k++;
    if (k > best) best = k;
  }
  return best;
}

/** Length of the run from `i` whose code points go up (or down) by exactly 1 each time. */
function stepRun(chars: readonly number[], i: number): number {
  if (i + 1 >= chars.length) return 1;
  const step = chars[i + 1] - chars[i];
  if (step !== 1 && step !== -1) return 1;
  let k = 2;
  while (i + k < chars.length && chars[i + k] - chars[i + k - 1] === step) k++;
  return k;
}
