import { createPrivateKey } from 'node:crypto';
import type { JWK } from 'jose';

/** A private signing key parsed from configuration. */
export interface ConfiguredSigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  jwk: JWK;
}

/** Parses `OAUTH_SIGNING_JWKS`; throws a message (never the key) when it is unusable. */
export function parseSigningKeys(raw: string): ConfiguredSigningKey[] {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON Web Key Set: {"keys":[…]}');
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('must be a JSON Web Key Set with at least one key');
  const kids = new Set<string>();
  return keys.map((jwk: JWK & { kid?: unknown; alg?: unknown }) => {
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) throw new Error('must give every key a "kid"');
    if (kids.has(jwk.kid)) throw new Error('must not repeat a "kid"');
    kids.add(jwk.kid);
    if (typeof jwk.d !== 'string') throw new Error('must contain private keys (with "d")');
    let details;
    try {
      details = createPrivateKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails;
    } catch {
      throw new Error('contains a key that cannot be imported');
    }
    if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg ?? 'ES256') === 'ES256') return { kid: jwk.kid, alg: 'ES256', jwk };
    if (jwk.kty === 'RSA' && (jwk.alg ?? 'RS256') === 'RS256') {
      if ((details?.modulusLength ?? 0) < 2048) throw new Error('contains an RSA key under 2048 bits');
      return { kid: jwk.kid, alg: 'RS256', jwk };
    }
    throw new Error('must contain only ES256 (EC P-256) or RS256 (RSA) keys');
  });
}

export function signingKeysProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return 'must be a JSON Web Key Set string';
  try {
    parseSigningKeys(raw);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
