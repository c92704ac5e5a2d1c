import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/** A client's DPoP key (ES256, as the v2 SDK's default) and its RFC 7638 thumbprint (the token's `cnf.jkt`). */
export interface BenchDpopKey {
  privateKey: KeyObject;
  jwk: { kty: string; crv: string; x: string; y: string };
  jkt: string;
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function generateDpopKey(): BenchDpopKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
  const jwk = { kty, crv, x, y };
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const jkt = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { privateKey, jwk, jkt };
}

/**
 * `count` distinct proofs (each its own `jti`, `iat` = now) for `GET htu` with `token`, signed synchronously
 * with node:crypto (bulk minting outside the measured time; the server verifies them with jose).
 */
export function dpopProofs(key: BenchDpopKey, token: string, htu: string, count: number): string[] {
  const header = b64({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk });
  const ath = createHash('sha256').update(token).digest('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = `${header}.${b64({ jti: randomBytes(12).toString('base64url'), htm: 'GET', htu, iat, ath })}`;
    out.push(`${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`);
  }
  return out;
}
