import { createPublicKey } from 'node:crypto';
import { ASYMMETRIC_ALGORITHMS } from './algorithm-rules.js';

/** Members that only private or symmetric keys have (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const EC_CURVES: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
/** A client publishes a handful of keys (current and next); more is a mistake or an attack. */
export const MAX_CLIENT_KEYS = 20;

/**
 * Why one JWK of a client's key set cannot verify its `private_key_jwt` assertions, or undefined: a public
 * RSA (≥ 2048 bits) or EC (P-256/384/521) key meant for signatures, with a string `kid` when it has one
 * and an `alg`, when given, that fits it. The same rules hold for a configured `jwks` and for each key
 * fetched from a `jwks_uri` (where a key that breaks them is skipped).
 */
export function clientJwkProblem(jwk: unknown): string | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'must be a JSON object';
  const k = jwk as Record<string, unknown>;
  if (k.kty !== 'RSA' && k.kty !== 'EC') return 'must be an RSA or EC key';
  if (PRIVATE_MEMBERS.some((m) => m in k)) return 'must be a public key (no private members)';
  if (k.use !== undefined && k.use !== 'sig') return 'must be a signing key (use "sig")';
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) return 'must allow "verify" in key_ops';
  if (k.kid !== undefined && (typeof k.kid !== 'string' || k.kid.length === 0 || k.kid.length > 256)) return 'must have a non-empty string kid';
  if (k.alg !== undefined && !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(k.alg as string))
    return `must name an alg of ${ASYMMETRIC_ALGORITHMS.join(', ')}`;
  if (k.kty === 'EC' && (typeof k.crv !== 'string' || !(k.crv in EC_CURVES))) return 'must be on P-256, P-384 or P-521';
  if (k.alg !== undefined && (k.kty === 'EC' ? EC_CURVES[k.crv as string] !== k.alg : !/^(RS|PS)/.test(k.alg as string)))
    return 'must have an alg that fits its key type';
  let bits: number | undefined;
  try {
    bits = createPublicKey({ key: k as never, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    return 'cannot be imported';
  }
  if (k.kty === 'RSA' && (bits ?? 0) < 2048) return 'must be an RSA key of at least 2048 bits';
  return undefined;
}

/** Why a client's JWK Set (`{ "keys": [...] }`) is unusable, or undefined. Never echoes key material. */
export function clientJwksProblem(jwks: unknown): string | undefined {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(keys) || keys.length === 0) return 'must be a JWK Set: {"keys":[…]} with at least one key';
  if (keys.length > MAX_CLIENT_KEYS) return `must hold at most ${MAX_CLIENT_KEYS} keys`;
  for (const [i, key] of keys.entries()) {
    const problem = clientJwkProblem(key);
    if (problem) return `key ${i + 1} ${problem}`;
  }
  const kids = keys.map((k) => (k as { kid?: string }).kid).filter((kid) => kid !== undefined);
  if (new Set(kids).size !== kids.length) return 'must not repeat a kid';
  return undefined;
}
