import { jest } from '@jest/globals';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorizeUrl, completeFlow, pkce, redeemCode, signedIn, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';

/*
 * security-cases.md group H: dynamic client registration at POST /oauth/register (RFC 7591).
 * Every rejection is a 400 (or 413) OAuth JSON error `{error, error_description}` with
 * `Cache-Control: no-store`, and leaves the store exactly as it was.
 *
 * Registrations are sent from a fresh loopback source address each (127.0.0.2, 127.0.0.3, …), so a
 * per-IP registration limit (H93) is only reached by the test that means to reach it.
 *
 * The catalogue numbers 83–94 without an 89; every number present has a test here.
 */

const WEB_APP_SECRET = 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb'; // the fixture's static confidential client
const NATIVE_REDIRECT = 'http://127.0.0.1:51000/callback';
const DAY = 86_400_000;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

let sourceCounter = 2;
/** A loopback source address not used before in this file. */
function freshSource(): string {
  const n = sourceCounter++;
  return `127.0.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}

/** A raw HTTP request from a chosen loopback source address (fetch cannot choose one). */
function send(url: string, method: string, body: string | undefined, headers: Record<string, string>, localAddress = freshSource()): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: the assertions on `error` will say so
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** POST /oauth/register with a raw body (JSON by default). */
function registerRaw(f: ProxyFixture, body: string, contentType: string | null = 'application/json', localAddress?: string): Promise<Reply> {
  return send(`${f.base}/oauth/register`, 'POST', body, contentType ? { 'content-type': contentType } : {}, localAddress);
}

const register = (f: ProxyFixture, metadata: unknown, localAddress?: string) => registerRaw(f, JSON.stringify(metadata), 'application/json', localAddress);

const storeKeys = (f: ProxyFixture) => [...f.store.keys()].sort();

/** The exact OAuth JSON error of the registration endpoint. */
function expectOAuthError(res: Reply, status: number | number[], error: string | string[]): void {
  const statuses = Array.isArray(status) ? status : [status];
  const errors = Array.isArray(error) ? error : [error];
  // One comparison, so a failure shows status, code and body together.
  expect({ status: res.status, error: res.json.error, body: res.text.slice(0, 300) }).toEqual({
    status: statuses.includes(res.status) ? res.status : status,
    error: errors.includes(res.json.error as string) ? res.json.error : error,
    body: res.text.slice(0, 300), // shown in the diff, never compared
  });
  expect(Object.keys(res.json).sort()).toEqual(['error', 'error_description']);
  expect(typeof res.json.error_description).toBe('string');
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
}

/** Sends a registration and asserts it was rejected as given and stored nothing. */
async function expectRejected(f: ProxyFixture, send: () => Promise<Reply>, status: number | number[], error: string | string[]): Promise<Reply> {
  const before = storeKeys(f);
  const res = await send();
  expectOAuthError(res, status, error);
  expect(storeKeys(f)).toEqual(before);
  return res;
}

/** Authenticates at the token endpoint with Basic; true when the credentials were accepted. */
async function basicAccepted(f: ProxyFixture, id: string, secret: string): Promise<boolean> {
  const basic = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
  const res = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' }, { authorization: `Basic ${basic}` });
  const body = (await res.json()) as { error: string };
  // Accepted credentials get past client authentication and fail on the bogus refresh token.
  if (res.status === 400 && body.error === 'invalid_grant') return true;
  expect({ status: res.status, error: body.error }).toEqual({ status: 401, error: 'invalid_client' });
  return false;
}

/** A loopback HTTP server that counts every request (and connection) it receives. */
async function countingServer(): Promise<{ url: string; port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  server.on('connection', () => hits++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, hits: () => hits, close: () => new Promise((r) => server.close(() => r())) };
}

describe('H. Dynamic client registration at /oauth/register', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  it.each([
    ['javascript:alert(1)'],
    ['JAVASCRIPT:alert(1)'],
    ['javascript://app.example.com/%0aalert(1)'],
    ['vbscript:msgbox(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
    ['file:///etc/passwd'],
    ['blob:https://app.example.com/6f1c1b3e-0000-4000-8000-000000000000'],
    ['about:blank'],
  ])('H83 script schemes are never registrable as a redirect URI: %s', async (uri) => {
    await expectRejected(f, () => register(f, { redirect_uris: [uri], token_endpoint_auth_method: 'none' }), 400, 'invalid_redirect_uri');
    // Hidden behind a valid first entry: still rejected as a whole.
    await expectRejected(
      f,
      () => register(f, { redirect_uris: ['https://app.example.com/callback', uri], token_endpoint_auth_method: 'none' }),
      400,
      'invalid_redirect_uri',
    );
  });

  it.each([
    ['https://app.example.com/cb#frag'],
    ['https://app.example.com/cb#'],
    ['http://127.0.0.1:51000/callback#x'],
    ['https://app.example.com/cb?x=1#frag'],
  ])('H84 a redirect URI with a fragment is rejected: %s', async (uri) => {
    await expectRejected(f, () => register(f, { redirect_uris: [uri], token_endpoint_auth_method: 'none' }), 400, 'invalid_redirect_uri');
  });

  it.each([
    ['http://app.example.com/cb', 'plain http, not loopback'],
    ['https://*.example.com/cb', 'wildcard host'],
    ['https://app.example.com/*', 'wildcard path'],
    ['not-a-uri', 'relative'],
    ['/callback', 'relative path'],
    ['myapp:/cb', 'private-use scheme without a dot (none is allowed unless the operator lists it)'],
    ['com.example.app:/cb', 'private-use scheme the operator has not allowed'],
    ['http://127.0.0.1.nip.io/cb', 'a public name that merely starts with a loopback address'],
    ['http://localhost.evil.com/cb', 'a public name that merely starts with localhost'],
    ['http://127.0.0.1:8080@evil.com/cb', 'credentials that make evil.com the host'],
    ['https://user:pass@app.example.com/cb', 'credentials'],
    ['http://0x7f000001/cb', 'hex loopback (not a loopback literal)'],
    ['http://127.1/cb', 'short loopback (not a loopback literal)'],
    ['HTTPS://APP.EXAMPLE.COM/cb', 'non-canonical scheme and host'],
    ['https://app.example.com/a/../cb', 'dot segments'],
    ['https://app.example.com\\@evil.com/cb', 'backslash'],
    [' https://app.example.com/cb', 'leading space'],
    ['https://app.example.com/c b', 'space'],
    ['ws://127.0.0.1/cb', 'websocket scheme'],
  ])('H85 other bad redirect URIs are rejected: %s (%s)', async (uri) => {
    // On "private scheme without a dot": this design accepts no private-use scheme at all unless the
    // operator lists it (OAUTH_ALLOWED_CLIENT_REDIRECT_SCHEMES, which may name dotless ones such as
    // `cursor`), so an anonymous registrant can never pick one; both spellings are refused here.
    await expectRejected(f, () => register(f, { redirect_uris: [uri], token_endpoint_auth_method: 'none' }), 400, 'invalid_redirect_uri');
  });

  it.each<[string, string, string | null, string]>([
    ['a JSON null', 'null', 'application/json', 'invalid_client_metadata'],
    ['a JSON array', '[]', 'application/json', 'invalid_client_metadata'],
    ['a JSON array of numbers', '[123]', 'application/json', 'invalid_client_metadata'],
    ['a JSON string', '"https://app.example.com/cb"', 'application/json', 'invalid_client_metadata'],
    ['a JSON number', '123', 'application/json', 'invalid_client_metadata'],
    ['malformed JSON', '{"redirect_uris":', 'application/json', 'invalid_client_metadata'],
    ['an empty object', '{}', 'application/json', 'invalid_redirect_uri'],
    ['redirect_uris as a string', '{"redirect_uris":"https://a/cb"}', 'application/json', 'invalid_redirect_uri'],
    ['redirect_uris as [123]', '{"redirect_uris":[123]}', 'application/json', 'invalid_redirect_uri'],
    ['redirect_uris as [null]', '{"redirect_uris":[null]}', 'application/json', 'invalid_redirect_uri'],
    ['redirect_uris as []', '{"redirect_uris":[]}', 'application/json', 'invalid_redirect_uri'],
    ['redirect_uris as null', '{"redirect_uris":null}', 'application/json', 'invalid_redirect_uri'],
    ['redirect_uris as an object', '{"redirect_uris":{"0":"https://app.example.com/cb"}}', 'application/json', 'invalid_redirect_uri'],
    ['a form-encoded body', 'redirect_uris=https%3A%2F%2Fapp.example.com%2Fcb', 'application/x-www-form-urlencoded', 'invalid_client_metadata'],
    ['text/plain JSON', '{"redirect_uris":["https://app.example.com/cb"]}', 'text/plain', 'invalid_client_metadata'],
    ['no Content-Type', '{"redirect_uris":["https://app.example.com/cb"]}', null, 'invalid_client_metadata'],
    ['client_name as a number', '{"redirect_uris":["https://app.example.com/cb"],"client_name":42}', 'application/json', 'invalid_client_metadata'],
    ['scope as an array', '{"redirect_uris":["https://app.example.com/cb"],"scope":["mcp:read"]}', 'application/json', 'invalid_client_metadata'],
  ])('H86 a badly shaped request is rejected: %s', async (_label, body, contentType, error) => {
    await expectRejected(f, () => registerRaw(f, body, contentType), 400, error);
  });

  it('H86 registration only answers POST: GET, PUT and DELETE get 405 with Allow, and store nothing', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const before = storeKeys(f);
      const res = await send(`${f.base}/oauth/register`, method, method === 'GET' ? undefined : '{"redirect_uris":["https://app.example.com/cb"]}', {
        'content-type': 'application/json',
      });
      expect({ method, status: res.status, allow: res.headers.allow }).toEqual({ method, status: 405, allow: 'POST, OPTIONS' });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(storeKeys(f)).toEqual(before);
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['grant_types implicit', { grant_types: ['implicit'] }],
    ['grant_types password', { grant_types: ['password'] }],
    ['grant_types password next to authorization_code', { grant_types: ['authorization_code', 'password'] }],
    ['grant_types client_credentials', { grant_types: ['client_credentials'] }],
    ['grant_types jwt-bearer', { grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] }],
    ['grant_types device_code', { grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'] }],
    ['grant_types as a string', { grant_types: 'authorization_code' }],
    ['response_types token', { response_types: ['token'] }],
    ['response_types code token', { response_types: ['code token'] }],
    ['response_types id_token next to code', { response_types: ['code', 'id_token'] }],
    ['token_endpoint_auth_method private_key_jwt', { token_endpoint_auth_method: 'private_key_jwt' }],
    ['token_endpoint_auth_method client_secret_jwt', { token_endpoint_auth_method: 'client_secret_jwt' }],
    ['token_endpoint_auth_method tls_client_auth', { token_endpoint_auth_method: 'tls_client_auth' }],
    ['token_endpoint_auth_method as a number', { token_endpoint_auth_method: 1 }],
  ])('H87 disallowed grants, response types and auth methods are refused: %s', async (_label, extra) => {
    await expectRejected(f, () => register(f, { redirect_uris: ['https://app.example.com/cb'], ...extra }), 400, 'invalid_client_metadata');
  });

  it('H87 what is accepted is what the response shows (authorization_code and refresh_token, code)', async () => {
    const res = await register(f, { redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'none' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' });
  });

  it('H88 client-chosen client_id and client_secret are ignored; nothing existing is overwritten', async () => {
    const res = await register(f, {
      redirect_uris: ['https://app.example.com/cb'],
      client_id: 'admin-client',
      client_secret: 'x',
      client_id_issued_at: 0,
      client_secret_expires_at: 1,
    });
    expect(res.status).toBe(201);
    const id = res.json.client_id as string;
    const secret = res.json.client_secret as string;
    expect(id).not.toBe('admin-client');
    expect(id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(secret).not.toBe('x');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(res.json.client_secret_expires_at).toBe(0);
    expect(res.json.client_id_issued_at).toBeGreaterThan(0);
    expect(await f.store.get('client:admin-client')).toBeUndefined();
    expect(await basicAccepted(f, 'admin-client', 'x')).toBe(false);
    expect(await basicAccepted(f, id, 'x')).toBe(false);
    expect(await basicAccepted(f, id, secret)).toBe(true);

    // A static client's id: the static client keeps its own secret, and 'x' opens nothing.
    const stat = await register(f, { redirect_uris: ['https://evil.example/cb'], client_id: 'web-app', client_secret: 'x' });
    expect(stat.status).toBe(201);
    expect(stat.json.client_id).not.toBe('web-app');
    expect(await basicAccepted(f, 'web-app', 'x')).toBe(false);
    expect(await basicAccepted(f, 'web-app', WEB_APP_SECRET)).toBe(true);

    // Another DCR client's id: that client's record is unchanged.
    const victim = await register(f, { redirect_uris: ['https://victim.example/cb'] });
    const stored = await f.store.get(`client:${victim.json.client_id as string}`);
    const attack = await register(f, {
      redirect_uris: ['https://evil.example/cb'],
      client_id: victim.json.client_id,
      client_secret: 'x',
      token_endpoint_auth_method: 'none',
    });
    expect(attack.status).toBe(201);
    expect(attack.json.client_id).not.toBe(victim.json.client_id);
    expect(attack.json.client_secret).toBeUndefined();
    expect(await f.store.get(`client:${victim.json.client_id as string}`)).toEqual(stored);
    expect(await basicAccepted(f, victim.json.client_id as string, victim.json.client_secret as string)).toBe(true);
    expect(await basicAccepted(f, victim.json.client_id as string, 'x')).toBe(false);
  });

  it.each<[string, string]>([
    ['10,000 redirect_uris', JSON.stringify({ redirect_uris: Array.from({ length: 10_000 }, (_, i) => `https://app.example.com/cb/${i}`) })],
    ['a 1 MB client_name', JSON.stringify({ redirect_uris: ['https://app.example.com/cb'], client_name: 'a'.repeat(1_048_576) })],
  ])('H90 an oversized body is refused with an OAuth error (413 or 400) and nothing is stored: %s', async (_label, body) => {
    await expectRejected(f, () => registerRaw(f, body), [400, 413], ['invalid_client_metadata', 'invalid_request', 'invalid_redirect_uri']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['21 redirect_uris', { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://app.example.com/cb/${i}`) }, 'invalid_redirect_uri'],
    ['a 201-character client_name', { redirect_uris: ['https://app.example.com/cb'], client_name: 'n'.repeat(201) }, 'invalid_client_metadata'],
    ['a 1,001-character scope', { redirect_uris: ['https://app.example.com/cb'], scope: 's'.repeat(1001) }, 'invalid_client_metadata'],
    [
      '11 grant_types',
      { redirect_uris: ['https://app.example.com/cb'], grant_types: Array.from({ length: 11 }, () => 'authorization_code') },
      'invalid_client_metadata',
    ],
    ['a 3,000-character redirect URI', { redirect_uris: [`https://app.example.com/${'p'.repeat(3000)}`] }, 'invalid_redirect_uri'],
  ])('H90 lists and strings over the per-field limits are refused and nothing is stored: %s', async (_label, metadata, error) => {
    await expectRejected(f, () => register(f, metadata), 400, error);
  });

  it.each([['<img src=x onerror=alert(1)>'], ['"><script>alert(1)</script>'], ["' onmouseover='alert(1)"], ['</title><svg onload=alert(1)>']])(
    'H91 client_name %s is HTML-escaped on the consent page',
    async (name) => {
      const res = await register(f, { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none', client_name: name });
      expect(res.status).toBe(201);
      const page = await fetch(
        authorizeUrl(f, { client_id: res.json.client_id as string, redirect_uri: 'https://app.example.com/cb', code_challenge: pkce().challenge }),
        {
          redirect: 'manual',
        },
      );
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).not.toContain(name);
      expect(html).not.toMatch(/<(img|script|svg)\b/i);
      expect(html).toContain(name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
      // And no script could run anyway: the page's CSP allows none.
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toMatch(/script-src|unsafe-inline/);
    },
  );

  it.each([['logo_uri'], ['client_uri'], ['policy_uri'], ['tos_uri']])('H91 %s "javascript:…" is dropped or rejected, never shown', async (field) => {
    const before = storeKeys(f);
    const res = await register(f, {
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'none',
      [field]: 'javascript:alert(document.cookie)',
    });
    if (res.status === 400) {
      expectOAuthError(res, 400, 'invalid_client_metadata');
      expect(storeKeys(f)).toEqual(before);
      return;
    }
    expect(res.status).toBe(201);
    expect(res.text).not.toContain('javascript:');
    expect(JSON.stringify(await f.store.get(`client:${res.json.client_id as string}`))).not.toContain('javascript:');
    const page = await fetch(
      authorizeUrl(f, { client_id: res.json.client_id as string, redirect_uri: 'https://app.example.com/cb', code_challenge: pkce().challenge }),
      {
        redirect: 'manual',
      },
    );
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('javascript:');
  });

  describe('H92 SSRF through metadata', () => {
    let target: Awaited<ReturnType<typeof countingServer>>;
    beforeAll(async () => {
      target = await countingServer();
    });
    afterAll(() => target.close());

    it.each<[string, (t: { url: string; port: number }) => Record<string, unknown>]>([
      ['jwks_uri at the cloud metadata address', () => ({ jwks_uri: 'http://169.254.169.254/latest/meta-data/' })],
      ['logo_uri at a loopback service port', (t) => ({ logo_uri: `http://127.0.0.1:${t.port}/` })],
      ['sector_identifier_uri file:///etc/passwd', () => ({ sector_identifier_uri: 'file:///etc/passwd' })],
      ['jwks_uri at a loopback server', (t) => ({ jwks_uri: `${t.url}/jwks.json` })],
      ['jwks_uri with private_key_jwt authentication', (t) => ({ jwks_uri: `${t.url}/jwks.json`, token_endpoint_auth_method: 'private_key_jwt' })],
      ['sector_identifier_uri at a loopback server', (t) => ({ sector_identifier_uri: `${t.url}/sector.json` })],
      ['request_uris at a loopback server', (t) => ({ request_uris: [`${t.url}/request.jwt`] })],
      [
        'client_uri, policy_uri, tos_uri and initiate_login_uri at a loopback server',
        (t) => ({
          client_uri: `${t.url}/client`,
          policy_uri: `${t.url}/policy`,
          tos_uri: `${t.url}/tos`,
          initiate_login_uri: `${t.url}/login`,
        }),
      ],
      [
        'logout URIs at a loopback server',
        (t) => ({
          backchannel_logout_uri: `${t.url}/logout`,
          frontchannel_logout_uri: `${t.url}/logout`,
          post_logout_redirect_uris: [`${t.url}/bye`],
        }),
      ],
    ])('H92 %s: rejected, or stored and never fetched through a whole sign-in', async (_label, fields) => {
      const hitsBefore = target.hits();
      const before = storeKeys(f);
      const res = await register(f, { redirect_uris: [NATIVE_REDIRECT], token_endpoint_auth_method: 'none', ...fields(target) });
      if (res.status === 400) {
        expectOAuthError(res, 400, ['invalid_client_metadata', 'invalid_redirect_uri']);
        expect(storeKeys(f)).toEqual(before);
      } else {
        expect(res.status).toBe(201);
        // Use the client for everything it can be used for: consent page, sign-in, code, refresh.
        const clientId = res.json.client_id as string;
        const { verifier, challenge } = pkce();
        const { callback } = await completeFlow(
          f,
          authorizeUrl(f, { client_id: clientId, redirect_uri: NATIVE_REDIRECT, code_challenge: challenge, resource: f.resource }),
        );
        const token = await redeemCode(f, callback, { verifier, redirectUri: NATIVE_REDIRECT, clientId });
        expect(token.status).toBe(200);
        const { refresh_token } = (await token.json()) as { refresh_token: string };
        expect((await tokenRequest(f, { grant_type: 'refresh_token', refresh_token, client_id: clientId })).status).toBe(200);
      }
      // Give any fire-and-forget fetch a moment to arrive before counting.
      await new Promise((r) => setTimeout(r, 100));
      expect(target.hits() - hitsBefore).toBe(0);
    });
  });

  describe('H93 registration flood', () => {
    afterEach(() => jest.restoreAllMocks());

    it('H93 the 21st registration within an hour from one IP gets 429 and is not stored (default limits)', async () => {
      // The shared fixture turns rate limits off; this one keeps the module's defaults.
      const g = await startProxyFixture({ rateLimits: undefined });
      try {
        const ip = '127.0.1.250';
        for (let i = 1; i <= 20; i++) {
          const res = await register(g, { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none', client_name: `flood ${i}` }, ip);
          expect({ i, status: res.status }).toEqual({ i, status: 201 });
        }
        const clients = (fx: ProxyFixture) => storeKeys(fx).filter((k) => k.startsWith('client:'));
        const before = clients(g);
        // Neither a spoofed X-Forwarded-For nor an invalid body gets around the limit.
        for (const headers of [{}, { 'x-forwarded-for': '203.0.113.7' }] as Record<string, string>[]) {
          const res = await send(
            `${g.base}/oauth/register`,
            'POST',
            JSON.stringify({ redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' }),
            { 'content-type': 'application/json', ...headers },
            ip,
          );
          expect({ status: res.status, error: res.json.error }).toEqual({ status: 429, error: expect.any(String) });
          expect(res.headers['cache-control']).toBe('no-store');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
        expect(clients(g)).toEqual(before);
        // Another address is not affected.
        expect((await register(g, { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' })).status).toBe(201);
      } finally {
        await g.close();
      }
    });

    it('H93 an unused registered client expires after its TTL (at most 180 days)', async () => {
      const res = await register(f, { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' });
      const id = res.json.client_id as string;
      expect(await f.store.get(`client:${id}`)).toBeDefined();
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 181 * DAY);
      expect(await f.store.get(`client:${id}`)).toBeUndefined();
      const page = await fetch(authorizeUrl(f, { client_id: id, redirect_uri: 'https://app.example.com/cb', code_challenge: pkce().challenge }), {
        redirect: 'manual',
      });
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
    });

    it('O6 a client in use stays registered: each day it is used renews its lifetime, with one store write that day', async () => {
      // The clock runs from noon UTC, so "the same day" cannot straddle midnight.
      const realNow = Date.now.bind(Date);
      const start = realNow();
      const noon = Math.floor(start / DAY) * DAY + DAY / 2;
      const clock = jest.spyOn(Date, 'now');
      const at = (days: number) => clock.mockImplementation(() => noon + days * DAY + (realNow() - start));
      at(0);
      const writes = jest.spyOn(f.store, 'set');
      try {
        const { clientId, tokens } = await signedIn(f);
        const clientWrites = () => writes.mock.calls.filter(([key]) => key === `client:${clientId}`).length;
        const afterSignIn = clientWrites();
        let refresh = tokens.refresh_token;
        const use = async () => {
          const res = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: refresh, client_id: clientId });
          expect(res.status).toBe(200);
          refresh = ((await res.json()) as { refresh_token: string }).refresh_token;
        };
        // The day it was first used: no rewrite of the client record per token request.
        await use();
        await use();
        expect(clientWrites()).toBe(afterSignIn);
        // Day 20 (refresh tokens live 30 days): renewed once, then not again that day.
        at(20);
        await use();
        await use();
        expect(clientWrites()).toBe(afterSignIn + 1);
        // Day 45: past the lifetime the first day gave it (30 days + 1), within the one day 20 gave it.
        at(45);
        expect(await f.store.get(`client:${clientId}`)).toBeDefined();
        at(52);
        expect(await f.store.get(`client:${clientId}`)).toBeUndefined();
      } finally {
        clock.mockRestore();
        writes.mockRestore();
      }
    });
  });

  it('H94 response hygiene: 201, random client_id and client_id_issued_at, no secret for "none", no-store', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const pub = await send(
      `${f.base}/oauth/register`,
      'POST',
      JSON.stringify({ redirect_uris: [NATIVE_REDIRECT], token_endpoint_auth_method: 'none', client_name: 'CLI' }),
      {
        'content-type': 'application/json',
        origin: 'https://evil.com',
      },
    );
    const t1 = Math.floor(Date.now() / 1000);
    expect(pub.status).toBe(201);
    expect(pub.headers['cache-control']).toBe('no-store');
    expect(pub.headers['content-type']).toMatch(/^application\/json/);
    expect(pub.headers['access-control-allow-origin']).not.toBe('https://evil.com');
    expect(pub.headers['access-control-allow-credentials']).toBeUndefined();
    expect(pub.json.client_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(pub.json.client_id_issued_at).toEqual(expect.any(Number));
    expect(Number.isInteger(pub.json.client_id_issued_at)).toBe(true);
    expect(pub.json.client_id_issued_at).toBeGreaterThanOrEqual(t0);
    expect(pub.json.client_id_issued_at).toBeLessThanOrEqual(t1);
    expect(pub.json).not.toHaveProperty('client_secret');
    expect(pub.json).not.toHaveProperty('client_secret_expires_at');
    expect(pub.text).not.toContain('null');
    expect(pub.json).toMatchObject({ redirect_uris: [NATIVE_REDIRECT], token_endpoint_auth_method: 'none', client_name: 'CLI' });

    const ids = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const conf = await register(f, { redirect_uris: ['https://app.example.com/cb'] });
      expect(conf.status).toBe(201);
      expect(conf.headers['cache-control']).toBe('no-store');
      expect(conf.json.token_endpoint_auth_method).toBe('client_secret_basic');
      expect(conf.json.client_secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
      expect(conf.json.client_secret_expires_at).toBe(0);
      ids.add(conf.json.client_id as string);
      secrets.add(conf.json.client_secret as string);
      // The secret is kept only as a hash.
      expect(JSON.stringify(await f.store.get(`client:${conf.json.client_id as string}`))).not.toContain(conf.json.client_secret as string);
    }
    ids.add(pub.json.client_id as string);
    expect(ids.size).toBe(4);
    expect(secrets.size).toBe(3);
  });
});

describe('H93 the total number of registered clients is capped', () => {
  it('beyond maxRegisteredClients, /oauth/register answers 503 temporarily_unavailable and stores nothing', async () => {
    const capped = await startProxyFixture({ maxRegisteredClients: 2 });
    try {
      const register = () =>
        fetch(`${capped.base}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' }),
        });
      expect((await register()).status).toBe(201);
      expect((await register()).status).toBe(201);
      const before = capped.store.keys().filter((k) => k.startsWith('client:')).length;
      const refused = await register();
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'Registration is closed: this server has reached its client limit',
      });
      expect(capped.store.keys().filter((k) => k.startsWith('client:')).length).toBe(before);
    } finally {
      await capped.close();
    }
  });
});
