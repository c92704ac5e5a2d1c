import { createHash, createPublicKey, KeyObject, sign as cryptoSign } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { JWK, JWTPayload } from 'jose';
import type { OAuthMcpModuleOptions } from '../../src/index.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../../src/oauth-mcp.internal-constants.js';
import type { TokenCache } from '../../src/resource-server/verification/token-cache.js';
import type { JwksServer, TestKey } from '../support/jwks-server.js';
import { pkce, type ProxyFixture } from '../support/proxy-fixture.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { b64url } from '../support/tokens.js';
import { upstreamLogin } from './flow-helpers.js';

/**
 * Shared pieces of the guard-side catalogue specs (groups A, B, C): the native apps under test, the
 * exact 401 the guard must answer, what a rejection may not leave behind (a cache entry, a fetch),
 * hand-built JWS, and a clock that can jump.
 */

/** The catalogue's placeholders: the MCP server, its resource and the upstream IdP. */
export const SERVER_URL = 'https://mcp.example.com';
export const RESOURCE = `${SERVER_URL}/mcp`;
export const PRM = `${SERVER_URL}/.well-known/oauth-protected-resource/mcp`;
export const IDP_ISS = 'https://idp.example.com';
export const SCOPES = ['mcp:read', 'mcp:write', 'mcp:admin'];
export const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

/** A native-mode app on loopback, its validated-token cache and (JWKS providers) the IdP stand-in. */
export interface Target {
  app: INestApplication;
  base: string;
  cache: TokenCache;
  idp?: JwksServer;
  /** `resource_metadata` of its challenges. */
  prm: string;
  scopes: readonly string[];
}

export async function startNative(options: Partial<OAuthMcpModuleOptions>, idp?: JwksServer): Promise<Target> {
  const app = await createTestApp({ serverUrl: SERVER_URL, audience: RESOURCE, scopes: SCOPES, ...options } as OAuthMcpModuleOptions);
  return { app, base: await appUrl(app), cache: app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE), idp, prm: PRM, scopes: options.scopes ?? SCOPES };
}

/** The proxy fixture as a guard target (its own tokens at POST /mcp). */
export function proxyTarget(f: ProxyFixture): Pick<Target, 'base' | 'prm' | 'scopes'> {
  return { base: f.base, prm: `${f.base}/.well-known/oauth-protected-resource/mcp`, scopes: SCOPES };
}

export interface Call {
  token?: string;
  headers?: Record<string, string>;
  path?: string;
  method?: string;
  body?: string;
}

/** One request to a guarded route (default `GET /mcp`); `token` goes into `Authorization: Bearer`. */
export function call(base: string, req: Call | string | undefined = {}): Promise<Response> {
  const r: Call = typeof req === 'string' || req === undefined ? { token: req } : req;
  return fetch(`${base}${r.path ?? '/mcp'}`, {
    method: r.method ?? 'GET',
    headers: { ...(r.token !== undefined ? { authorization: `Bearer ${r.token}` } : {}), ...r.headers },
    body: r.body,
  });
}

export interface Outcome {
  status: number;
  challenge: string | null;
  body: unknown;
}

export async function outcome(res: Response): Promise<Outcome> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* kept as text */
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** RFC 9449 §7.1: every challenge of the resource server also offers DPoP, after the Bearer one. */
export const DPOP_CHALLENGE = ', DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"';

/**
 * The exact 401: `Bearer error="invalid_token", error_description="…", resource_metadata="<PRM>",
 * scope="…"` and the body `{ error, error_description }` with the same sentence. `description`
 * pins the sentence (from TOKEN_MESSAGES); without it any fixed sentence is accepted.
 */
export function invalidToken(t: Pick<Target, 'prm' | 'scopes'>, description?: string): Outcome {
  const desc = description === undefined ? '[^"]+' : escape(description);
  const scope = t.scopes.length > 0 ? `, scope="${escape(t.scopes.join(' '))}"` : '';
  return {
    status: 401,
    challenge: expect.stringMatching(
      new RegExp(`^Bearer error="invalid_token", error_description="${desc}", resource_metadata="${escape(t.prm)}"${scope}${escape(DPOP_CHALLENGE)}$`),
    ),
    body: { error: 'invalid_token', error_description: description ?? expect.any(String) },
  };
}

/** RFC 6750 §3.1: no credentials at all → the challenge carries no `error` attribute. */
export function noCredentials(t: Pick<Target, 'prm' | 'scopes'>): Outcome {
  return {
    status: 401,
    challenge: `Bearer resource_metadata="${t.prm}"${t.scopes.length > 0 ? `, scope="${t.scopes.join(' ')}"` : ''}${DPOP_CHALLENGE}`,
    body: { error: 'invalid_token', error_description: 'Bearer token required' },
  };
}

/** What a rejection may not change: the cache size, and the IdP's request counters. */
export function sideEffects(t: Pick<Target, 'cache' | 'idp'>): () => { cached: number; fetched: number } {
  const cache = t.cache.size;
  const fetches = (t.idp?.jwksRequests ?? 0) + (t.idp?.discoveryRequests ?? 0);
  return () => ({ cached: t.cache.size - cache, fetched: (t.idp?.jwksRequests ?? 0) + (t.idp?.discoveryRequests ?? 0) - fetches });
}

/**
 * Sends every labelled token and expects the exact 401 for each; afterwards nothing was cached and,
 * with `noFetch`, the IdP was not asked for anything. No response body echoes the token.
 */
export async function expectAllRejected(
  t: Target,
  cases: Record<string, string | Call>,
  opts: { description?: string; noFetch?: boolean } = {},
): Promise<void> {
  const after = sideEffects(t);
  for (const [label, req] of Object.entries(cases)) {
    const r: Call = typeof req === 'string' ? { token: req } : req;
    const got = await outcome(await call(t.base, r));
    expect({ label, ...got }).toEqual({ label, ...invalidToken(t, opts.description) });
    if (r.token && r.token.length > 8) expect(JSON.stringify(got.body)).not.toContain(r.token);
  }
  const { cached, fetched } = after();
  expect(opts.noFetch ? { cached, fetched } : { cached }).toEqual(opts.noFetch ? { cached: 0, fetched: 0 } : { cached: 0 });
}

/** Compact JWS built with node:crypto: any header jose refuses to write, any key (RSA < 2048 too). */
export function handMadeJws(header: Record<string, unknown>, payload: unknown, key: TestKey | KeyObject): string {
  const input = `${b64url(header)}.${typeof payload === 'string' ? b64url(payload) : b64url(JSON.stringify(payload))}`;
  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key.privateKey);
  const signature = String(header.alg).startsWith('ES')
    ? cryptoSign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' })
    : cryptoSign('sha256', Buffer.from(input), keyObject);
  return `${input}.${signature.toString('base64url')}`;
}

/** The RSA public key in the text forms an attacker tries as an HMAC secret (A8). */
export function publicKeyTexts(jwk: JWK): Record<string, string> {
  const { kid: _kid, alg: _alg, use: _use, ...material } = jwk;
  const key = createPublicKey({ key: material as never, format: 'jwk' });
  return {
    'BEGIN PUBLIC KEY PEM': key.export({ type: 'spki', format: 'pem' }) as string,
    'BEGIN RSA PUBLIC KEY PEM': key.export({ type: 'pkcs1', format: 'pem' }) as string,
    'JWK JSON text': JSON.stringify(jwk),
  };
}

/** SHA-256 base64url of a token: the validated-token cache key. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * A clock that can jump: replaces `Date.now` (what jsonwebtoken, the token cache and the JWKS key
 * store read) with real time plus an offset. Timers stay real, so HTTP keeps working.
 */
export function jumpingClock(): { advance(ms: number): void; restore(): void } {
  const real = Date.now;
  let offset = 0;
  Date.now = () => real() + offset;
  return {
    advance: (ms) => {
      offset += ms;
    },
    restore: () => {
      Date.now = real;
    },
  };
}

/**
 * Records every URL fetched through the global `fetch` (the module's JWKS and discovery requests go
 * through it) other than the apps under test.
 */
export function recordOutbound(ignoreOrigins: string[]): { urls(): string[]; restore(): void } {
  const original = globalThis.fetch;
  const urls: string[] = [];
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!ignoreOrigins.some((o) => url.startsWith(o))) urls.push(url);
    return original(input, init);
  }) as typeof fetch;
  return { urls: () => [...urls], restore: () => (globalThis.fetch = original) };
}

/**
 * Proxy mode: signs in at the upstream dev IdP directly with the proxy's own upstream client, as the
 * module itself does, and returns the upstream tokens (ID token, and an access token for `resource`).
 * These are the tokens that must never be accepted at this server's /mcp (token passthrough, A13).
 */
export async function upstreamTokens(f: ProxyFixture, resource?: string): Promise<{ id_token: string; access_token: string }> {
  const meta = (await (await fetch(`${f.idp.issuer}/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string; token_endpoint: string };
  const { verifier, challenge } = pkce();
  const redirectUri = `${f.base}/oauth/callback`;
  const q = new URLSearchParams({
    client_id: f.idp.proxyClient!.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: resource ? 'openid mcp:read' : 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'upstream-direct',
    nonce: 'n-0S6_WzA2Mj',
    ...(resource ? { resource } : {}),
  });
  const back = await upstreamLogin(f, new URL(`${meta.authorization_endpoint}?${q}`));
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`upstream sign-in failed: ${back.href}`);
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: f.idp.proxyClient!.clientId,
      client_secret: f.idp.proxyClient!.clientSecret,
      ...(resource ? { resource } : {}),
    }),
  });
  if (res.status !== 200) throw new Error(`upstream token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id_token: string; access_token: string };
}

/** Valid claims for the native apps (`iss` = the placeholder IdP, `aud` = the MCP resource). */
export function claimsFor(extra: JWTPayload = {}): JWTPayload {
  const t = Math.floor(Date.now() / 1000);
  return {
    iss: IDP_ISS,
    sub: 'alice',
    aud: RESOURCE,
    scope: 'mcp:read',
    iat: t,
    exp: t + 600,
    jti: createHash('sha256').update(`${Math.random()}`).digest('hex').slice(0, 16),
    ...extra,
  };
}
