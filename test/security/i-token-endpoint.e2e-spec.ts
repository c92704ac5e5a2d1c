import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { SecretBox } from '../../src/authorization-server/crypto/secret-box.js';
type UpstreamTokens = { access_token: string; refresh_token?: string };
import {
  authorizeUrl,
  completeFlow,
  FIXTURE_SECRET,
  pkce,
  redeemCode,
  registerClient,
  signedIn,
  startProxyFixture,
  tokenRequest,
  type ProxyFixture,
} from '../support/proxy-fixture.js';

/*
 * security-cases.md group I: POST /oauth/token. Every answer, success or error, is JSON with
 * `Cache-Control: no-store`; errors are exactly `{error, error_description}`; a rejected request
 * leaves the store as it was (compared key by key).
 *
 * The catalogue numbers 95–104 without a 97; every number present has a test here.
 */

const WEB_APP_SECRET = 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb'; // the fixture's static confidential client
/** A secret holding every character RFC 6749 §2.3.1 form-encoding changes: ':' '%' '+' ' ' '&' '=' '/'. */
const COLON_SECRET = 'Zk4:Pq8%Rt2+Wm6 Yx9&Lb3=Nc7/Hd5!Qa1';
const COLON_ID = 'urn:colon:app';
const APP_REDIRECT = 'https://app.example.com/callback';

const STATIC_CLIENTS = [
  { client_id: 'web-app', client_secret: WEB_APP_SECRET, redirect_uris: [APP_REDIRECT], client_name: 'Web App' },
  { client_id: 'native-app', redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'], client_name: 'Native App' },
  { client_id: COLON_ID, client_secret: COLON_SECRET, redirect_uris: [APP_REDIRECT], client_name: 'Colon App' },
];

type Session = Awaited<ReturnType<typeof signedIn>>;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function read(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the assertions say so
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
/** RFC 6749 §2.3.1: each part form-encoded, then joined by ':' and base64-encoded. */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;

const storeKeys = (f: ProxyFixture) => [...f.store.keys()].sort();

/** The exact OAuth error, with the hygiene every token-endpoint answer has (I103). */
function expectTokenError(res: Reply, status: number | number[], error: string): void {
  const statuses = Array.isArray(status) ? status : [status];
  expect({ status: res.status, error: res.json.error, body: res.text.slice(0, 300) }).toEqual({
    status: statuses.includes(res.status) ? res.status : status,
    error,
    body: res.text.slice(0, 300), // shown in the diff, never compared
  });
  expect(Object.keys(res.json).sort()).toEqual(['error', 'error_description']);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

/** Sends a token request and asserts the error and that nothing was stored or changed. */
async function expectRejected(f: ProxyFixture, send: () => Promise<Response>, status: number | number[], error: string): Promise<Reply> {
  const before = storeKeys(f);
  const res = await read(await send());
  expectTokenError(res, status, error);
  expect(storeKeys(f)).toEqual(before);
  return res;
}

const mcp = (f: ProxyFixture, token: string) => fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

/** signedIn with a chosen scope (signedIn itself asks for none, which grants every supported scope). */
async function signedInWithScope(f: ProxyFixture, scope: string): Promise<Session> {
  const redirectUri = 'http://127.0.0.1:51000/callback';
  const clientId = await registerClient(f, [redirectUri]);
  const { verifier, challenge } = pkce();
  const { callback } = await completeFlow(
    f,
    authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource, scope }),
  );
  const res = await redeemCode(f, callback, { verifier, redirectUri, clientId });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as Session['tokens'];
  return { clientId, verifier, challenge, redirectUri, tokens };
}

/** A fresh authorization code for a client (not yet redeemed). */
async function freshCode(f: ProxyFixture, clientId: string, redirectUri: string): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const { callback } = await completeFlow(
    f,
    authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource }),
  );
  return { code: callback.searchParams.get('code')!, verifier };
}

describe('I. Token endpoint and refresh', () => {
  let f: ProxyFixture;
  /** A signed-in public client shared by the tests that do not consume its tokens. */
  let s: Session;
  beforeAll(async () => {
    f = await startProxyFixture({ staticClients: STATIC_CLIENTS });
    s = await signedIn(f);
  });
  afterAll(() => f.close());

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('I95 %s on the token endpoint (and its /token alias) → 405 with Allow', async (method) => {
    for (const path of ['/oauth/token', '/token']) {
      const before = storeKeys(f);
      const res = await read(
        await fetch(`${f.base}${path}`, {
          method,
          ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token' }),
        }),
      );
      expect({ path, status: res.status, allow: res.headers.get('allow') }).toEqual({ path, status: 405, allow: 'POST, OPTIONS' });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.json.error).toEqual(expect.any(String));
      expect(storeKeys(f)).toEqual(before);
    }
  });

  it.each<[string, string]>([
    ['an empty body', ''],
    ['only a client_id', 'client_id=native-app'],
    ['a code but no grant_type', 'code=abc&client_id=native-app&code_verifier=' + 'a'.repeat(43)],
    ['grant_type given twice', 'grant_type=authorization_code&grant_type=refresh_token&client_id=native-app'],
    ['grant_type as an array', 'grant_type[]=authorization_code&client_id=native-app'],
    ['grant_type as an object', 'grant_type[$ne]=x&client_id=native-app'],
  ])('I95 a POST without a (single) grant_type → 400 invalid_request: %s', async (_label, body) => {
    await expectRejected(
      f,
      () => fetch(`${f.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
      400,
      'invalid_request',
    );
  });

  it.each<[string, Record<string, string>]>([
    ['password', { username: 'alice', password: 'alice' }],
    ['client_credentials', {}],
    ['implicit', {}],
    ['urn:ietf:params:oauth:grant-type:jwt-bearer', { assertion: 'eyJhbGciOiJub25lIn0.e30.' }],
    ['urn:ietf:params:oauth:grant-type:device_code', { device_code: 'x' }],
    ['urn:ietf:params:oauth:grant-type:token-exchange', { subject_token: 'x', subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }],
    ['urn:ietf:params:oauth:grant-type:saml2-bearer', { assertion: 'x' }],
    ['AUTHORIZATION_CODE', { code: 'x' }],
    ['refresh_token ', { refresh_token: 'x' }],
  ])('I96 grant_type=%s → 400 unsupported_grant_type, for public and confidential clients', async (grantType, extra) => {
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: grantType, client_id: s.clientId, scope: 'mcp:read', ...extra }),
      400,
      'unsupported_grant_type',
    );
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: grantType, ...extra }, { authorization: basic('web-app', WEB_APP_SECRET) }),
      400,
      'unsupported_grant_type',
    );
  });

  describe('I98 client authentication', () => {
    const bogusRefresh = { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' };

    it.each<[string, () => Promise<Response>]>([
      ['a wrong secret', () => tokenRequest(f, bogusRefresh, { authorization: basic('web-app', 'Wrong8Secret8Wrong8Secret8Wrong8!') })],
      ['an empty secret', () => tokenRequest(f, bogusRefresh, { authorization: basic('web-app', '') })],
      ['the secret of another client', () => tokenRequest(f, bogusRefresh, { authorization: basic('web-app', COLON_SECRET) })],
      ['an unknown client', () => tokenRequest(f, bogusRefresh, { authorization: basic('no-such-client', WEB_APP_SECRET) })],
      ['credentials that are not base64', () => tokenRequest(f, bogusRefresh, { authorization: 'Basic %%%not-base64%%%' })],
      ['credentials without a colon', () => tokenRequest(f, bogusRefresh, { authorization: `Basic ${Buffer.from('web-app').toString('base64')}` })],
      [
        'an unencoded client_id containing ":" (split at the first colon, so an unknown client)',
        () => tokenRequest(f, bogusRefresh, { authorization: `Basic ${Buffer.from(`${COLON_ID}:${COLON_SECRET}`).toString('base64')}` }),
      ],
    ])('I98 Basic with %s → 401 invalid_client with WWW-Authenticate: Basic', async (_label, send) => {
      const res = await expectRejected(f, send, 401, 'invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic( |$)/);
    });

    it.each<[string, Record<string, string>]>([
      ['a wrong client_secret in the body', { client_id: 'web-app', client_secret: 'Wrong8Secret8Wrong8Secret8Wrong8!' }],
      ['an unknown client_id in the body', { client_id: 'no-such-client' }],
      ['an unknown client_id with a secret in the body', { client_id: 'no-such-client', client_secret: WEB_APP_SECRET }],
      ['no client at all', {}],
      ['a confidential client_id without its secret', { client_id: 'web-app' }],
      ['a public client sending a client_secret', { client_id: 'native-app', client_secret: 'anything-at-all' }],
    ])('I98 %s → 400 or 401 invalid_client', async (_label, params) => {
      const res = await expectRejected(f, () => tokenRequest(f, { ...bogusRefresh, ...params }), [400, 401], 'invalid_client');
      // A 401 must carry a challenge (RFC 6749 §5.2); without the Authorization header it need not be Basic.
      if (res.status === 401) expect(res.headers.get('www-authenticate')).toBeTruthy();
    });

    it.each<[string, Record<string, string>, Record<string, string>]>([
      ['Basic and a body client_secret', { client_secret: WEB_APP_SECRET }, { authorization: basic('web-app', WEB_APP_SECRET) }],
      ['Basic and a different body client_secret', { client_secret: 'other' }, { authorization: basic('web-app', WEB_APP_SECRET) }],
      ['Basic for one client and a body client_id of another', { client_id: 'native-app' }, { authorization: basic('web-app', WEB_APP_SECRET) }],
    ])('I98 two authentication methods at once (%s) → 400 invalid_request', async (_label, params, headers) => {
      await expectRejected(f, () => tokenRequest(f, { ...bogusRefresh, ...params }, headers), 400, 'invalid_request');
    });

    it('I98 a percent-encoded ":" (and %, +, space, &, =, /) in Basic credentials is decoded: the code is redeemed', async () => {
      expect(COLON_SECRET).toContain(':');
      expect(basic(COLON_ID, COLON_SECRET)).not.toBe(`Basic ${Buffer.from(`${COLON_ID}:${COLON_SECRET}`).toString('base64')}`);
      const { code, verifier } = await freshCode(f, COLON_ID, APP_REDIRECT);
      const res = await read(
        await tokenRequest(
          f,
          { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: APP_REDIRECT },
          { authorization: basic(COLON_ID, COLON_SECRET) },
        ),
      );
      expect(res.status).toBe(200);
      expect(decodeJwt(res.json.access_token as string).client_id).toBe(COLON_ID);
    });
  });

  it('I99 refresh rotation: RT1 → RT2; reusing RT1 → invalid_grant, and RT2 and every access token of the grant are revoked', async () => {
    const a = await signedIn(f);
    const r1 = a.tokens.refresh_token;
    const first = await read(await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: r1, client_id: a.clientId }));
    expect(first.status).toBe(200);
    const r2 = first.json.refresh_token as string;
    const a2 = first.json.access_token as string;
    expect(r2).not.toBe(r1);
    expect(await mcp(f, a2)).toBe(201);

    const reuse = await read(await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: r1, client_id: a.clientId }));
    expectTokenError(reuse, 400, 'invalid_grant');
    await expectRejected(f, () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: r2, client_id: a.clientId }), 400, 'invalid_grant');
    expect(await mcp(f, a2)).toBe(401);
    expect(await mcp(f, a.tokens.access_token)).toBe(401);
  });

  it('I99 the same refresh token sent twice at once: one rotation at most, and the grant is then revoked', async () => {
    const a = await signedIn(f);
    const params = { grant_type: 'refresh_token', refresh_token: a.tokens.refresh_token, client_id: a.clientId };
    const replies = await Promise.all([tokenRequest(f, params), tokenRequest(f, params)].map(async (p) => read(await p)));
    const ok = replies.filter((r) => r.status === 200);
    expect(ok.length).toBeLessThanOrEqual(1);
    for (const r of replies.filter((x) => x.status !== 200)) expectTokenError(r, 400, 'invalid_grant');
    for (const r of ok) {
      expect(await mcp(f, r.json.access_token as string)).toBe(401);
      await expectRejected(f, () => tokenRequest(f, { ...params, refresh_token: r.json.refresh_token as string }), 400, 'invalid_grant');
    }
  });

  it('I100 scope escalation on refresh → 400 invalid_scope; a narrower scope is allowed', async () => {
    const narrow = await signedInWithScope(f, 'mcp:read');
    expect(narrow.tokens.scope).toBe('mcp:read');
    for (const scope of ['mcp:read mcp:admin', 'mcp:admin', 'mcp:write', 'mcp:read unknown:scope', 'openid']) {
      const res = await expectRejected(
        f,
        () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: narrow.tokens.refresh_token, client_id: narrow.clientId, scope }),
        400,
        'invalid_scope',
      );
      expect(res.text).not.toContain(scope);
    }
    // Malformed scope strings are refused the same way.
    for (const scope of ['mcp:read  mcp:read', ' mcp:read', 'mcp:read\tmcp:admin', '"mcp:read"']) {
      await expectRejected(
        f,
        () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: narrow.tokens.refresh_token, client_id: narrow.clientId, scope }),
        400,
        'invalid_scope',
      );
    }
    // signedIn asks for every scope: an unknown one is still refused, a narrower one is granted.
    const wide = await signedIn(f);
    await expectRejected(
      f,
      () =>
        tokenRequest(f, { grant_type: 'refresh_token', refresh_token: wide.tokens.refresh_token, client_id: wide.clientId, scope: 'mcp:read mcp:superuser' }),
      400,
      'invalid_scope',
    );
    const narrower = await read(
      await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: wide.tokens.refresh_token, client_id: wide.clientId, scope: 'mcp:read' }),
    );
    expect(narrower.status).toBe(200);
    expect(narrower.json.scope).toBe('mcp:read');
    expect(decodeJwt(narrower.json.access_token as string).scope).toBe('mcp:read');
  });

  it('I101 a refresh token issued to A and used by B → invalid_grant, and nothing changes for A', async () => {
    const a = await signedIn(f);
    const b = await signedIn(f, 'http://127.0.0.1:52000/callback');
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: a.tokens.refresh_token, client_id: b.clientId }),
      400,
      'invalid_grant',
    );
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: a.tokens.refresh_token }, { authorization: basic('web-app', WEB_APP_SECRET) }),
      400,
      'invalid_grant',
    );
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: a.tokens.refresh_token, client_id: 'native-app' }),
      400,
      'invalid_grant',
    );
    // An authorization code of A redeemed by B is refused too (with A's own verifier and redirect URI).
    const { code, verifier } = await freshCode(f, a.clientId, a.redirectUri);
    const res = await read(
      await tokenRequest(f, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: a.redirectUri, client_id: b.clientId }),
    );
    expectTokenError(res, 400, 'invalid_grant');
    expect(await mcp(f, a.tokens.access_token)).toBe(201);
  });

  it.each<[string, (f: ProxyFixture) => string]>([
    ['another origin', () => 'https://other.example.com'],
    ['another origin with the MCP path', () => 'https://other.example.com/mcp'],
    ['the MCP URL with a trailing slash', (fx) => `${fx.resource}/`],
    ['another path on this server', (fx) => `${fx.base}/other`],
    ['the MCP URL with a query', (fx) => `${fx.resource}?tenant=x`],
    ['the MCP URL with a fragment', (fx) => `${fx.resource}#x`],
    ['the MCP URL with another host spelling', (fx) => fx.resource.replace('localhost', '127.0.0.1')],
    ['the MCP URL in upper case', (fx) => fx.resource.toUpperCase()],
    ['a URN', () => 'urn:example:other'],
  ])('I102 resource=%s → 400 invalid_target (refresh and code), and tokens carry aud = the MCP URL', async (_label, resourceOf) => {
    const resource = resourceOf(f);
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: s.tokens.refresh_token, client_id: s.clientId, resource }),
      400,
      'invalid_target',
    );
    const { code, verifier } = await freshCode(f, s.clientId, s.redirectUri);
    await expectRejected(
      f,
      () => tokenRequest(f, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: s.redirectUri, client_id: s.clientId, resource }),
      400,
      'invalid_target',
    );
    // The code was not spent by the refused request; with this server's resource it yields aud = the MCP URL.
    const ok = await read(
      await tokenRequest(f, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: s.redirectUri,
        client_id: s.clientId,
        resource: f.resource,
      }),
    );
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.json.access_token as string).aud).toBe(f.resource);
  });

  it('I102 the origin as resource is accepted but the token still says aud = the canonical MCP URL; at /oauth/authorize a foreign resource is invalid_target', async () => {
    const { code, verifier } = await freshCode(f, s.clientId, s.redirectUri);
    const ok = await read(
      await tokenRequest(f, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: s.redirectUri,
        client_id: s.clientId,
        resource: f.base,
      }),
    );
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.json.access_token as string).aud).toBe(f.resource);
    expect(decodeJwt(s.tokens.access_token).aud).toBe(f.resource);

    const before = storeKeys(f);
    const res = await fetch(
      authorizeUrl(f, { client_id: s.clientId, redirect_uri: s.redirectUri, code_challenge: pkce().challenge, resource: 'https://other.example.com' }),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(s.redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_target');
    expect(storeKeys(f)).toEqual(before);
  });

  it('I103 a successful token response: JSON, Cache-Control no-store, Pragma no-cache, only RFC 6749 §5.1 members', async () => {
    const a = await signedIn(f);
    for (const res of [
      await read(await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: a.tokens.refresh_token, client_id: a.clientId })),
      await (async () => {
        const { code, verifier } = await freshCode(f, a.clientId, a.redirectUri);
        return read(
          await tokenRequest(f, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: a.redirectUri, client_id: a.clientId }),
        );
      })(),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(Object.keys(res.json).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
      expect(res.json.token_type).toBe('Bearer');
      expect(res.text).not.toContain('null');
    }
  });

  it.each<[string, () => Promise<Response>, number | number[], string]>([
    ['a GET (405)', () => fetch(`${f.base}/oauth/token?grant_type=refresh_token`), 405, 'invalid_request'],
    ['a missing grant_type', () => tokenRequest(f, { client_id: 'native-app' }), 400, 'invalid_request'],
    ['an unsupported grant_type carrying markup', () => tokenRequest(f, { grant_type: '<script>alert("I103")</script>' }), 400, 'unsupported_grant_type'],
    [
      'a Basic invalid_client',
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: basic('web-app', 'I103-wrong-secret') }),
      401,
      'invalid_client',
    ],
    [
      'an unknown client_id carrying markup',
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'x', client_id: '<b>I103</b>' }),
      [400, 401],
      'invalid_client',
    ],
    [
      'an unknown code',
      () => tokenRequest(f, { grant_type: 'authorization_code', code: 'I103-unknown-code', code_verifier: 'a'.repeat(43), client_id: 'native-app' }),
      400,
      'invalid_grant',
    ],
    [
      'an unknown refresh token',
      () => tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'I103-unknown-refresh', client_id: 'native-app' }),
      400,
      'invalid_grant',
    ],
    ['a 10 kB code', () => tokenRequest(f, { grant_type: 'authorization_code', code: 'I103'.repeat(2500), client_id: 'native-app' }), 400, 'invalid_request'],
    [
      'a text/plain body',
      () => fetch(`${f.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=refresh_token' }),
      400,
      'invalid_request',
    ],
    [
      'malformed JSON',
      () => fetch(`${f.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"I103' }),
      400,
      'invalid_request',
    ],
    [
      'a 2 MB form body',
      () =>
        fetch(`${f.base}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=refresh_token&refresh_token=${'I'.repeat(2_000_000)}`,
        }),
      [400, 413],
      'invalid_request',
    ],
  ])('I103 error response hygiene (%s): JSON {error, error_description}, no-store, no stack, no echo', async (_label, send, status, error) => {
    // The token endpoint never calls the upstream IdP here (its tokens stay server-side, I104), so
    // "no raw upstream body" comes down to: exactly {error, error_description}, fixed texts, no echo.
    const res = await expectRejected(f, send, status, error);
    expect(res.text).not.toMatch(/\n\s+at |Error:|node_modules|\/src\//);
    expect(res.text).not.toMatch(/<script|<b>|I103/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('I104 no token passthrough: the client gets tokens minted here (iss, aud, our keys); the IdP tokens stay sealed server-side', async () => {
    const a = await signedIn(f);
    const { access_token, refresh_token } = a.tokens;
    expect(Object.keys(a.tokens).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);

    // Minted here: our issuer, the MCP resource, and a key from our JWKS (not the IdP's).
    const header = decodeProtectedHeader(access_token);
    expect(header.typ).toBe('at+jwt');
    const ours = (await (await fetch(`${f.base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(access_token, createLocalJWKSet(ours), { issuer: f.base, audience: f.resource });
    expect(payload.client_id).toBe(a.clientId);
    const idpJwks = (await (await fetch(f.idp.jwksUri)).json()) as JSONWebKeySet;
    expect(idpJwks.keys.map((k) => k.kid)).not.toContain(header.kid);
    await expect(jwtVerify(access_token, createLocalJWKSet(idpJwks))).rejects.toThrow();

    // The upstream tokens exist, sealed under this grant, and are not what the client received.
    const sealed = await f.store.get<string>(`upstream-tokens:${payload.fid as string}`);
    expect(typeof sealed).toBe('string');
    const upstream = new SecretBox(FIXTURE_SECRET, 'upstream-tokens').open<UpstreamTokens>(sealed!)!;
    expect(upstream.access_token).toEqual(expect.any(String));
    const received = JSON.stringify(a.tokens);
    expect(received).not.toContain(upstream.access_token);
    if (upstream.refresh_token) expect(received).not.toContain(upstream.refresh_token);
    expect(access_token).not.toBe(upstream.access_token);
    expect(refresh_token).not.toBe(upstream.refresh_token);

    // Nowhere in the store in the clear, and not accepted at /mcp (the guard takes only our tokens).
    for (const key of f.store.keys()) {
      expect({ key, plain: JSON.stringify(await f.store.get(key)).includes(upstream.access_token) }).toEqual({ key, plain: false });
    }
    expect(await mcp(f, upstream.access_token)).toBe(401);
    expect(await mcp(f, access_token)).toBe(201);

    // A refresh is minted here too; the upstream refresh token never comes back.
    const refreshed = await read(await tokenRequest(f, { grant_type: 'refresh_token', refresh_token, client_id: a.clientId }));
    expect(refreshed.status).toBe(200);
    expect(refreshed.text).not.toContain(upstream.access_token);
    if (upstream.refresh_token) expect(refreshed.text).not.toContain(upstream.refresh_token);
    expect(decodeJwt(refreshed.json.access_token as string).iss).toBe(f.base);
  });
});
