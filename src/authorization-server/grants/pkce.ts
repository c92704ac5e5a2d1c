import { createHash } from 'node:crypto';
import { safeEqual } from '../crypto/random.js';

/** RFC 7636 §4.1 code_verifier syntax. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 code_challenge is the base64url SHA-256 of a verifier: exactly 43 characters. */
export const CODE_CHALLENGE_S256 = /^[A-Za-z0-9_-]{43}$/;

/** BASE64URL(SHA256(verifier)) === challenge, in constant time. */
export function verifyPkceS256(verifier: string, challenge: string): boolean {
  if (typeof verifier !== 'string' || typeof challenge !== 'string') return false;
  return safeEqual(createHash('sha256').update(verifier).digest('base64url'), challenge);
}
