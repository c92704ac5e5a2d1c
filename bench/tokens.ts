import { createHmac, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export type BenchAlg = 'HS256' | 'RS256' | 'ES256';

/** What a minter needs, in a form that crosses a worker boundary (strings only). */
export interface MintKey {
  alg: BenchAlg;
  kid?: string;
  /** HS256 secret. */
  secret?: string;
  /** RS256/ES256 private key, PKCS#8 PEM. */
  privatePem?: string;
}

export interface BenchKey extends MintKey {
  /** Public JWK for the JWKS (RS256/ES256). */
  publicJwk?: Record<string, unknown>;
}

export interface ClaimsTemplate {
  iss?: string;
  aud: string;
  /** Lifetime in seconds from now. */
  ttl: number;
}

export function generateBenchKey(alg: 'RS256' | 'ES256', kid: string): BenchKey {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, privatePem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicJwk };
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A synchronous compact-JWS signer (node:crypto; jose's async API is far slower for bulk minting). */
export function signer(key: MintKey): (payload: object) => string {
  const header = b64({ alg: key.alg, typ: 'JWT', ...(key.kid ? { kid: key.kid } : {}) });
  if (key.alg === 'HS256') {
    const secret = Buffer.from(key.secret!, 'utf8');
    return (payload) => {
      const input = `${header}.${b64(payload)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
  }
  const privateKey: KeyObject = createPrivateKey(key.privatePem!);
  const options = key.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return (payload) => {
    const input = `${header}.${b64(payload)}`;
    return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
  };
}

/** Claims shaped like a real access token; `jti` makes every token distinct. */
export function claims(template: ClaimsTemplate, jti: string, nowSeconds = Math.floor(Date.now() / 1000)): object {
  return {
    ...(template.iss ? { iss: template.iss } : {}),
    sub: 'bench-user',
    aud: template.aud,
    exp: nowSeconds + template.ttl,
    iat: nowSeconds,
    scope: 'mcp:read mcp:write',
    email: 'bench-user@example.com',
    client_id: 'bench-client',
    jti,
  };
}

export function mintRange(key: MintKey, template: ClaimsTemplate, tag: string, from: number, to: number): string[] {
  const signWith = signer(key);
  const now = Math.floor(Date.now() / 1000);
  const out = new Array<string>(to - from);
  for (let i = from; i < to; i++) out[i - from] = signWith(claims(template, `${tag}-${i}`, now));
  return out;
}

/** Mints `count` distinct tokens; asymmetric algorithms are split over two worker threads. */
export async function mintTokens(key: MintKey, template: ClaimsTemplate, count: number, tag: string = randomUUID()): Promise<string[]> {
  const mintKey: MintKey = { alg: key.alg, kid: key.kid, secret: key.secret, privatePem: key.privatePem };
  if (key.alg === 'HS256' || count < 2000) return mintRange(mintKey, template, tag, 0, count);
  const half = Math.floor(count / 2);
  const parts = await Promise.all(
    [
      [0, half],
      [half, count],
    ].map(
      ([from, to]) =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(new URL('./mint-worker.js', import.meta.url), {
            workerData: { key: mintKey, template, tag, from, to },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  return parts.flat();
}

const randomB64 = (bytes: number): string => randomBytes(bytes).toString('base64url');
const PRINTABLE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-.^_|~/=';

/**
 * Invalid-token flood: a third random printable strings (not JWS-shaped), two thirds JWS-shaped
 * random base64url (the header does not decode to JSON).
 */
export function garbageTokens(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      const bytes = randomBytes(200);
      out.push(Array.from(bytes, (b) => PRINTABLE[b % PRINTABLE.length]).join(''));
    } else {
      out.push(`${randomB64(27)}.${randomB64(150)}.${randomB64(256)}`);
    }
  }
  return out;
}

/** Well-formed JWTs with valid-looking claims, a random `kid` the JWKS does not have, and a random signature. */
export function randomKidTokens(count: number, template: ClaimsTemplate): string[] {
  const now = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const header = b64({ alg: 'RS256', typ: 'JWT', kid: randomUUID() });
    out.push(`${header}.${b64(claims(template, `flood-${i}`, now))}.${randomB64(256)}`);
  }
  return out;
}
