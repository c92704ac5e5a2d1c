import { InvalidGrantError, InvalidRequestError } from '../../errors/oauth.errors.js';
import { randomToken, safeEqual, sha256 } from '../crypto/random.js';

/**
 * PKCE (RFC 7636, S256 only), every leg in one place: the challenge a client sends to our authorize
 * endpoint, the verifier it sends to our token endpoint, and the pair this server uses upstream.
 */

/** RFC 7636 §4.1 code_verifier syntax. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 code_challenge is the base64url SHA-256 of a verifier: exactly 43 characters. */
const CODE_CHALLENGE_S256 = /^[A-Za-z0-9_-]{43}$/;

/** Authorization request: the client's challenge, refused unless it is a well-formed S256 challenge. */
export function requirePkceChallenge(challenge: string | undefined, method: string | undefined): string {
  if (challenge === undefined) throw new InvalidRequestError('code_challenge is required (PKCE with S256)');
  if (!CODE_CHALLENGE_S256.test(challenge)) throw new InvalidRequestError('code_challenge is not a valid S256 challenge');
  if (method !== 'S256') throw new InvalidRequestError('code_challenge_method must be S256');
  return challenge;
}

/** Token request: a verifier, if sent, must have RFC 7636 syntax (checked before the code is spent). */
export function checkPkceVerifierSyntax(verifier: string | undefined): void {
  if (verifier !== undefined && !CODE_VERIFIER.test(verifier)) throw new InvalidRequestError('code_verifier must be 43-128 characters of [A-Za-z0-9._~-]');
}

/** Token request: the verifier must hash to the challenge the code was issued for. */
export function requirePkceMatch(verifier: string | undefined, challenge: unknown): void {
  if (typeof challenge !== 'string') throw new InvalidRequestError('The authorization code was issued without PKCE');
  if (verifier === undefined || !verifyPkceS256(verifier, challenge)) throw new InvalidGrantError('PKCE verification failed');
}

/** BASE64URL(SHA256(verifier)) === challenge, in constant time. */
export function verifyPkceS256(verifier: string, challenge: string): boolean {
  if (typeof verifier !== 'string' || typeof challenge !== 'string') return false;
  return safeEqual(pkceChallengeOf(verifier), challenge);
}

/** Upstream leg: a fresh verifier (64 characters) for this server's own authorization request. */
export function newPkceVerifier(): string {
  return randomToken(48);
}

/** The S256 challenge of a verifier. */
export function pkceChallengeOf(verifier: string): string {
  return sha256(verifier);
}
