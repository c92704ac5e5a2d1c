import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Controller, Module, Post, type Type, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MemoryStore } from '../../src/store/memory.store.js';
import { startDevIdp, type DevIdp, type DevIdpOptions } from '../../src/dev-idp/dev-idp.js';
import { CurrentUser, McpAuthGuard, OAuthMcpModule, type OAuthMcpModuleExtras, type OAuthMcpProxyOptions } from '../../src/index.js';
import { type AdapterName, createApp } from './adapters.js';
import { freePort } from './free-port.js';

/**
 * A proxy-mode server for tests: the module (not the example app) in front of a real oidc-provider
 * upstream on loopback, with an inspectable MemoryStore and a minimal guarded `/mcp`. Every helper
 * speaks plain HTTP with `redirect: 'manual'`, so tests see each status, header and cookie.
 */
export interface ProxyFixture {
  app: INestApplication;
  idp: DevIdp;
  store: MemoryStore;
  /** This server's public origin = its issuer, e.g. http://localhost:40123 */
  base: string;
  /** Where this instance listens (differs from `base` for a second replica behind the same public URL). */
  origin: string;
  resource: string;
  close(): Promise<void>;
}

export const FIXTURE_SECRET = 'Tq9mZp2XwR4tYb8NcL1sDf6GhJ3aUe7k';

@UseGuards(McpAuthGuard)
@Controller('mcp')
class FixtureMcpController {
  @Post()
  call(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

/** Several replicas: pass the first one's `base` and `idp` so they share the public URL and the upstream. */
export interface ReplicaOf {
  base: string;
  idp: DevIdp;
}

/** More than options: extra controllers (e.g. tools calling the upstream), dev IdP settings. */
export interface FixtureExtras {
  controllers?: Type<unknown>[];
  idp?: Partial<DevIdpOptions>;
}

export async function startProxyFixture(
  overrides: Partial<OAuthMcpProxyOptions & OAuthMcpModuleExtras> = {},
  replicaOf?: ReplicaOf,
  adapter: AdapterName = 'express',
  extras: FixtureExtras = {},
): Promise<ProxyFixture> {
  // The URL must be known before the app listens, so the port is picked first; another Jest worker can take
  // it in between (seen once in CI): start again on a new port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProxyFixtureOn(await freePort(), overrides, replicaOf, adapter, extras);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE' || replicaOf || attempt === 3) throw err;
    }
  }
}

async function startProxyFixtureOn(
  port: number,
  overrides: Partial<OAuthMcpProxyOptions & OAuthMcpModuleExtras>,
  replicaOf: ReplicaOf | undefined,
  adapter: AdapterName,
  extras: FixtureExtras,
): Promise<ProxyFixture> {
  const base = replicaOf?.base ?? `http://localhost:${port}`;
  const idp =
    replicaOf?.idp ??
    (await startDevIdp({ resource: `${base}/mcp`, scopes: ['mcp:read'], port: 0, proxyCallbackUrl: `${base}/oauth/callback`, ...extras.idp }));
  const store = new MemoryStore();
  const options: OAuthMcpProxyOptions & OAuthMcpModuleExtras = {
    mode: 'proxy',
    // The catalogue covers the 2025-03-26 root aliases too (they are opt-in).
    rootAliases: true,
    provider: 'oidc',
    issuer: idp.issuer,
    clientId: idp.proxyClient!.clientId,
    clientSecret: idp.proxyClient!.clientSecret,
    jwtSecret: FIXTURE_SECRET,
    serverUrl: base,
    scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
    store,
    // Security suites send hundreds of requests from 127.0.0.1; the rate-limit tests turn limits on.
    rateLimits: false,
    failedAuthThrottle: false,
    staticClients: [
      { client_id: 'web-app', client_secret: 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb', redirect_uris: ['https://app.example.com/callback'], client_name: 'Web App' },
      { client_id: 'native-app', redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'], client_name: 'Native App' },
    ],
    ...overrides,
  };
  @Module({ imports: [OAuthMcpModule.forRoot(options)], controllers: [FixtureMcpController, ...(extras.controllers ?? [])] })
  class FixtureModule {}
  const moduleRef = await Test.createTestingModule({ imports: [FixtureModule] }).compile();
  const app = createApp(moduleRef, adapter);
  try {
    await app.listen(port, '127.0.0.1');
  } catch (err) {
    await app.close().catch(() => undefined);
    if (!replicaOf) await idp.close();
    throw err;
  }
  return {
    app,
    idp,
    store,
    base,
    origin: `http://localhost:${port}`,
    resource: `${base}/mcp`,
    close: async () => {
      await app.close();
      if (!replicaOf) await idp.close();
    },
  };
}

/** A PKCE pair (RFC 7636 S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Registers a public client by DCR and returns its client_id. */
export async function registerClient(f: ProxyFixture, redirectUris: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${f.base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: redirectUris, token_endpoint_auth_method: 'none', client_name: 'Test client', ...extra }),
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { client_id: string }).client_id;
}

/** Query for /oauth/authorize with valid defaults; `undefined` values are left out. */
export function authorizeUrl(f: ProxyFixture, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ response_type: 'code', code_challenge_method: 'S256', state: 'client-state', ...params })) {
    if (v !== undefined) q.append(k, v);
  }
  return `${f.base}/oauth/authorize?${q}`;
}

/** Cookies from Set-Cookie headers, as a Cookie header value (name=value pairs only). */
export function cookieHeader(res: Response, previous = ''): string {
  const jar = new Map(
    previous
      .split('; ')
      .filter(Boolean)
      .map((c) => c.split('=') as [string, string]),
  );
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [name, value] = pair.split('=');
    if (/max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The hidden fields of the consent form. */
export function consentFields(html: string): { request_id: string; csrf_token: string } {
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  return { request_id: field('request_id'), csrf_token: field('csrf_token') };
}

export interface FlowResult {
  /** The final redirect to the client (code, state, iss). */
  callback: URL;
  /** Cookies the browser holds at the end. */
  cookies: string;
}

/**
 * Drives one browser through authorize → consent (approve) → dev IdP login → callback and returns the
 * redirect to the client. Throws with the status when a step does not go as a real flow would.
 */
export async function completeFlow(f: ProxyFixture, url: string, username = 'alice', startCookies = ''): Promise<FlowResult> {
  let cookies = startCookies;
  let res = await fetch(url, { redirect: 'manual', headers: { cookie: cookies } });
  cookies = cookieHeader(res, cookies);
  if (res.status === 200) {
    const form = consentFields(await res.text());
    res = await fetch(`${f.base}/oauth/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
      body: new URLSearchParams({ ...form, decision: 'approve' }),
    });
    cookies = cookieHeader(res, cookies);
  }
  if (res.status !== 302 && res.status !== 303) throw new Error(`authorize/consent answered ${res.status}`);
  const next = res.headers.get('location')!;
  // The upstream leg with its own cookie jar (another origin), then our callback with ours.
  const back = await upstreamLogin(f, new URL(next), username);
  const cb = await fetch(back, { redirect: 'manual', headers: { cookie: cookies } });
  cookies = cookieHeader(cb, cookies);
  if (cb.status !== 302) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
  return { callback: new URL(cb.headers.get('location')!), cookies };
}

/** Signs in at the dev IdP (its own cookie jar) and returns the redirect back to our /oauth/callback, not yet followed. */
export async function upstreamLogin(f: Pick<ProxyFixture, 'base'>, upstream: URL, username = 'alice'): Promise<URL> {
  let next = upstream.href;
  let idpCookies = '';
  for (let hop = 0; hop < 15; hop++) {
    const target = new URL(next);
    if (target.origin === f.base) return target;
    const r = await fetch(next, { redirect: 'manual', headers: { cookie: idpCookies } });
    idpCookies = cookieHeader(r, idpCookies);
    if (r.status >= 300 && r.status < 400) {
      next = new URL(r.headers.get('location')!, next).href;
      continue;
    }
    const action = /<form method="post" action="([^"]+)">/.exec(await r.text())?.[1];
    if (!action) throw new Error(`dev IdP answered ${r.status}`);
    const post = await fetch(new URL(action, next), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: idpCookies },
      body: new URLSearchParams({ login: username }),
    });
    idpCookies = cookieHeader(post, idpCookies);
    next = new URL(post.headers.get('location')!, next).href;
  }
  throw new Error('too many redirects');
}

/** POST /oauth/token with a form body. */
export function tokenRequest(f: ProxyFixture, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${f.base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
}

/** The authorization_code grant for the code in `callback`, with the PKCE verifier, redirect URI and client of its flow. */
export function redeemCode(f: ProxyFixture, callback: URL, flow: { verifier: string; redirectUri: string; clientId: string }): Promise<Response> {
  return tokenRequest(f, {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code')!,
    code_verifier: flow.verifier,
    redirect_uri: flow.redirectUri,
    client_id: flow.clientId,
  });
}

/** A full sign-in for a native DCR client: returns the client, PKCE pair and the token response. */
export async function signedIn(f: ProxyFixture, redirectUri = 'http://127.0.0.1:51000/callback') {
  const clientId = await registerClient(f, [redirectUri]);
  const { verifier, challenge } = pkce();
  const { callback } = await completeFlow(
    f,
    authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource }),
  );
  const res = await redeemCode(f, callback, { verifier, redirectUri, clientId });
  const tokens = (await res.json()) as { access_token: string; refresh_token: string; scope: string };
  return { clientId, verifier, challenge, redirectUri, tokens };
}
