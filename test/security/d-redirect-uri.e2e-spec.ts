import { ALLOWED, openRedirectPayloads } from './data/open-redirect-payloads.js';
import { authorizeUrl, cookieHeader, pkce, registerClient, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { expectErrorRedirect, expectPageHeaders, expectRejectedPage, get, NATIVE_APP, storeSnapshot, WEB_APP } from './flow-helpers.js';

/**
 * Security catalogue group D (cases 40–56): the redirect URI at /oauth/authorize. Unless a case says
 * otherwise the answer is "rejected, no redirect": 400 with an HTML error page, no Location (so no
 * redirect to the client nor to the upstream IdP), and nothing stored (no `consent-req:`,
 * `upstream-state:` or `code:` key — in fact no key at all).
 */

const { challenge: CHALLENGE } = pkce();

/**
 * Open-redirect payloads built from the same tricks as oauth2-proxy's testdata/openredirects.txt
 * (generated here rather than copied); `ALLOWED` is the host the test swaps for a trusted one.
 */
const OPEN_REDIRECTS = openRedirectPayloads();

describe('D. Redirect URI at /oauth/authorize', () => {
  let f: ProxyFixture;
  /** A DCR client registered like the catalogue's native client (http://127.0.0.1/callback). */
  let dcrNative: string;

  beforeAll(async () => {
    f = await startProxyFixture();
    dcrNative = await registerClient(f, ['http://127.0.0.1/callback']);
  });
  afterAll(() => f.close());

  /** An authorize request that must be "rejected, no redirect" and store nothing. */
  async function expectRejected(params: Record<string, string | undefined>, error = 'invalid_request'): Promise<void> {
    const snapshot = storeSnapshot(f);
    const res = await get(authorizeUrl(f, { code_challenge: CHALLENGE, resource: f.resource, ...params }));
    await expectRejectedPage(res, error);
    expect(snapshot.added()).toEqual([]);
  }

  /** An authorize request that must be accepted: the consent page (no upstream redirect yet, no state stored). */
  async function expectConsentPage(params: Record<string, string | undefined>): Promise<string> {
    const snapshot = storeSnapshot(f);
    const res = await get(authorizeUrl(f, { code_challenge: CHALLENGE, resource: f.resource, ...params }));
    const html = await res.text();
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 200, location: null });
    expectPageHeaders(res);
    const added = snapshot.added();
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^consent-req:/);
    return html;
  }

  it('D40 unregistered host: https://evil.com/callback → rejected, no redirect', async () => {
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: 'https://evil.com/callback' });
  });

  it.each([
    'https://app.example.com/callback/',
    'https://app.example.com/Callback',
    'https://APP.example.com/callback',
    'https://app.example.com:443/callback',
    'https://app.example.com/callback?x=1',
    'https://app.example.com/callback#x',
    'https://app.example.com/callback/../callback',
    'https://app.example.com/%63allback',
    'HTTPS://app.example.com/callback',
    'https://app.example.com./callback',
    'https://app.example.com/callback?',
    'https://app.example.com/callback#',
    'https://app.example.com/./callback',
    'https://app.example.com//callback',
    'https://app.example.com/callback%2f',
    'https://app.example.com/callback;x',
    'http://app.example.com/callback',
    ' https://app.example.com/callback',
    'https://app.example.com/callback ',
  ])('D41 near-miss of the registered URI %j → rejected, no redirect', async (uri) => {
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: uri });
  });

  it.each([
    'https://app.example.com@evil.com/callback',
    'https://evil.com\\@app.example.com/callback',
    'https://evil.com#@app.example.com/callback',
    'https://evil.com?@app.example.com/callback',
    'https://app.example.com.evil.com/callback',
    'https://evilapp.example.com/callback',
    'https://app.example.com%2eevil.com/callback',
    'https://app.example.com%2F@evil.com/callback',
    'https://user:pass@app.example.com/callback',
    'https://app.example.com:@evil.com/callback',
    'https://evil.com/app.example.com/callback',
    'https://evil.com/https://app.example.com/callback',
  ])('D42 authority confusion %j → rejected, no redirect', async (uri) => {
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: uri });
  });

  it.each([
    '//evil.com/callback',
    '/\\evil.com',
    'https:/\\evil.com/callback',
    'https:\\\\evil.com\\callback',
    '/%09/evil.com',
    '/%5cevil.com',
    '///evil.com/callback',
    '\\\\evil.com\\callback',
    'https:evil.com/callback',
    'https:///evil.com/callback',
    '/callback',
    'callback',
  ])('D43 scheme-relative / backslash form %j → rejected, no redirect', async (uri) => {
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: uri });
  });

  it('D43 open-redirect corpus (scheme-relative, backslash, encoded, userinfo, suffix-domain, numeric-IP, script-scheme payloads) → rejected, no redirect, with the allowed host swapped for ours and appended to our origin', async () => {
    expect(OPEN_REDIRECTS.length).toBeGreaterThanOrEqual(550);
    const cases: { clientId: string; uri: string }[] = [];
    for (const line of OPEN_REDIRECTS) {
      cases.push({ clientId: WEB_APP.clientId, uri: line });
      if (line.includes(ALLOWED)) {
        cases.push({ clientId: WEB_APP.clientId, uri: line.replaceAll(ALLOWED, 'app.example.com') });
        cases.push({ clientId: NATIVE_APP.clientId, uri: line.replaceAll(ALLOWED, '127.0.0.1') });
      }
      if (/^[/\\]/.test(line)) cases.push({ clientId: WEB_APP.clientId, uri: `https://app.example.com${line}` });
    }
    const snapshot = storeSnapshot(f);
    const accepted: string[] = [];
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const res = await get(authorizeUrl(f, { client_id: c.clientId, redirect_uri: c.uri, code_challenge: CHALLENGE }));
          const body = await res.text();
          if (res.status !== 400 || res.headers.get('location') !== null || !body.includes('<strong>invalid_request</strong>')) {
            accepted.push(`${c.clientId} ${JSON.stringify(c.uri)} → ${res.status} ${res.headers.get('location') ?? ''}`);
          }
        }
      }),
    );
    expect(accepted).toEqual([]);
    expect(snapshot.added()).toEqual([]);
  }, 120_000);

  it.each([
    ['percent-encoded TAB', 'https://app.example.com/call%09back'],
    ['raw TAB', 'https://app.example.com/call\tback'],
    ['raw LF', 'https://app.example.com/call\nback'],
    ['raw CR', 'https://app.example.com/callback\r'],
    ['trailing raw LF', 'https://app.example.com/callback\n'],
    ['leading raw TAB', '\thttps://app.example.com/callback'],
    ['percent-encoded CRLF header injection', 'https://app.example.com/callback%0d%0aSet-Cookie:%20x=1'],
    ['raw CRLF header injection', 'https://app.example.com/callback\r\nSet-Cookie: x=1'],
    ['NUL', 'https://app.example.com/callback\u0000'],
    ['loopback with raw TAB', 'http://127.0.0.1:5000/call\tback'],
  ])('D44 control characters (%s) → rejected, no redirect, no header injection', async (_label, uri) => {
    const clientId = uri.startsWith('http://127.') ? NATIVE_APP.clientId : WEB_APP.clientId;
    const snapshot = storeSnapshot(f);
    const res = await get(authorizeUrl(f, { client_id: clientId, redirect_uri: uri, code_challenge: CHALLENGE }));
    await expectRejectedPage(res, 'invalid_request');
    expect(res.headers.getSetCookie().join('\n')).not.toMatch(/x=1/);
    expect(snapshot.added()).toEqual([]);
  });

  it.each([
    'javascript:alert(1)//https://app.example.com/callback',
    'JaVaScRiPt:alert(1)//https://app.example.com/callback',
    'javascript://app.example.com/callback%0aalert(1)',
    'data:text/html,<script>alert(1)</script>',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'blob:https://app.example.com/0f6a6c5e-0000-4000-8000-000000000000',
    'about:blank',
    'ws://app.example.com/callback',
  ])('D46 dangerous scheme %j → rejected, no redirect (static and DCR clients)', async (uri) => {
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: uri });
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: uri });
    await expectRejected({ client_id: dcrNative, redirect_uri: uri });
  });

  it('D47 loopback: only the port may vary (registered http://127.0.0.1/callback)', async () => {
    for (const clientId of [NATIVE_APP.clientId, dcrNative]) {
      const html = await expectConsentPage({ client_id: clientId, redirect_uri: 'http://127.0.0.1:49152/callback' });
      expect(html).toContain('127.0.0.1:49152');
      await expectRejected({ client_id: clientId, redirect_uri: 'http://127.0.0.1:49152/other' });
      await expectRejected({ client_id: clientId, redirect_uri: 'https://127.0.0.1:49152/callback' });
      await expectRejected({ client_id: clientId, redirect_uri: 'http://localhost:49152/callback' });
      await expectRejected({ client_id: clientId, redirect_uri: 'http://127.0.0.1:49152/callback?x=1' });
      await expectRejected({ client_id: clientId, redirect_uri: 'http://127.0.0.1:49152/callback/' });
    }
  });

  it.each([
    'http://127.0.0.1.nip.io:8080/callback',
    'http://localhost.evil.com:8080/callback',
    'http://localhost./callback',
    'http://LOCALHOST:8080/callback',
    'http://127.1:8080/callback',
    'http://2130706433/callback',
    'http://0x7f000001/callback',
    'http://127.000.000.001:8080/callback',
    'http://0177.0.0.1:8080/callback',
    'http://127.0.0.2:8080/callback',
    'http://0.0.0.0:8080/callback',
    'http://[::ffff:127.0.0.1]:8080/callback',
    'http://[0:0:0:0:0:0:0:1]:8080/callback',
    'http://127.0.0.1:8080@evil.com/callback',
    'http://evil.com@127.0.0.1:8080/callback',
  ])('D48 fake loopback %j → rejected, no redirect', async (uri) => {
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: uri });
    await expectRejected({ client_id: dcrNative, redirect_uri: uri });
  });

  it('D50 no port relaxation for non-loopback hosts', async () => {
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: 'https://app.example.com:8443/callback' });
    // http://192.168.1.1/cb cannot even be registered here (plain http is for loopback only), so the
    // principle is checked with the https form of that private address.
    const reg = await fetch(`${f.base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://192.168.1.1/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(reg.status).toBe(400);
    expect(((await reg.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    const lan = await registerClient(f, ['https://192.168.1.1/cb']);
    await expectRejected({ client_id: lan, redirect_uri: 'https://192.168.1.1:8080/cb' });
    await expectRejected({ client_id: lan, redirect_uri: 'http://192.168.1.1:8080/cb' });
    await expectRejected({ client_id: lan, redirect_uri: 'http://192.168.1.1/cb' });
    await expectConsentPage({ client_id: lan, redirect_uri: 'https://192.168.1.1/cb' });
  });

  it('D51 IPv6 loopback (registered http://[::1]/callback): the port may vary, nothing else', async () => {
    const html = await expectConsentPage({ client_id: NATIVE_APP.clientId, redirect_uri: 'http://[::1]:61023/callback' });
    expect(html).toContain('[::1]:61023');
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: 'http://[::1]:61023@evil.com/' });
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: 'http://[::1%25eth0]:1/callback' });
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: 'http://[::1%eth0]:1/callback' });
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: 'http://[0::1]:61023/callback' });
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: 'https://[::1]:61023/callback' });
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: 'http://[::1]:61023/other' });
  });

  it('D52 redirect_uri missing while the client has more than one registered → 400 invalid_request, no redirect', async () => {
    await expectRejected({ client_id: NATIVE_APP.clientId, redirect_uri: undefined });
    // Control: a client with exactly one registered URI may omit it (RFC 6749 §3.1.2.3).
    await expectConsentPage({ client_id: WEB_APP.clientId, redirect_uri: undefined });
  });

  it('D53 unknown client: client_id=nope&redirect_uri=https://evil.com/cb → 400 invalid_client, no redirect', async () => {
    await expectRejected({ client_id: 'nope', redirect_uri: 'https://evil.com/cb' }, 'invalid_client');
    await expectRejected({ client_id: 'nope', redirect_uri: 'https://evil.com/cb', response_type: 'token' }, 'invalid_client');
    await expectRejected({ client_id: undefined, redirect_uri: 'https://evil.com/cb' }, 'invalid_request');
  });

  it('D54 errors after the redirect URI is validated go to the registered URI with error, state and iss', async () => {
    const cases: [Record<string, string | undefined>, string, string][] = [
      [
        { client_id: WEB_APP.clientId, redirect_uri: WEB_APP.redirectUri, response_type: 'token', state: 'xyz' },
        WEB_APP.redirectUri,
        'unsupported_response_type',
      ],
      [{ client_id: WEB_APP.clientId, redirect_uri: undefined, response_type: 'token', state: 'xyz' }, WEB_APP.redirectUri, 'unsupported_response_type'],
      [
        { client_id: WEB_APP.clientId, redirect_uri: WEB_APP.redirectUri, response_type: 'code id_token', state: 'xyz' },
        WEB_APP.redirectUri,
        'unsupported_response_type',
      ],
      [
        { client_id: WEB_APP.clientId, redirect_uri: WEB_APP.redirectUri, resource: 'https://other.example.com', state: 'xyz' },
        WEB_APP.redirectUri,
        'invalid_target',
      ],
      [
        { client_id: NATIVE_APP.clientId, redirect_uri: 'http://127.0.0.1:5555/callback', response_type: 'token', state: 'xyz' },
        'http://127.0.0.1:5555/callback',
        'unsupported_response_type',
      ],
    ];
    for (const [params, target, error] of cases) {
      const snapshot = storeSnapshot(f);
      const res = await get(authorizeUrl(f, { code_challenge: CHALLENGE, ...params }));
      expectErrorRedirect(f, res, target, error, 'xyz');
      expect(snapshot.added()).toEqual([]);
    }
    // The same error with an unregistered redirect URI is shown here, never sent there.
    await expectRejected({ client_id: WEB_APP.clientId, redirect_uri: 'https://evil.com/callback', response_type: 'token' });
  });

  describe('D55 the AS as an open redirector via a DCR client (RFC 9700 §4.11.2)', () => {
    let phish: string;
    beforeAll(async () => {
      phish = await registerClient(f, ['https://phish.example/cb'], { client_name: 'Totally Legit' });
    });

    it.each([
      ['an unknown scope', { scope: 'admin:everything' }],
      ['a malformed scope', { scope: '"\\' }],
      ['prompt=none', { prompt: 'none' }],
      ['prompt=none with an unknown scope', { prompt: 'none', scope: 'nope' }],
    ])('D55 %s → 200 consent page naming phish.example, no 302 before consent', async (_label, extra) => {
      const html = await expectConsentPage({ client_id: phish, redirect_uri: 'https://phish.example/cb', ...extra });
      expect(html).toContain('phish.example');
      expect(html).toContain('Totally Legit');
      expect(html).toContain('not verified');
    });

    // The principle covers every request that is "going to fail": an untrusted (self-registered,
    // remote https) redirect URI must not be navigated to automatically with an error before the
    // user has signed in and consented; the error is shown here instead.
    it.each([
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['a foreign resource', { resource: 'https://other.example.com' }, 'invalid_target'],
    ])('D55 %s from a DCR client → error shown here (400), no immediate 302 to phish.example', async (_label, extra, error) => {
      const snapshot = storeSnapshot(f);
      const res = await get(authorizeUrl(f, { client_id: phish, redirect_uri: 'https://phish.example/cb', code_challenge: CHALLENGE, ...extra }));
      await expectRejectedPage(res, error);
      expect(snapshot.added()).toEqual([]);
    });

    it('D55 the consent page states where the browser goes and does not set the upstream state cookie', async () => {
      const res = await get(authorizeUrl(f, { client_id: phish, redirect_uri: 'https://phish.example/cb', code_challenge: CHALLENGE }));
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/sent to <strong><code>phish\.example<\/code><\/strong>/);
      expect(cookieHeader(res)).toMatch(/^mcp_consent_[A-Za-z0-9_-]{12}=[^;]+$/);
    });
  });
});
