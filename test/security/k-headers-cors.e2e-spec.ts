import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import * as oauthErrors from '../../src/errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../src/errors/messages.constant.js';
import { CapturingAuditSink } from '../support/capture.js';
import {
  authorizeUrl,
  consentFields,
  cookieHeader,
  pkce,
  registerClient,
  signedIn,
  startProxyFixture,
  tokenRequest,
  type ProxyFixture,
} from '../support/proxy-fixture.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { now, signHmac } from '../support/tokens.js';
import { approve, get, issueCode, NATIVE_APP, postConsent, redeem, storeSnapshot, upstreamLogin, WEB_APP } from './flow-helpers.js';

/*
 * security-cases.md group K (cases 112–117): security headers on every page of the browser leg,
 * CORS on the JSON endpoints (never a reflected origin with credentials), Origin validation on the
 * MCP endpoint (DNS rebinding), and escaping in error pages and descriptions.
 *
 * The catalogue heads the group 112–117 but lists 112, 113, 114 and 116; each has tests here.
 */

const REDIRECT = 'http://127.0.0.1:53000/callback';
const INSPECTOR = 'http://localhost:6274';
const HOSTILE_ORIGINS = ['https://evil.com', 'null'];
/** RFC 6749 §5.2 / RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E only. */
const DESCRIPTION_CHARSET = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

/**
 * K112: the headers every response of the browser leg carries. Pages also carry a CSP with
 * `frame-ancestors 'none'`; redirects are never rendered, so X-Frame-Options is what they carry.
 */
function expectSecurityHeaders(res: Response, kind: 'page' | 'redirect' | 'json'): void {
  const h = (name: string) => res.headers.get(name);
  expect({
    'x-frame-options': h('x-frame-options'),
    'referrer-policy': h('referrer-policy'),
    'x-content-type-options': h('x-content-type-options'),
    'cache-control': h('cache-control'),
  }).toEqual({ 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
  if (kind === 'page') {
    expect(h('content-type')).toMatch(/^text\/html/);
    expect(h('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(h('content-security-policy')).toContain("default-src 'none'");
  }
  if (kind === 'json') expect(h('content-type')).toMatch(/^application\/json/);
}

/** K113: no credentialed CORS for any origin; when CORS is on at all, it is `*` (which browsers never combine with credentials). */
function expectNoCredentialedCors(res: Response, origin: string): void {
  const acao = res.headers.get('access-control-allow-origin');
  expect({ origin, acao: acao === null || acao === '*' ? 'absent or *' : acao, credentials: res.headers.get('access-control-allow-credentials') }).toEqual({
    origin,
    acao: 'absent or *',
    credentials: null,
  });
}

function expectNoCors(res: Response): void {
  const cors = [...res.headers.keys()].filter((k) => k.startsWith('access-control-allow-'));
  expect(cors).toEqual([]);
}

/** Every error_description a response carries: JSON body, Location query, WWW-Authenticate. */
async function descriptionsOf(res: Response): Promise<string[]> {
  const found: string[] = [];
  const location = res.headers.get('location');
  if (location) {
    const d = new URL(location).searchParams.get('error_description');
    if (d !== null) found.push(d);
  }
  const challenge = res.headers.get('www-authenticate');
  const fromChallenge = challenge ? /error_description="([^"]*)"/.exec(challenge)?.[1] : undefined;
  if (fromChallenge !== undefined) found.push(fromChallenge);
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error_description?: unknown };
    if (typeof body.error_description === 'string') found.push(body.error_description);
  } catch {
    // a page or empty body
  }
  return found;
}

/** Static text of every description passed to an OAuth error constructor in src (template holes count as a letter). */
function descriptionsInSource(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...descriptionsInSource(path));
      continue;
    }
    if (!name.endsWith('.ts') || name.endsWith('.spec.ts')) continue;
    const source = readFileSync(path, 'utf8');
    for (const m of source.matchAll(/new [A-Z][A-Za-z]*Error\(\s*(?:'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`|"((?:[^"\\]|\\.)*)")/g)) {
      const text = (m[1] ?? m[2] ?? m[3]).replace(/\$\{[^}]*\}/g, 'x').replace(/\\'/g, "'");
      out.push({ file: path, text });
    }
  }
  return out;
}

describe('K. Headers, CORS and route coverage', () => {
  let f: ProxyFixture;
  let audit: CapturingAuditSink;
  let session: Awaited<ReturnType<typeof signedIn>>;

  beforeAll(async () => {
    audit = new CapturingAuditSink();
    f = await startProxyFixture({ allowedOrigins: [INSPECTOR], auditSink: audit });
    session = await signedIn(f);
  });
  afterAll(() => f.close());

  const startUrl = (extra: Record<string, string | undefined> = {}) =>
    authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, resource: f.resource, ...extra });

  describe('K112 security headers', () => {
    it('K112 /oauth/authorize: the consent page (200), the error page (400) and an error redirect (302) all carry XFO DENY, no-referrer, nosniff, no-store', async () => {
      const consent = await get(startUrl());
      expect(consent.status).toBe(200);
      expectSecurityHeaders(consent, 'page');

      const errorPage = await get(authorizeUrl(f, { client_id: 'no-such-client', redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
      expect(errorPage.status).toBe(400);
      expectSecurityHeaders(errorPage, 'page');

      const errorRedirect = await get(startUrl({ code_challenge: undefined }));
      expect(errorRedirect.status).toBe(302);
      expectSecurityHeaders(errorRedirect, 'redirect');

      const wrongMethod = await fetch(startUrl(), { method: 'POST', redirect: 'manual' });
      expect(wrongMethod.status).toBe(405);
      expectSecurityHeaders(wrongMethod, 'json');
    });

    it('K112 /oauth/consent: the 403 page (no CSRF token), the 303 approval and the 303 denial carry the same headers', async () => {
      const forbidden = await postConsent(f, { request_id: 'x', csrf_token: 'y', decision: 'approve' });
      expect(forbidden.status).toBe(403);
      expectSecurityHeaders(forbidden, 'page');

      const pending = await approve(f, startUrl());
      expect(pending.approval.status).toBe(303);
      expectSecurityHeaders(pending.approval, 'redirect');

      const page = await get(startUrl());
      const denial = await postConsent(f, { ...consentFields(await page.text()), decision: 'deny' }, cookieHeader(page));
      expect(denial.status).toBe(303);
      expectSecurityHeaders(denial, 'redirect');
    });

    it('K112 /oauth/callback: the 400 page (no state) and the 302 carrying our code to the client carry the same headers (no-referrer keeps the code out of Referer)', async () => {
      const refused = await get(`${f.base}/oauth/callback?code=abc`);
      expect(refused.status).toBe(400);
      expectSecurityHeaders(refused, 'page');

      const pending = await approve(f, startUrl());
      const back = await upstreamLogin(f, pending.upstream);
      const success = await get(back.href, pending.cookies);
      expect(success.status).toBe(302);
      expect(new URL(success.headers.get('location')!).searchParams.has('code')).toBe(true);
      expectSecurityHeaders(success, 'redirect');
    });

    it('K112 JSON endpoints (token success and error, register, revoke) and the /mcp challenge carry nosniff, XFO, no-referrer and no-store', async () => {
      const issued = await issueCode(f, { redirectUri: REDIRECT });
      const ok = await redeem(f, issued);
      expect(ok.status).toBe(200);
      expectSecurityHeaders(ok, 'json');
      const bad = await tokenRequest(f, { grant_type: 'authorization_code', code: 'nope', client_id: NATIVE_APP.clientId });
      expect(bad.status).toBe(400);
      expectSecurityHeaders(bad, 'json');
      const reg = await fetch(`${f.base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
      });
      expect(reg.status).toBe(201);
      expectSecurityHeaders(reg, 'json');
      const revoke = await fetch(`${f.base}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: 'unknown', client_id: NATIVE_APP.clientId }),
      });
      expect(revoke.status).toBe(200);
      expectSecurityHeaders(revoke, 'json');
      const challenge = await fetch(`${f.base}/mcp`, { method: 'POST' });
      expect(challenge.status).toBe(401);
      expectSecurityHeaders(challenge, 'json');
    });

    describe('K112 HSTS in production', () => {
      let prod: ProxyFixture;
      beforeAll(async () => {
        // https URLs; it listens on loopback http and never contacts its upstream in these requests.
        prod = await startProxyFixture({ production: true, serverUrl: 'https://mcp.example.com', issuer: 'https://idp.example.com' });
      });
      afterAll(() => prod.close());

      it('K112 HSTS in production: every module response (pages, redirects, JSON, the /mcp challenge) carries Strict-Transport-Security', async () => {
        const responses = [
          await get(`${prod.base}/oauth/authorize?client_id=no-such-client`),
          await get(`${prod.base}/oauth/callback?code=abc`),
          await fetch(`${prod.base}/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=password',
          }),
          await fetch(`${prod.base}/mcp`, { method: 'POST' }),
          await fetch(`${prod.base}/.well-known/oauth-authorization-server`),
        ];
        expect(responses.map((r) => r.status)).toEqual([400, 400, 400, 401, 200]);
        for (const res of responses.slice(0, 4)) expectSecurityHeaders(res, res.headers.get('content-type')?.startsWith('text/html') ? 'page' : 'json');
        // Two years, as the seed guide's example (max-age=63072000; includeSubDomains).
        for (const res of responses) expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=(\d+); includeSubDomains$/);
        expect(Number(/max-age=(\d+)/.exec(responses[0].headers.get('strict-transport-security')!)![1])).toBeGreaterThanOrEqual(31_536_000);
      });

      it('K112 HSTS is not sent outside production over plain http (it would be meaningless there)', async () => {
        expect((await get(`${f.base}/oauth/authorize?client_id=no-such-client`)).headers.get('strict-transport-security')).toBeNull();
      });
    });
  });

  describe('K113 CORS', () => {
    it.each(HOSTILE_ORIGINS)('K113 Origin: %s on /oauth/token, /oauth/register, /oauth/revoke and /mcp is never reflected with credentials', async (origin) => {
      const headers = { origin, 'content-type': 'application/x-www-form-urlencoded' };
      const responses = [
        await fetch(`${f.base}/oauth/token`, { method: 'POST', headers, body: 'grant_type=authorization_code&code=x&client_id=native-app' }),
        await fetch(`${f.base}/oauth/token`, {
          method: 'POST',
          headers: { ...headers, authorization: `Basic ${Buffer.from('web-app:wrong').toString('base64')}` },
          body: 'grant_type=refresh_token&refresh_token=x',
        }),
        await fetch(`${f.base}/oauth/register`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
        }),
        await fetch(`${f.base}/oauth/revoke`, { method: 'POST', headers, body: 'token=x&client_id=native-app' }),
        await fetch(`${f.base}/mcp`, { method: 'POST', headers: { origin } }),
        await fetch(`${f.base}/mcp`, { method: 'POST', headers: { origin, authorization: `Bearer ${session.tokens.access_token}` } }),
      ];
      for (const res of responses) expectNoCredentialedCors(res, origin);
      // /mcp is not CORS-enabled by the module at all.
      expectNoCors(responses[4]);
      expectNoCors(responses[5]);
    });

    it.each(HOSTILE_ORIGINS)(
      'K113 Origin: %s on /oauth/authorize, /oauth/consent and /oauth/callback: no CORS header at all (browser endpoints are not CORS-enabled)',
      async (origin) => {
        const responses = [
          await fetch(startUrl(), { redirect: 'manual', headers: { origin } }),
          await fetch(startUrl({ code_challenge: undefined }), { redirect: 'manual', headers: { origin } }),
          await fetch(`${f.base}/oauth/consent`, {
            method: 'POST',
            redirect: 'manual',
            headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'request_id=x&csrf_token=y&decision=approve',
          }),
          await fetch(`${f.base}/oauth/consent`, {
            method: 'POST',
            redirect: 'manual',
            headers: { origin, 'content-type': 'application/json' },
            body: '{not json',
          }),
          await fetch(`${f.base}/oauth/callback?code=abc&state=x`, { redirect: 'manual', headers: { origin } }),
          await fetch(`${f.base}/oauth/authorize`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } }),
          await fetch(`${f.base}/oauth/consent`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }),
          await fetch(`${f.base}/oauth/callback`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } }),
        ];
        expect(responses.map((r) => r.status)).toEqual([200, 302, 403, 400, 400, 405, 405, 405]);
        for (const res of responses) expectNoCors(res);
      },
    );

    it('K113 an OPTIONS preflight never runs the handler: a register, token and revoke body sent with OPTIONS stores, consumes and revokes nothing', async () => {
      const origin = 'https://evil.com';
      const preflight = (path: string, contentType: string, body: string) =>
        fetch(`${f.base}${path}`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type, authorization',
            'content-type': contentType,
          },
          body,
        });
      const issued = await issueCode(f, { redirectUri: REDIRECT });
      const live = await signedIn(f);
      const snapshot = storeSnapshot(f);
      const eventsBefore = audit.events.length;

      const responses = [
        await preflight('/oauth/register', 'application/json', JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })),
        await preflight(
          '/oauth/token',
          'application/x-www-form-urlencoded',
          new URLSearchParams({
            grant_type: 'authorization_code',
            code: issued.code,
            code_verifier: issued.verifier,
            redirect_uri: issued.redirectUri,
            client_id: issued.clientId,
          }).toString(),
        ),
        await preflight(
          '/oauth/revoke',
          'application/x-www-form-urlencoded',
          new URLSearchParams({ token: live.tokens.refresh_token, client_id: live.clientId }).toString(),
        ),
      ];
      for (const res of responses) {
        expect(res.status).toBe(204);
        expect(await res.text()).toBe('');
        expectNoCredentialedCors(res, origin);
        expect(res.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
      }
      expect(snapshot.added()).toEqual([]);
      expect(audit.events.slice(eventsBefore)).toEqual([]);
      // The code is still redeemable and the refresh token still works: neither handler ran.
      expect((await redeem(f, issued)).status).toBe(200);
      expect((await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: live.tokens.refresh_token, client_id: live.clientId })).status).toBe(200);
    });

    it('K113 an OPTIONS preflight to /mcp reaches no handler and gets no CORS grant', async () => {
      const res = await fetch(`${f.base}/mcp`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain('"sub"');
      expectNoCors(res);
    });

    it('K113 a preflight from an allowed origin is answered before any guard: the exact origin, never *, never with credentials', async () => {
      const res = await fetch(`${f.base}/mcp`, {
        method: 'OPTIONS',
        headers: { origin: INSPECTOR, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(res.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
    });
  });

  describe('K114 DNS rebinding (Origin on the MCP endpoint)', () => {
    const post = (token: string | undefined, origin?: string) =>
      fetch(`${f.base}/mcp`, {
        method: 'POST',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(origin !== undefined ? { origin } : {}) },
      });

    it('K114 POST /mcp with a valid token and Origin: http://evil.com → 403, the handler does not run, and no Bearer challenge (the token is fine)', async () => {
      const res = await post(session.tokens.access_token, 'http://evil.com');
      const text = await res.text();
      expect(res.status).toBe(403);
      expect(JSON.parse(text)).toEqual({ error: 'access_denied', error_description: 'Requests from this Origin are not allowed' });
      expect(text).not.toContain('"sub"');
      expect(res.headers.get('www-authenticate')).toBeNull();
      expectNoCors(res);
    });

    it('K114 look-alike origins are refused too: null, a suffix domain, another port or scheme, a trailing slash, different case', async () => {
      const own = new URL(f.base);
      const origins = [
        'null',
        `${f.base}.evil.com`,
        `http://localhost:${Number(own.port) + 1}`,
        f.base.replace('http:', 'https:'),
        `${f.base}/`,
        f.base.toUpperCase(),
        `${INSPECTOR}.evil.com`,
        'http://127.0.0.1:6274',
      ];
      for (const origin of origins) expect({ origin, status: (await post(session.tokens.access_token, origin)).status }).toEqual({ origin, status: 403 });
    });

    it('K114 the server’s own origin, an allowedOrigins entry, and no Origin at all (non-browser clients) are allowed', async () => {
      expect((await post(session.tokens.access_token, f.base)).status).toBe(201);
      expect((await post(session.tokens.access_token, INSPECTOR)).status).toBe(201);
      expect((await post(session.tokens.access_token)).status).toBe(201);
    });

    it('K114 without a token, a hostile Origin still gets the 401 challenge first (the Origin check never hides it)', async () => {
      const res = await post(undefined, 'http://evil.com');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
    });

    describe('K114 native mode (hmac) behaves the same', () => {
      const SECRET = 'Hq3Zt8Wm1Xp6Rv9Ks2Ld7Nf4Gb5Jc0Ya';
      let app: INestApplication;
      let base: string;
      beforeAll(async () => {
        app = await createTestApp({
          provider: 'hmac',
          jwtSecret: SECRET,
          audience: 'http://127.0.0.1:9/mcp',
          serverUrl: 'http://127.0.0.1:9',
          allowedOrigins: [INSPECTOR],
        });
        base = await appUrl(app);
      });
      afterAll(() => app.close());

      it('K114 native: evil Origin → 403; own origin, allowedOrigins entry, no Origin → 200 (the probe answers every method with 200)', async () => {
        const token = await signHmac(SECRET, { sub: 'alice', aud: 'http://127.0.0.1:9/mcp', exp: now() + 600, iat: now() });
        const call = (origin?: string) =>
          fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(origin ? { origin } : {}) } }).then((r) => r.status);
        expect({ evil: await call('http://evil.com'), own: await call('http://127.0.0.1:9'), inspector: await call(INSPECTOR), none: await call() }).toEqual({
          evil: 403,
          own: 200,
          inspector: 200,
          none: 200,
        });
      });
    });
  });

  describe('K116 reflected XSS and error_description', () => {
    const XSS = '<script>alert(1)</script>';

    it('K116 /oauth/authorize?client_id=<script>… → a 400 page where the value is never echoed raw', async () => {
      const res = await get(`${f.base}/oauth/authorize?client_id=%3Cscript%3Ealert(1)%3C/script%3E`);
      const html = await res.text();
      expect(res.status).toBe(400);
      expectSecurityHeaders(res, 'page');
      expect(html).not.toContain(XSS);
      expect(html).not.toMatch(/<script/i);
    });

    it('K116 hostile values in every reflected parameter (redirect_uri, state, scope, resource, response_type) and in a DCR client_name are escaped or not shown', async () => {
      const quote = `"><img src=x onerror=alert(1)>`;
      const dcr = await registerClient(f, [REDIRECT], { client_name: `${XSS}${quote}` });
      const pages = [
        await get(authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: `http://127.0.0.1:53000/${XSS}`, code_challenge: pkce().challenge })),
        await get(authorizeUrl(f, { client_id: `${quote}${XSS}`, redirect_uri: REDIRECT, code_challenge: pkce().challenge })),
        await get(startUrl({ state: `${XSS}${quote}`, scope: `mcp:read ${XSS}` })),
        await get(authorizeUrl(f, { client_id: dcr, redirect_uri: REDIRECT, code_challenge: pkce().challenge, state: XSS })),
        await get(`${f.base}/oauth/callback?state=${encodeURIComponent(XSS)}&code=${encodeURIComponent(quote)}`),
      ];
      for (const res of pages) {
        const html = await res.text();
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(html).not.toContain(XSS);
        expect(html).not.toContain(quote);
        expect(html).not.toMatch(/<script|<img/i);
      }
      // Values echoed into a redirect are URL-encoded by construction.
      const redirect = await get(startUrl({ state: XSS, response_type: XSS }));
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('location')).not.toContain('<');
    });

    it('K116 every error_description in the module’s source is made of %x20-21 / %x23-5B / %x5D-7E only', () => {
      const texts = [
        ...descriptionsInSource(join(process.cwd(), 'src')).map((d) => ({ where: d.file.replace(process.cwd(), ''), text: d.text })),
        ...Object.entries(TOKEN_MESSAGES).map(([k, text]) => ({ where: `TOKEN_MESSAGES.${k}`, text })),
        ...Object.entries(oauthErrors)
          .filter(([, cls]) => typeof cls === 'function' && cls.prototype instanceof oauthErrors.OAuthError)
          .map(([name, cls]) => ({
            where: `${name} default`,
            text: new (cls as unknown as new (...a: unknown[]) => oauthErrors.OAuthError)(...(name === 'InsufficientScopeError' ? [['x']] : [])).description,
          })),
      ];
      expect(texts.length).toBeGreaterThan(80);
      expect(texts.filter((t) => !DESCRIPTION_CHARSET.test(t.text))).toEqual([]);
    });

    it('K116 every error_description the running module sends (bodies, redirects, WWW-Authenticate) is in the allowed set', async () => {
      const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
        fetch(`${f.base}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(body),
        });
      const json = (path: string, body: string) => fetch(`${f.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const responses = [
        await get(startUrl({ code_challenge: undefined, state: '"\\' })),
        await get(startUrl({ code_challenge_method: 'plain' })),
        await get(startUrl({ response_type: 'token' })),
        await get(startUrl({ resource: 'https://other.example.com' })),
        await get(`${startUrl()}&state=a&state=b`),
        await get(startUrl({ scope: 'x'.repeat(5000) })),
        await form('/oauth/token', {}),
        await form('/oauth/token', { grant_type: 'password' }),
        await form('/oauth/token', { grant_type: 'authorization_code', code: 'x', client_id: 'nope' }),
        await form('/oauth/token', { grant_type: 'authorization_code', code: 'x', client_id: NATIVE_APP.clientId }),
        await form('/oauth/token', { grant_type: 'authorization_code', code: 'x', client_id: NATIVE_APP.clientId, code_verifier: 'short' }),
        await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: NATIVE_APP.clientId, scope: '"bad\\scope"' }),
        await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: NATIVE_APP.clientId }),
        await form('/oauth/token', { grant_type: 'authorization_code', code: 'x', client_id: NATIVE_APP.clientId, resource: 'https://x' }),
        await form(
          '/oauth/token',
          { grant_type: 'authorization_code', code: 'x' },
          { authorization: `Basic ${Buffer.from(`${WEB_APP.clientId}:wrong`).toString('base64')}` },
        ),
        await form(
          '/oauth/token',
          { grant_type: 'authorization_code', code: 'x', client_secret: 'y' },
          { authorization: `Basic ${Buffer.from(`${WEB_APP.clientId}:wrong`).toString('base64')}` },
        ),
        await form('/oauth/token', { grant_type: 'authorization_code' }, { authorization: 'Bearer x' }),
        await form('/oauth/token', { 'grant_type[]': 'a' }),
        await json('/oauth/token', '{"grant_type":'),
        await json('/oauth/register', 'null'),
        await json('/oauth/register', '{"redirect_uris":["javascript:alert(1)"]}'),
        await json('/oauth/register', '{"redirect_uris":["https://a.example/cb"],"grant_types":["password"]}'),
        await json('/oauth/register', `{"redirect_uris":["https://a.example/cb"],"client_name":"${'n'.repeat(300)}"}`),
        await form('/oauth/register', { redirect_uris: 'x' }),
        await form('/oauth/revoke', { client_id: NATIVE_APP.clientId }),
        await fetch(`${f.base}/oauth/token`),
        await fetch(`${f.base}/mcp`, { method: 'POST' }),
        await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: 'Bearer a.b.c' } }),
        await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: 'Basic abc' } }),
        await fetch(`${f.base}/mcp?access_token=x`, { method: 'POST', headers: { authorization: `Bearer ${session.tokens.access_token}` } }),
        await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${session.tokens.access_token}`, origin: 'http://evil.com' } }),
      ];
      const descriptions: string[] = [];
      for (const res of responses) descriptions.push(...(await descriptionsOf(res)));
      expect(descriptions.length).toBeGreaterThanOrEqual(28);
      expect(descriptions.filter((d) => !DESCRIPTION_CHARSET.test(d))).toEqual([]);
    });
  });
});
