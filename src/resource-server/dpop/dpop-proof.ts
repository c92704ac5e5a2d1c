import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors as joseErrors, type JWK, jwtVerify } from 'jose';
import { DPOP_ALGORITHMS } from '../../config/algorithm-rules.js';
import { InvalidDpopProofError } from '../../errors/oauth.errors.js';
import { DPOP_MESSAGES } from '../../errors/messages.constant.js';
import { type ModuleRequest, requestPath } from '../../http/node-request.js';


/** Longest proof read: a JWS with an embedded RSA-4096 public key fits well below it. */
const MAX_PROOF_LENGTH = 4096;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** JWK members of a private or symmetric key: a proof carries the public key only (RFC 9449 §4.3 step 7). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const UNRESERVED = /[A-Za-z0-9\-._~]/;

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

/** RFC 9449 §4.1 `ath`: base64url SHA-256 of the access token. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
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
  if (header.typ !== 'dpop+jwt' || !(DPOP_ALGORITHMS as readonly unknown[]).includes(header.alg) || !isPublicJwk(header.jwk)) throw refuse(DPOP_MESSAGES.header);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGORITHMS] }));
  } catch (err) {
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
    if (ath !== accessTokenHash(expected.accessToken)) throw refuse(DPOP_MESSAGES.ath);
  }
  const jkt = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
  return { jkt, jti, nonce: typeof nonce === 'string' ? nonce : undefined };
}
