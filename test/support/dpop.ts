import { createHash, randomBytes, type webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A DPoP key pair of a test client (extractable, so the v2 SDK's DpopSession can sign with it too). */
export interface DpopKey {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  publicJwk: JWK;
  thumbprint: string;
  alg: 'ES256';
}

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk), alg: 'ES256' };
}

/** Everything a proof may carry; any field can be bent to build the refusals of catalogue group Q. */
export interface ProofClaims {
  htm?: string;
  htu: string;
  accessToken?: string;
  /** Overrides the `ath` derived from `accessToken`. */
  ath?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  typ?: string;
  /** The `jwk` header: defaults to the key's public JWK. */
  jwk?: JWK;
}

export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A DPoP proof JWT (RFC 9449 §4.2) signed with `key`. */
export function dpopProof(key: DpopKey, c: ProofClaims): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: c.jti ?? randomBytes(16).toString('base64url'),
    htm: c.htm ?? 'POST',
    htu: c.htu,
    iat: c.iat ?? Math.floor(Date.now() / 1000),
  };
  if (c.accessToken !== undefined || c.ath !== undefined) payload.ath = c.ath ?? ath(c.accessToken!);
  if (c.nonce !== undefined) payload.nonce = c.nonce;
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: c.typ ?? 'dpop+jwt', jwk: c.jwk ?? key.publicJwk }).sign(key.privateKey);
}
