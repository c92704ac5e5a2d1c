import { calculateJwkThumbprint, type CryptoKey, decodeProtectedHeader, errors as joseErrors, importJWK, type JWK, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { DPOP_ALGORITHMS } from '../../config/algorithm-rules.js';
import { InvalidDpopProofError } from '../../errors/oauth.errors.js';
import { DPOP_MESSAGES } from '../../errors/messages.constant.js';
import { type ModuleRequest, requestPath } from '../../http/node-request.js';
// RFC 9449 §4.1 `ath` is the base64url SHA-256 of the token: the hash the token cache is keyed by.
import { tokenHash } from '../verification/token-fingerprint.js';
import { JWS_COMPACT } from '../verification/jws-compact.js';

/** Longest proof read: a JWS with an embedded RSA-4096 public key fits well below it. */
const MAX_PROOF_LENGTH = 4096;
/** JWK members of a private or symmetric key: a proof carries the public key only (RFC 9449 §4.3 step 7). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** RFC 7638 §3.2: the members that define a public key, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };

/**
 * Imported proof keys and their thumbprints, by algorithm and the key's defining members: a client signs
 * every proof with one key, and importing it (WebCrypto) costs several times the signature check itself.
 * Bounded, so keys nobody reuses cannot grow it.
 */
const proofKeys = new LRUCache<string, { key: CryptoKey | Uint8Array; jkt: string }>({ max: 1000 });

/** The RFC 7638 member string of a public JWK (the thumbprint's input), or undefined for an unusable one. */
function definingMembers(jwk: JWK): string | undefined {
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''];
  if (!members) return undefined;
  const picked: Record<string, unknown> = {};
  for (const m of members) {
    const v = (jwk as Record<string, unknown>)[m];
    if (typeof v !== 'string' || v.length === 0 || v.length > 1024) return undefined;
    picked[m] = v;
  }
  return JSON.stringify(picked);
}

/** What the request the proof came with must match. */
export interface DpopProofExpectations {
  /** HTTP method of the request (`htm`). */
  readonly method: string;
  /** Public URL of the request (`htu`), query and fragment ignored. */
  readonly url: string;
  /** The access token presented with the proof (resource requests): `ath` must be its hash. */
  readonly accessToken?: string;
  readonly maxAgeSeconds: number;
  readonly skewSeconds: number;
  /** Refusals are 401 challenges at the resource, 400 at the token endpoint. */
  readonly atResource: boolean;
}

/** A proof whose signature and claims checked out. */
export interface CheckedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the token's `cnf.jkt`. */
  readonly jkt: string;
  readonly jti: string;
  readonly nonce?: string;
}

/**
 * RFC 9449 §4.3 `htu` comparison: scheme and host lower case, default port dropped (WHATWG URL does
 * those), percent-encoded unreserved characters decoded and other escapes upper-cased (RFC 3986
 * §6.2.2), empty path as `/`, query and fragment ignored. Undefined for anything not an http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  return `${url.origin}${path || '/'}`;
}

/** The public URL of a request: this server's origin and the path the client sent (query dropped). */
export function requestUrl(origin: string, req: ModuleRequest): string {
  return `${origin}${requestPath(req)}`;
}

function isPublicJwk(jwk: unknown): jwk is JWK {
  return typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk) && !PRIVATE_JWK_MEMBERS.some((m) => m in jwk);
}

/**
 * One proof, checked as RFC 9449 §4.3 says (steps 1–8, 10–12): one compact JWS, `typ: dpop+jwt`, an
 * accepted asymmetric `alg`, a public `jwk` that verifies the signature, `jti`, `htm` = the method,
 * `htu` = the URL (normalised), `iat` within the window, and `ath` = the token's hash when a token is
 * presented. Single use (`jti`) and the nonce are the caller's (they need the store).
 * @throws InvalidDpopProofError
 */
export async function checkDpopProof(proof: string, expected: DpopProofExpectations): Promise<CheckedDpopProof> {
  const refuse = (message: string) => new InvalidDpopProofError(message, expected.atResource);
  if (proof.length > MAX_PROOF_LENGTH || !JWS_COMPACT.test(proof)) throw refuse(DPOP_MESSAGES.malformed);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw refuse(DPOP_MESSAGES.malformed);
  }
  if (header.typ !== 'dpop+jwt' || !(DPOP_ALGORITHMS as readonly unknown[]).includes(header.alg) || !isPublicJwk(header.jwk))
    throw refuse(DPOP_MESSAGES.header);
  const alg = header.alg as string;
  const members = definingMembers(header.jwk);
  if (members === undefined) throw refuse(DPOP_MESSAGES.header);
  let payload: Record<string, unknown>;
  let jkt: string;
  try {
    // The key embedded in the proof (as jose's EmbeddedJWK does), imported once per key and algorithm.
    const cacheKey = `${alg}\n${members}`;
    let known = proofKeys.get(cacheKey);
    if (!known) {
      const jwk = JSON.parse(members) as JWK;
      known = { key: await importJWK(jwk, alg), jkt: await calculateJwkThumbprint(jwk, 'sha256') };
      if (known.key instanceof Uint8Array || known.key.type !== 'public') throw refuse(DPOP_MESSAGES.header);
      proofKeys.set(cacheKey, known);
    }
    jkt = known.jkt;
    ({ payload } = await jwtVerify(proof, known.key, { typ: 'dpop+jwt', algorithms: [alg] }));
  } catch (err) {
    if (err instanceof InvalidDpopProofError) throw err;
    throw refuse(err instanceof joseErrors.JWSSignatureVerificationFailed ? DPOP_MESSAGES.signature : DPOP_MESSAGES.header);
  }
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256 || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') {
    throw refuse(DPOP_MESSAGES.claims);
  }
  if (htm !== expected.method) throw refuse(DPOP_MESSAGES.method);
  const presented = normalizeHtu(htu);
  if (presented === undefined || presented !== normalizeHtu(expected.url)) throw refuse(DPOP_MESSAGES.url);
  const now = Date.now() / 1000;
  if (!Number.isFinite(iat) || iat > now + expected.skewSeconds || iat < now - expected.maxAgeSeconds - expected.skewSeconds) throw refuse(DPOP_MESSAGES.iat);
  if (expected.accessToken !== undefined) {
    if (typeof ath !== 'string') throw refuse(DPOP_MESSAGES.claims);
    if (ath !== tokenHash(expected.accessToken)) throw refuse(DPOP_MESSAGES.ath);
  }
  return { jkt, jti, nonce: typeof nonce === 'string' ? nonce : undefined };
}
