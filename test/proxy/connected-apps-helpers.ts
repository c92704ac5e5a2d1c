import { authorizeUrl, completeFlow, pkce, redeemCode, registerClient, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';

/** What a signed-in client holds, and the cookies of the browser that approved it. */
export interface SignedInApp {
  clientId: string;
  redirectUri: string;
  tokens: { access_token: string; refresh_token: string; scope?: string };
  cookies: string;
}

/**
 * One user approves one client in a browser (`cookies`: that browser's jar) and the client redeems the
 * code. A new DCR client unless `clientId` is given (a static one, or the same client again).
 */
export async function approve(
  f: ProxyFixture,
  username: string,
  opts: { clientId?: string; redirectUri?: string; scope?: string; cookies?: string } = {},
): Promise<SignedInApp> {
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:51000/callback';
  const clientId = opts.clientId ?? (await registerClient(f, [redirectUri], { client_name: `App of ${username}` }));
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource, scope: opts.scope });
  const { callback, cookies } = await completeFlow(f, url, username, opts.cookies ?? '');
  const res = await redeemCode(f, callback, { verifier, redirectUri, clientId });
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${await res.text()}`);
  return { clientId, redirectUri, tokens: (await res.json()) as SignedInApp['tokens'], cookies };
}

/** The JSON list with a session cookie or a bearer token. */
export async function listApps(f: ProxyFixture, auth: { cookies?: string; bearer?: string }): Promise<Response> {
  return fetch(`${f.base}/oauth/connected-apps`, { headers: credentials(auth), redirect: 'manual' });
}

export interface ListedApp {
  clientId: string;
  clientName?: string;
  registration?: string;
  verified: boolean;
  scopes: string[];
  firstUsed: string;
  lastUsed: string;
  tokenBinding: string;
  grants: number;
}

export async function appsOf(f: ProxyFixture, auth: { cookies?: string; bearer?: string }): Promise<{ apps: ListedApp[]; csrf_token?: string }> {
  const res = await listApps(f, auth);
  if (res.status !== 200) throw new Error(`list answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { apps: ListedApp[]; csrf_token?: string };
}

/** The page's revoke form, as the browser posts it. */
export function revokeFromPage(f: ProxyFixture, cookies: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${f.base}/oauth/apps/revoke`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
    body: new URLSearchParams(fields),
  });
}

/** The JSON API's revoke. */
export function revokeByApi(f: ProxyFixture, auth: { cookies?: string; bearer?: string }, body: Record<string, string>): Promise<Response> {
  return fetch(`${f.base}/oauth/connected-apps/revoke`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/json', ...credentials(auth) },
    body: JSON.stringify(body),
  });
}

/** The page's CSRF token, as its forms carry it. */
export function pageCsrf(html: string): string {
  return /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

/** A call to the fixture's guarded MCP endpoint. */
export function callMcp(f: ProxyFixture, accessToken: string): Promise<Response> {
  return fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: '{}' });
}

export function refresh(f: ProxyFixture, app: SignedInApp): Promise<Response> {
  return tokenRequest(f, { grant_type: 'refresh_token', refresh_token: app.tokens.refresh_token, client_id: app.clientId });
}

function credentials(auth: { cookies?: string; bearer?: string }): Record<string, string> {
  return { ...(auth.cookies ? { cookie: auth.cookies } : {}), ...(auth.bearer ? { authorization: `Bearer ${auth.bearer}` } : {}) };
}
