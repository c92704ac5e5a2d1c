import { createHash } from 'node:crypto';
import { authorizeUrl, consentFields, cookieHeader, pkce, tokenRequest, upstreamLogin, type ProxyFixture } from '../support/proxy-fixture.js';

/**
 * Shared assertions and flow steps for the security catalogue specs (groups D–G). Everything talks
 * plain HTTP with `redirect: 'manual'` to the fixture from test/support/proxy-fixture.ts.
 */

export const WEB_APP = { clientId: 'web-app', secret: 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb', redirectUri: 'https://app.example.com/callback' };
export const NATIVE_APP = { clientId: 'native-app', redirectUri: 'http://127.0.0.1/callback', redirectUriV6: 'http://[::1]/callback' };

/** SHA-256 base64url, as the module keys secrets in its store. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** Store keys that belong to a pending or finished browser flow. */
export const FLOW_KEY = /^(consent-req|upstream-state|code|upstream-tokens|session|consent):/;

/** A snapshot of the store, to assert what a request added. */
export function storeSnapshot(f: ProxyFixture): { added(): string[] } {
  const before = new Set(f.store.keys());
  return { added: () => f.store.keys().filter((k) => !before.has(k)) };
}

export function get(url: string, cookies = ''): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: cookies ? { cookie: cookies } : {} });
}

/** Headers every page of the browser leg carries (catalogue K112, G82). */
export function expectPageHeaders(res: Response): void {
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
}

/**
 * "Rejected, no redirect": the exact status, an HTML error page naming the OAuth error code, no
 * Location (so no redirect to the client nor to the upstream IdP), and no cookie of a flow.
 */
export async function expectRejectedPage(res: Response, error: string, status = 400): Promise<string> {
  const body = await res.text();
  expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status, location: null });
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(body).toContain(`<strong>${error}</strong>`);
  expectPageHeaders(res);
  expect(res.headers.getSetCookie().filter((c) => /^(__Host-)?mcp_(state|consent)_/.test(c) && !/max-age=0/i.test(c))).toEqual([]);
  return body;
}

/** A redirected authorization error (RFC 6749 §4.1.2.1 + RFC 9207): to `redirectUri` exactly, with error, state and iss. */
export function expectErrorRedirect(f: ProxyFixture, res: Response, redirectUri: string, error: string, state: string | undefined, status = 302): URL {
  expect(res.status).toBe(status);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri.replace(/\?.*$/, ''));
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.getAll('state')).toEqual(state === undefined ? [] : [state]);
  expect(location.searchParams.get('iss')).toBe(f.base);
  expect(location.searchParams.has('code')).toBe(false);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return location;
}

/**
 * Counts the module's requests to the upstream token endpoint. openid-client (oauth4webapi) calls the
 * global `fetch` at request time, and Jest runs the test and the module in one realm, so wrapping the
 * global sees every upstream token request the server makes.
 */
export async function upstreamTokenRecorder(f: ProxyFixture): Promise<{ count(): number; restore(): void }> {
  const discovery = (await (await fetch(`${f.idp.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  const original = globalThis.fetch;
  let count = 0;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(discovery.token_endpoint)) count++;
    return original(input, init);
  }) as typeof fetch;
  return { count: () => count, restore: () => (globalThis.fetch = original) };
}

export interface PendingUpstream {
  /** The upstream authorization URL (303 after the consent approval). */
  upstream: URL;
  /** The upstream `state` this server generated. */
  state: string;
  /** Our browser's cookies after the approval (the state cookie included). */
  cookies: string;
  /** The consent response itself. */
  approval: Response;
}

/** Authorize → 200 consent page → approve (303 to the upstream IdP). */
export async function approve(f: ProxyFixture, url: string, cookies = ''): Promise<PendingUpstream> {
  const page = await get(url, cookies);
  if (page.status !== 200) throw new Error(`authorize answered ${page.status}`);
  cookies = cookieHeader(page, cookies);
  const approval = await postConsent(f, { ...consentFields(await page.text()), decision: 'approve' }, cookies);
  if (approval.status !== 303) throw new Error(`consent answered ${approval.status}`);
  cookies = cookieHeader(approval, cookies);
  const upstream = new URL(approval.headers.get('location')!);
  return { upstream, state: upstream.searchParams.get('state')!, cookies, approval };
}

export function postConsent(f: ProxyFixture, form: Record<string, string>, cookies = ''): Promise<Response> {
  return fetch(`${f.base}/oauth/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookies ? { cookie: cookies } : {}) },
    body: new URLSearchParams(form),
  });
}

export { upstreamLogin };

/** The state cookie's name for an upstream state (http fixture: no __Host- prefix). */
export const stateCookieName = (state: string): string => `mcp_state_${sha256(state).slice(0, 12)}`;
/** The consent cookie's name for a consent request id. */
export const consentCookieName = (requestId: string): string => `mcp_consent_${sha256(requestId).slice(0, 12)}`;

export interface IssuedCode {
  code: string;
  verifier: string;
  challenge: string;
  clientId: string;
  redirectUri: string;
  /** The redirect to the client. */
  callback: URL;
  /** The IdP's redirect to our callback (upstream code, state, iss). */
  upstreamCallback: URL;
  cookies: string;
}

/** Runs a full flow for the static public client `native-app` (or another) and returns our code, unredeemed. */
export async function issueCode(
  f: ProxyFixture,
  opts: { clientId?: string; redirectUri?: string; extra?: Record<string, string | undefined> } = {},
): Promise<IssuedCode> {
  const clientId = opts.clientId ?? NATIVE_APP.clientId;
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:51000/callback';
  const { verifier, challenge } = pkce();
  const pending = await approve(
    f,
    authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource, ...opts.extra }),
  );
  const upstreamCallback = await upstreamLogin(f, pending.upstream);
  const cb = await get(upstreamCallback.href, pending.cookies);
  if (cb.status !== 302) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
  const callback = new URL(cb.headers.get('location')!);
  return {
    code: callback.searchParams.get('code')!,
    verifier,
    challenge,
    clientId,
    redirectUri,
    callback,
    upstreamCallback,
    cookies: cookieHeader(cb, pending.cookies),
  };
}

/** Redeems an issued code with the right verifier, redirect URI and (public) client. */
export function redeem(
  f: ProxyFixture,
  issued: IssuedCode,
  overrides: Record<string, string | undefined> = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  const params: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    code: issued.code,
    code_verifier: issued.verifier,
    redirect_uri: issued.redirectUri,
    client_id: issued.clientId,
    ...overrides,
  };
  return tokenRequest(f, Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)), headers);
}

/** A token-endpoint error: exact status and code, JSON, no-store. */
export async function expectTokenError(res: Response, error: string, status = 400): Promise<void> {
  const body = (await res.json()) as Record<string, unknown>;
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  expect(body).not.toHaveProperty('access_token');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

/** POST /mcp with a bearer token: 201 when it is accepted, 401 when not. */
export async function mcpStatus(f: ProxyFixture, accessToken: string): Promise<number> {
  return (await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } })).status;
}
