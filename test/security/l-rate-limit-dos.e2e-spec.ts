import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import * as realCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { pool } from '../support/pool.js';

/*
 * security-cases.md group L (cases 118–124): per-IP rate limits, credential guessing, bearer floods,
 * abandoned flows, oversized inputs and a hanging upstream.
 *
 * `node:crypto` is wrapped (pass-through) before the sources load, so L120 can observe that client
 * secrets are compared with `timingSafeEqual` over fixed-length digests, whatever the guess.
 * "Other IPs" are other loopback source addresses (127.0.0.2, …), which the server sees as the peer.
 * Nothing here times a request (benchmarks do that): a request that must be answered "quickly" is
 * asserted by its status, and by finishing within the test's timeout.
 */

const comparisons: { a: number; b: number }[] = [];
jest.unstable_mockModule('node:crypto', () => {
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    comparisons.push({ a: a.byteLength, b: b.byteLength });
    return realCrypto.timingSafeEqual(a, b);
  };
  const dflt = (realCrypto as unknown as { default: typeof realCrypto }).default;
  return { ...realCrypto, timingSafeEqual, default: { ...dflt, timingSafeEqual } };
});

const { MemoryStore } = await import('../../src/store/memory.store.js');
const { OAUTH_MCP_KEY_STORE, OAUTH_MCP_TOKEN_CACHE } = await import('../../src/oauth-mcp.internal-constants.js');
const { TOKEN_MESSAGES } = await import('../../src/errors/messages.constant.js');
const { CapturingAuditSink } = await import('../support/capture.js');
const { authorizeUrl, pkce, registerClient, signedIn, startProxyFixture, tokenRequest } = await import('../support/proxy-fixture.js');
const { appUrl, createTestApp } = await import('../support/test-app.js');
const { generateTestKey, JwksServer } = await import('../support/jwks-server.js');
const { b64url, now, signWithKey } = await import('../support/tokens.js');
const { destroyAgents, rawRequest } = await import('../support/raw-http.js');
const { OidcStandin } = await import('../support/oidc-standin.js');
const { approve, get, issueCode, NATIVE_APP, redeem, upstreamLogin, WEB_APP } = await import('./flow-helpers.js');
type ProxyFixture = Awaited<ReturnType<typeof startProxyFixture>>;

const REDIRECT = 'http://127.0.0.1:54000/callback';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

/** The 429 every limited endpoint answers: Retry-After within the window, OAuth JSON, no-store. */
function expectTooManyRequests(res: { status: number; headers: Record<string, string | string[] | undefined>; body: string }, windowSeconds: number): void {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds).toBe(true);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(JSON.parse(res.body)).toEqual({ error: 'too_many_requests', error_description: 'Too many requests; retry later' });
}

afterAll(() => destroyAgents());

describe('L. Rate limiting and DoS', () => {
  describe('L118 limits per IP (defaults: authorize 100/15 min, token 50/15 min, register 20/h, revoke 50/15 min)', () => {
    let f: ProxyFixture;
    let audit: InstanceType<typeof CapturingAuditSink>;
    beforeAll(async () => {
      audit = new CapturingAuditSink();
      f = await startProxyFixture({ rateLimits: {}, auditSink: audit });
    });
    afterAll(() => f.close());

    const endpoints = [
      {
        name: 'authorize',
        limit: 100,
        window: 900,
        send: (ip: string) => rawRequest(authorizeUrl(f, { client_id: 'no-such-client' }), { localAddress: ip }),
        ok: 400,
      },
      {
        name: 'token',
        limit: 50,
        window: 900,
        send: (ip: string) =>
          rawRequest(`${f.base}/oauth/token`, {
            method: 'POST',
            headers: FORM,
            body: form({ grant_type: 'authorization_code', code: 'x', client_id: NATIVE_APP.clientId }),
            localAddress: ip,
          }),
        ok: 400,
      },
      {
        name: 'register',
        limit: 20,
        window: 3600,
        send: (ip: string) =>
          rawRequest(`${f.base}/oauth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
            localAddress: ip,
          }),
        ok: 201,
      },
      {
        name: 'revoke',
        limit: 50,
        window: 900,
        send: (ip: string) =>
          rawRequest(`${f.base}/oauth/revoke`, { method: 'POST', headers: FORM, body: form({ token: 'x', client_id: NATIVE_APP.clientId }), localAddress: ip }),
        ok: 200,
      },
    ];

    it.each(endpoints.map((e) => [e.name, e.limit + 1, e] as const))(
      'L118 the %s limit: request %i from one IP → 429 with Retry-After and too_many_requests; other IPs are unaffected',
      async (name, _nth, e) => {
        const first: number[] = [];
        for (let i = 0; i < e.limit; i++) first.push((await e.send('127.0.0.1')).status);
        expect(tally(first)).toEqual({ [e.ok]: e.limit });
        const limited = await e.send('127.0.0.1');
        expectTooManyRequests(limited, e.window);
        // A client-sent X-Forwarded-For does not buy a fresh bucket (no trusted proxies configured).
        const spoofed = await rawRequest(`${f.base}/oauth/${name}`, { method: 'POST', headers: { ...FORM, 'x-forwarded-for': '203.0.113.9' }, body: 'x=1' });
        expect(spoofed.status).toBe(429);
        // Other source addresses still get the endpoint's normal answer.
        expect((await e.send('127.0.0.2')).status).toBe(e.ok);
        expect((await e.send('127.0.0.3')).status).toBe(e.ok);
        const events = audit.events.filter((ev) => ev.type === 'rate_limited' && ev.reason === name);
        expect(events.length).toBeGreaterThanOrEqual(2);
        expect(events[0]).toMatchObject({ type: 'rate_limited', reason: name, ip: '127.0.0.1' });
      },
    );

    it('L118 consent and callback are not counted, and the well-known documents are never limited', async () => {
      // 127.0.0.1 is over every limit by now.
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/jwks.json', '/.well-known/oauth-protected-resource/mcp']) {
        expect((await rawRequest(`${f.base}${path}`)).status).toBe(200);
      }
      expect((await rawRequest(`${f.base}/oauth/consent`, { method: 'POST', headers: FORM, body: 'request_id=x&csrf_token=y' })).status).toBe(403);
      expect((await rawRequest(`${f.base}/oauth/callback?code=x&state=y`)).status).toBe(400);
    });
  });

  describe('L118 small custom limits: preflights are free, and the window resets', () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startProxyFixture({ rateLimits: { token: { limit: 3, windowSeconds: 60 } } });
    });
    afterAll(() => f.close());

    it('L118 OPTIONS preflights do not count; the 4th POST is 429 with Retry-After ≤ 60; after the window the IP is served again', async () => {
      const send = () => rawRequest(`${f.base}/oauth/token`, { method: 'POST', headers: FORM, body: 'grant_type=password' });
      for (let i = 0; i < 10; i++) {
        expect(
          (await rawRequest(`${f.base}/oauth/token`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } }))
            .status,
        ).toBe(204);
      }
      expect([(await send()).status, (await send()).status, (await send()).status]).toEqual([400, 400, 400]);
      expectTooManyRequests(await send(), 60);
      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000);
      try {
        expect((await send()).status).toBe(400);
      } finally {
        clock.mockRestore();
      }
    });
  });

  describe('L118 behind one trusted proxy (trustProxyHops 1): the client is the forwarded address, IPv6 counted by its /64', () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startProxyFixture({ trustProxyHops: 1, rateLimits: { token: { limit: 2, windowSeconds: 60 } } });
    });
    afterAll(() => f.close());

    it('L118 two addresses of one /64 share a bucket; another /64 and another IPv4 client have their own', async () => {
      const from = async (xff: string) =>
        (await rawRequest(`${f.base}/oauth/token`, { method: 'POST', headers: { ...FORM, 'x-forwarded-for': xff }, body: 'grant_type=password' })).status;
      expect([await from('2001:db8:1:2::a'), await from('2001:db8:1:2:ffff::b')]).toEqual([400, 400]);
      expect(await from('2001:DB8:1:2:0:0:0:c')).toBe(429);
      expect(await from('2001:db8:1:3::a')).toBe(400);
      // The client's own entry is left of the proxy's: only the last hop is trusted.
      expect(await from('2001:db8:1:2::a, 198.51.100.7')).toBe(400);
      expect(await from('198.51.100.8')).toBe(400);
    });
  });

  describe('L120 guessing', () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startProxyFixture({ rateLimits: {} });
    });
    afterAll(() => f.close());

    it('L120 1,000 token requests with random codes → 50 invalid_grant, then 429; never a token', async () => {
      const replies = await pool(1000, 8, () =>
        rawRequest(`${f.base}/oauth/token`, {
          method: 'POST',
          headers: FORM,
          body: form({
            grant_type: 'authorization_code',
            code: randomBytes(32).toString('base64url'),
            code_verifier: randomBytes(32).toString('base64url'),
            client_id: NATIVE_APP.clientId,
          }),
          localAddress: '127.0.0.4',
        }),
      );
      expect(tally(replies.map((r) => r.status))).toEqual({ 400: 50, 429: 950 });
      expect(replies.filter((r) => r.body.includes('access_token'))).toEqual([]);
      expect(new Set(replies.filter((r) => r.status === 400).map((r) => JSON.parse(r.body).error))).toEqual(new Set(['invalid_grant']));
    });

    it('L120 1,000 random client secrets (Basic) → 50 invalid_client, then 429; the real secret is then refused too until the window ends', async () => {
      const replies = await pool(1000, 8, () =>
        rawRequest(`${f.base}/oauth/token`, {
          method: 'POST',
          headers: { ...FORM, authorization: basic(WEB_APP.clientId, randomBytes(24).toString('base64url')) },
          body: form({ grant_type: 'refresh_token', refresh_token: 'x' }),
          localAddress: '127.0.0.5',
        }),
      );
      expect(tally(replies.map((r) => r.status))).toEqual({ 401: 50, 429: 950 });
      const real = await rawRequest(`${f.base}/oauth/token`, {
        method: 'POST',
        headers: { ...FORM, authorization: basic(WEB_APP.clientId, WEB_APP.secret) },
        body: form({ grant_type: 'refresh_token', refresh_token: 'x' }),
        localAddress: '127.0.0.5',
      });
      expect(real.status).toBe(429);
    });

    it('L120 client secrets, PKCE verifiers, CSRF tokens and state bindings are compared in constant time (code review, and the comparisons observed)', async () => {
      // Code review: every secret comparison goes through safeEqual, which compares SHA-256 digests of
      // equal length with crypto.timingSafeEqual (the length of the guess never shows).
      const random = readFileSync('src/authorization-server/crypto/random.ts', 'utf8');
      expect(random).toMatch(/timingSafeEqual\(x, y\)/);
      expect(random).toMatch(/const x = Buffer\.from\(sha256\(a\)\)/);
      expect(readFileSync('src/authorization-server/token-endpoint/client-authenticator.ts', 'utf8')).toMatch(
        /safeEqual\(sha256\(secret\), client\.client_secret_hash\)/,
      );
      expect(readFileSync('src/authorization-server/grants/pkce.ts', 'utf8')).toMatch(/safeEqual\(/);
      const flow = readFileSync('src/authorization-server/authorize/authorization-flow.service.ts', 'utf8');
      expect(flow).toMatch(/safeEqual\(sha256\(csrf\), record\.csrfHash\)/);
      expect(flow).toMatch(/safeEqual\(sha256\(binding\), record\.bindingHash\)/);

      // Observed: a 1-character guess, a 1,000-character guess and the right secret each cost exactly
      // the same comparisons, all of two 43-byte digests. No test measures time.
      const g = await startProxyFixture();
      try {
        const observe = async (secret: string) => {
          comparisons.length = 0;
          const res = await tokenRequest(g, { grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: basic(WEB_APP.clientId, secret) });
          return { status: res.status, comparisons: [...comparisons] };
        };
        const short = await observe('x');
        const long = await observe('y'.repeat(1000));
        const right = await observe(WEB_APP.secret);
        expect(short).toEqual({ status: 401, comparisons: [{ a: 43, b: 43 }] });
        expect(long).toEqual(short);
        expect(right).toEqual({ status: 400, comparisons: [{ a: 43, b: 43 }] }); // authenticated; the refresh token is what fails
      } finally {
        await g.close();
      }
    });
  });

  describe('L121 bearer flood (native mode, JWKS)', () => {
    const AUD = 'http://127.0.0.1:9/mcp';
    let idp: InstanceType<typeof JwksServer>;
    let app: INestApplication;
    let base: string;
    let rsa: Awaited<ReturnType<typeof generateTestKey>>;
    beforeAll(async () => {
      rsa = await generateTestKey('RS256', 'rsa-1');
      idp = await new JwksServer().start();
      idp.keys = [rsa.publicJwk];
      app = await createTestApp({
        provider: 'oidc',
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        audience: AUD,
        serverUrl: 'http://127.0.0.1:9',
        scopes: ['mcp:read'],
      });
      base = await appUrl(app);
    });
    afterAll(async () => {
      await app.close();
      await idp.stop();
    });

    it('L121 10,000 random invalid JWTs to /mcp → 10,000 × 401 invalid_token, rejected before any key fetch, with no JWKS fetch and no cache growth', async () => {
      const valid = await signWithKey(rsa, { sub: 'alice', iss: idp.issuer, aud: AUD, exp: now() + 600, iat: now(), scope: 'mcp:read' });
      expect((await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${valid}` } })).status).toBe(200);
      const cache = app.get<{ size: number }>(OAUTH_MCP_TOKEN_CACHE);
      const keys = app.get<{ fetchCount: number }>(OAUTH_MCP_KEY_STORE);
      const before = { cache: cache.size, jwks: idp.jwksRequests, fetches: keys.fetchCount };
      expect(before.cache).toBe(1);

      const rnd = (n: number) => randomBytes(n).toString('base64url');
      const kinds = [
        () => rnd(40), // not JWS-shaped
        () => `${rnd(20)}.${rnd(60)}.${rnd(64)}`, // JWS-shaped, random bytes
        () => `${b64url({ alg: 'RS256', typ: 'JWT', kid: rnd(8) })}.${b64url({ sub: 'x', iss: idp.issuer, aud: AUD, exp: now() + 600 })}.${rnd(256)}`, // random kid
        () => `${b64url({ alg: 'RS256', typ: 'JWT', kid: rsa.kid })}.${b64url({ sub: 'x', iss: idp.issuer, aud: AUD, exp: now() + 600 })}.${rnd(256)}`, // known kid, forged signature
      ];
      const replies = await pool(10_000, 32, async (i) => {
        const res = await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${kinds[i % kinds.length]()}` } });
        const body = (await res.json()) as { error: string; error_description: string };
        return { status: res.status, error: body.error, description: body.error_description, kind: i % kinds.length };
      });
      expect(tally(replies.map((r) => r.status))).toEqual({ 401: 10_000 });
      expect(new Set(replies.map((r) => r.error))).toEqual(new Set(['invalid_token']));
      // Where each kind stopped: garbage at extraction or header parsing, a random kid at the key
      // lookup (in memory, no fetch), a forged signature at the signature check.
      const byKind = (k: number) => new Set(replies.filter((r) => r.kind === k).map((r) => r.description));
      expect(byKind(0)).toEqual(new Set([TOKEN_MESSAGES.malformed]));
      expect(byKind(1)).toEqual(new Set([TOKEN_MESSAGES.malformed]));
      expect(byKind(2)).toEqual(new Set([TOKEN_MESSAGES.unknownKey]));
      expect(byKind(3)).toEqual(new Set([TOKEN_MESSAGES.signature]));
      // At most one refetch per cooldown window (30 s): here none, the startup fetch is recent.
      expect(idp.jwksRequests - before.jwks).toBeLessThanOrEqual(1);
      expect(keys.fetchCount - before.fetches).toBeLessThanOrEqual(1);
      expect(cache.size).toBe(before.cache);
      // The valid token still works, from the cache.
      expect((await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${valid}` } })).status).toBe(200);
    }, 120_000);
  });

  describe('L122 abandoned flows', () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startProxyFixture();
    });
    afterAll(() => f.close());

    const start = () =>
      get(authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, resource: f.resource }));
    const flowKeys = (prefix: string) => f.store.keys().filter((k) => k.startsWith(prefix));

    it('L122 10,000 authorize starts that never complete: one pending entry each, within the store bound, each gone after its 10-minute TTL', async () => {
      const before = flowKeys('consent-req:').length;
      const statuses = await pool(10_000, 32, async () => {
        const res = await start();
        await res.arrayBuffer();
        return res.status;
      });
      expect(tally(statuses)).toEqual({ 200: 10_000 });
      const pending = flowKeys('consent-req:');
      expect(pending.length - before).toBe(10_000);
      expect(f.store.keys().length).toBeLessThanOrEqual(100_000);

      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 599_000);
      try {
        // Still there just before the TTL…
        expect((await Promise.all(pending.slice(0, 100).map((k) => f.store.get(k)))).every((v) => v !== undefined)).toBe(true);
        clock.mockImplementation(() => realNow() + 601_000);
        // …and every one of them dead after it; reading an expired entry also drops it.
        expect((await Promise.all(pending.map((k) => f.store.get(k)))).filter((v) => v !== undefined)).toEqual([]);
      } finally {
        clock.mockRestore();
      }
      expect(flowKeys('consent-req:')).toEqual([]);
    }, 120_000);

    it('L122 approved but abandoned upstream sign-ins, and issued but unredeemed codes, expire too (10 min, 60 s)', async () => {
      const approvals = await pool(200, 16, () =>
        approve(f, authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge })),
      );
      expect(approvals.every((a) => a.approval.status === 303)).toBe(true);
      const states = flowKeys('upstream-state:');
      expect(states.length).toBeGreaterThanOrEqual(200);
      const issued = await issueCode(f, { redirectUri: REDIRECT });
      const codes = flowKeys('code:');
      expect(codes.length).toBeGreaterThanOrEqual(1);
      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000);
      try {
        expect((await Promise.all(codes.map((k) => f.store.get(k)))).filter(Boolean)).toEqual([]);
        clock.mockImplementation(() => realNow() + 601_000);
        expect((await Promise.all(states.map((k) => f.store.get(k)))).filter(Boolean)).toEqual([]);
      } finally {
        clock.mockRestore();
      }
      expect((await redeem(f, issued)).status).toBe(400);
    });

    it('L122 a flood of abandoned flows past the store bound never evicts security state (revocations, refresh-token families, clients)', async () => {
      // The same principle at a size a test can reach: a MemoryStore bounded at 2,000 entries
      // (the default is 100,000) and 2,500 abandoned starts.
      const store = new MemoryStore(2_000);
      const g = await startProxyFixture({ store });
      try {
        const revoked = await signedIn(g);
        const r = await fetch(`${g.base}/oauth/revoke`, {
          method: 'POST',
          headers: FORM,
          body: form({ token: revoked.tokens.refresh_token, client_id: revoked.clientId }),
        });
        expect(r.status).toBe(200);
        expect((await fetch(`${g.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${revoked.tokens.access_token}` } })).status).toBe(401);
        const live = await signedIn(g);
        const dcrClient = await registerClient(g, [REDIRECT]);

        await pool(2_500, 32, async () => {
          const res = await get(authorizeUrl(g, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
          await res.arrayBuffer();
        });
        // The bound applies to flow entries (evictable); security state is kept apart and never evicted.
        const flowKeys = store.keys().filter((k) => /^(consent-req|upstream-state|code|rate):/.test(k));
        expect(flowKeys.length).toBeLessThanOrEqual(2_000);

        const after = {
          revokedAccessToken: (await fetch(`${g.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${revoked.tokens.access_token}` } })).status,
          liveRefresh: (await tokenRequest(g, { grant_type: 'refresh_token', refresh_token: live.tokens.refresh_token, client_id: live.clientId })).status,
          dcrClientAuthorize: (await get(authorizeUrl(g, { client_id: dcrClient, redirect_uri: REDIRECT, code_challenge: pkce().challenge }))).status,
        };
        expect(after).toEqual({ revokedAccessToken: 401, liveRefresh: 200, dcrClientAuthorize: 200 });
      } finally {
        await g.close();
      }
    }, 60_000);
  });

  describe('L123 oversized inputs → 400, 413, 414 or 431, never 5xx, no ReDoS', () => {
    let f: ProxyFixture;
    let accessToken: string;
    beforeAll(async () => {
      f = await startProxyFixture();
      accessToken = (await signedIn(f)).tokens.access_token;
    });
    afterAll(() => f.close());

    const REJECTED = [400, 413, 414, 431];
    const expectRejected = (label: string, status: number) =>
      expect({ label, status: REJECTED.includes(status) ? 'rejected' : status }).toEqual({ label, status: 'rejected' });
    const hundredThousandScopes = Array.from({ length: 100_000 }, (_, i) => `s${i}`).join(' ');
    const state64k = 'S'.repeat(65_536);
    const tenMegabytes = `grant_type=authorization_code&code=${'c'.repeat(10 * 1024 * 1024)}`;
    const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

    it('L123 a scope of 100,000 values: in the authorize URL (431) and in a token request body (400/413)', async () => {
      const url = authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, scope: hundredThousandScopes });
      expectRejected('authorize', (await rawRequest(url)).status);
      const token = await rawRequest(`${f.base}/oauth/token`, {
        method: 'POST',
        headers: FORM,
        body: form({ grant_type: 'refresh_token', refresh_token: 'x', client_id: NATIVE_APP.clientId, scope: hundredThousandScopes }),
      });
      expectRejected('token', token.status);
      if (token.status === 400) expect(JSON.parse(token.body)).toEqual({ error: 'invalid_request', error_description: 'The request body is too large' });
    });

    it('L123 scope strings at the size limits hit no backtracking: 2,047 values then a bad character → invalid_scope; 5,000 characters at authorize → invalid_request', async () => {
      const scope = `${'a '.repeat(2047)}"`;
      const res = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'x', client_id: NATIVE_APP.clientId, scope });
      expect({ status: res.status, body: await res.json() }).toEqual({
        status: 400,
        body: { error: 'invalid_scope', error_description: 'The requested scope is invalid' },
      });
      const spaces = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'x', client_id: NATIVE_APP.clientId, scope: `a${' '.repeat(4000)}a` });
      expect(spaces.status).toBe(400);
      const auth = await get(
        authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, scope: 'm '.repeat(2500) }),
      );
      expect(auth.status).toBe(302);
      expect(new URL(auth.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    });

    it('L123 a 64 KB state at authorize and at the callback → 431; a 64 KB consent field → 400/403', async () => {
      expectRejected(
        'authorize',
        (await rawRequest(authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, state: state64k })))
          .status,
      );
      expectRejected('callback', (await rawRequest(`${f.base}/oauth/callback?code=x&state=${state64k}`)).status);
      const consent = await rawRequest(`${f.base}/oauth/consent`, {
        method: 'POST',
        headers: FORM,
        body: form({ request_id: state64k, csrf_token: 'x', decision: 'approve' }),
      });
      expect([400, 403, 413]).toContain(consent.status);
    });

    it('L123 a 10 MB body on every POST endpoint (token, register, revoke, consent, /mcp) → 400 or 413', async () => {
      const big = await Promise.all([
        rawRequest(`${f.base}/oauth/token`, { method: 'POST', headers: FORM, body: tenMegabytes }),
        rawRequest(`${f.base}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'n'.repeat(10 * 1024 * 1024) }),
        }),
        rawRequest(`${f.base}/oauth/revoke`, { method: 'POST', headers: FORM, body: tenMegabytes }),
        rawRequest(`${f.base}/oauth/consent`, { method: 'POST', headers: FORM, body: tenMegabytes }),
        rawRequest(`${f.base}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { p: 'p'.repeat(10 * 1024 * 1024) } }),
        }),
      ]);
      big.forEach((res, i) => {
        expect([400, 413]).toContain(res.status);
        expect(res.body).not.toMatch(/stack|at \w+ \(/);
        if (i < 4) expect(['invalid_request', 'invalid_client_metadata']).toContain(JSON.parse(res.body).error);
      });
    });

    it('L123 JSON nested 10,000 levels deep (objects and arrays) on register, token and /mcp → 4xx', async () => {
      const json = (path: string, body: string, headers: Record<string, string> = {}) =>
        rawRequest(`${f.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const replies = {
        registerObject: (await json('/oauth/register', deepJson(10_000))).status,
        registerArray: (await json('/oauth/register', deepArray(10_000))).status,
        registerInside: (await json('/oauth/register', `{"redirect_uris":${deepArray(10_000)}}`)).status,
        tokenObject: (await json('/oauth/token', deepJson(10_000))).status,
        mcpNoToken: (await json('/mcp', deepJson(10_000))).status,
        mcpBatch: (await json('/mcp', deepArray(10_000), { authorization: `Bearer ${accessToken}` })).status,
      };
      for (const [label, status] of Object.entries(replies)) {
        if (label === 'mcpBatch') expect({ label, status: status < 500 }).toEqual({ label, status: true });
        else expect({ label, status: status >= 400 && status < 500 }).toEqual({ label, status: true });
      }
      expect(replies.mcpNoToken).toBe(401);
    });

    it('L123 form bodies nested 10,000 levels deep or with 5,000 parameters → 400', async () => {
      const nested = `grant_type=${'['.repeat(0)}x&a${'[b]'.repeat(10_000)}=1`;
      const many = Array.from({ length: 5_000 }, (_, i) => `p${i}=1`).join('&');
      for (const body of [nested, many]) {
        const res = await rawRequest(`${f.base}/oauth/token`, { method: 'POST', headers: FORM, body });
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).error).toBe('invalid_request');
      }
    });
  });

  describe('L124 hanging upstream token endpoint', () => {
    let standin: InstanceType<typeof OidcStandin>;
    let f: ProxyFixture;
    beforeAll(async () => {
      standin = await new OidcStandin({ clientId: 'mcp-proxy', clientSecret: randomBytes(32).toString('base64url') }).start();
      // jwks.timeoutMs also bounds every upstream request (openid-client's timeout, rounded up to 1 s).
      f = await startProxyFixture({ issuer: standin.issuer, clientId: 'mcp-proxy', clientSecret: standin.options.clientSecret, jwks: { timeoutMs: 500 } });
    });
    afterAll(async () => {
      await f.close();
      await standin.stop();
    });

    const startUrl = () => authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge, resource: f.resource });

    it('L124 control: with an answering upstream the stand-in flow completes (302 with our code)', async () => {
      standin.tokenMode = 'ok';
      const pending = await approve(f, startUrl());
      const back = await upstreamLogin(f, pending.upstream);
      const res = await get(back.href, pending.cookies);
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get('location')!).searchParams.has('code')).toBe(true);
    });

    it.each([
      ['never answers', 504, 'hang'],
      ['sends headers and stalls the body', 504, 'stall-body'],
      ['answers 500', 502, 'error-500'],
    ] as const)(
      'L124 the upstream token endpoint %s → the callback answers %i (a page, no code, one upstream request, state spent)',
      async (_label, status, mode) => {
        standin.tokenMode = mode;
        const pending = await approve(f, startUrl());
        const back = await upstreamLogin(f, pending.upstream);
        const before = standin.tokenRequests;
        const codesBefore = f.store.keys().filter((k) => k.startsWith('code:')).length;
        let settled = false;
        const callback = get(back.href, pending.cookies).then((r) => {
          settled = true;
          return r;
        });
        // Workers are not blocked while the exchange waits: other requests are served meanwhile.
        if (mode !== 'error-500') {
          const meanwhile = await get(`${f.base}/.well-known/oauth-authorization-server`);
          expect(meanwhile.status).toBe(200);
          expect((await get(startUrl())).status).toBe(200);
          expect(settled).toBe(false);
        }
        const res = await callback;
        const html = await res.text();
        expect(res.status).toBe(status);
        expect(res.headers.get('location')).toBeNull();
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(html).toMatch(/The identity provider (could not complete the sign-in|did not answer in time)/);
        expect(html).not.toContain(standin.options.clientSecret);
        expect(standin.tokenRequests - before).toBe(1); // no retry storm
        expect(f.store.keys().filter((k) => k.startsWith('code:')).length).toBe(codesBefore);
        // The state is spent: replaying the callback does not start another exchange.
        const replay = await get(back.href, pending.cookies);
        expect(replay.status).toBe(400);
        expect(standin.tokenRequests - before).toBe(1);
      },
      10_000,
    );
  });
});
