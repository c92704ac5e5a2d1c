import { InvalidRequestError, InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { type AuthorizationHeaderCarrier, singleAuthorizationHeader } from '../../http/authorization-header.js';
import { JWS_COMPACT } from './jws-compact.js';

/** RFC 6750 §2.1 b64token: what an application's own strategy (an opaque token) may receive. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** `jws` when only JWT strategies run; `b64token` when an application strategy may take other tokens. */
export type BearerTokenSyntax = 'jws' | 'b64token';

interface RequestLike extends AuthorizationHeaderCarrier {
  url?: string;
  query?: unknown;
  body?: unknown;
}

function hasAccessTokenParam(container: unknown): boolean {
  return typeof container === 'object' && container !== null && 'access_token' in container;
}

/** The parsed query, read only when the URL has one: Express 5 parses the URL's query on every `req.query`. */
function queryOf(req: RequestLike): unknown {
  return typeof req.url === 'string' && !req.url.includes('?') ? undefined : req.query;
}

/** An access token and the scheme it came with: `Bearer` (RFC 6750) or `DPoP` (RFC 9449 §7.1). */
export interface PresentedCredential {
  token: string;
  dpop: boolean;
}

/** `Bearer ` or `DPoP ` (any case, exactly one space): the scheme's length, or 0. */
function schemeLength(header: string): number {
  // The spelling every client sends first: no lower-cased copy of the header on each request.
  if (header.startsWith('Bearer ')) return 6;
  if (header.charCodeAt(6) === 0x20 && header.slice(0, 6).toLowerCase() === 'bearer') return 6;
  if (header.charCodeAt(4) === 0x20 && header.slice(0, 4).toLowerCase() === 'dpop') return 4;
  return 0;
}

/**
 * The credential of the request's `Authorization: Bearer` or `Authorization: DPoP` header (RFC 6750
 * §2.1, RFC 9449 §7.1; the MCP spec forbids tokens in the query string): everything `extractBearerToken`
 * checks but the token's own syntax. Case-insensitive scheme, exactly one space; length is checked
 * before anything else so oversized input costs nothing.
 * @throws InvalidTokenError (401) for a missing, malformed or oversized credential
 * @throws InvalidRequestError (400) when the token is also sent in the query or body (RFC 6750 §2), or
 *   the Authorization header is repeated
 */
export function presentedCredential(req: RequestLike, maxTokenBytes: number): PresentedCredential {
  const header = singleAuthorizationHeader(req);
  if (header === undefined) throw new InvalidTokenError(TOKEN_MESSAGES.missing, true);
  if (typeof header !== 'string') throw new InvalidTokenError(TOKEN_MESSAGES.malformedHeader);
  if (header.length > maxTokenBytes + 7) throw new InvalidTokenError(TOKEN_MESSAGES.tooLarge);
  const scheme = schemeLength(header);
  if (scheme === 0 || header.length <= scheme + 1) throw new InvalidTokenError(TOKEN_MESSAGES.malformedHeader);
  if (hasAccessTokenParam(queryOf(req)) || hasAccessTokenParam(req.body)) {
    throw new InvalidRequestError(TOKEN_MESSAGES.multipleMethods);
  }
  return { token: header.slice(scheme + 1), dpop: scheme === 4 };
}

/** `presentedCredential` for the `Bearer` scheme only. */
export function bearerCredential(req: RequestLike, maxTokenBytes: number): string {
  const credential = presentedCredential(req, maxTokenBytes);
  if (credential.dpop) throw new InvalidTokenError(TOKEN_MESSAGES.malformedHeader);
  return credential.token;
}

/** @throws InvalidTokenError (401) when the token is not of `syntax` */
export function checkTokenSyntax(token: string, syntax: BearerTokenSyntax): void {
  if (!(syntax === 'jws' ? JWS_COMPACT : B64TOKEN).test(token)) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
}

/**
 * Reads the bearer token from the `Authorization` header only: `bearerCredential`, then the token's
 * syntax (one compact JWS, or any RFC 6750 b64token).
 */
export function extractBearerToken(req: RequestLike, maxTokenBytes: number, syntax: BearerTokenSyntax = 'jws'): string {
  const token = bearerCredential(req, maxTokenBytes);
  checkTokenSyntax(token, syntax);
  return token;
}
