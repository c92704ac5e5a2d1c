import { estimateEntropyBits } from './entropy-estimate.js';

/** Minimum HS256 key length (RFC 7518 §3.2: a key of the same size as the hash output). */
export const MIN_SECRET_BYTES = 32;
/** O9: below this estimated entropy a secret is refused (a 32-byte random base64 secret has about 256). */
export const MIN_SECRET_BITS = 128;

const PLACEHOLDER_FRAGMENTS = [
  'changeme',
  'change-me',
  'change_me',
  'placeholder',
  'your-secret',
  'your_secret',
  'your-random',
  'secret-key-here',
  'replace-me',
  'replace_me',
  'example',
  'xxxxxxxx',
  '12345678',
];

export type SecretProblem = 'short' | 'unprintable' | 'placeholder' | 'low-entropy';

/**
 * Checks a secret (JWT_SECRET, JWT_SECRET_PREVIOUS, static client secrets, the CLI's) without ever
 * returning or logging it: length in bytes, no control characters, no placeholder, and an estimated
 * entropy of at least 128 bits (see `estimateEntropyBits`).
 */
export function checkSecret(secret: unknown): SecretProblem | undefined {
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) return 'short';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(secret)) return 'unprintable';
  const lower = secret.toLowerCase();
  if (PLACEHOLDER_FRAGMENTS.some((p) => lower.includes(p))) return 'placeholder';
  if (estimateEntropyBits(secret) < MIN_SECRET_BITS) return 'low-entropy';
  return undefined;
}

export const SECRET_PROBLEM_TEXT: Record<SecretProblem, string> = {
  short: `must be at least ${MIN_SECRET_BYTES} bytes (generate one with: openssl rand -base64 32)`,
  unprintable: 'contains control characters (NUL, newline, tab, …); generate one with: openssl rand -base64 32',
  placeholder: 'looks like a placeholder; generate a random secret (openssl rand -base64 32)',
  'low-entropy': `is not random enough (estimated under ${MIN_SECRET_BITS} bits: repeated or sequential parts, padding, or too few kinds of characters); generate one with: openssl rand -base64 32`,
};
