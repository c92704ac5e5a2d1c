import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { authorizeUrl, consentFields, cookieHeader, pkce, registerClient, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import {
  approve,
  consentCookieName,
  expectErrorRedirect,
  expectPageHeaders,
  expectRejectedPage,
  get,
  issueCode,
  NATIVE_APP,
  postConsent,
  sha256,
  stateCookieName,
  storeSnapshot,
  upstreamLogin,
  upstreamTokenRecorder,
} from './flow-helpers.js';

/**
 * Security catalogue group G (cases 73–82): state, CSRF and consent at /oauth/callback and
 * /oauth/consent.
 *
 * Design note: the catalogue describes a MAC-signed state. This module's upstream `state` is a
 * random opaque value (256 bits) stored server-side under its SHA-256 for 10 minutes, single use,
 * and bound to the browser by a per-flow HttpOnly cookie whose value is hashed in the record. So a
 * "forged" state (a flipped byte, a changed or stripped MAC, another deployment's key) is simply an
 * unknown state, and the "embedded data" of case 77 lives server-side, out of the attacker's reach;
 * the tests check those principles in that form.
 */

const REDIRECT = 'http://127.0.0.1:52000/callback';

describe('G. State, CSRF and consent', () => {
  let f: ProxyFixture;
  let upstreamTokens: Awaited<ReturnType<typeof upstreamTokenRecorder>>;

  beforeAll(async () => {
    f = await startProxyFixture();
    upstreamTokens = await upstreamTokenRecorder(f);
  });
  afterAll(async () => {
    upstreamTokens.restore();
    await f.close();
  });

  const startUrl = (extra: Record<string, string | undefined> = {}) =>
    authorizeUrl(f, {
      client_id: NATIVE_APP.clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      resource: f.resource,
      state: 'client-state',
      ...extra,
    });

  /** Our callback URL with its `state` replaced. */
  const withState = (url: URL, state: string | undefined): string => {
    const u = new URL(url);
    if (state === undefined) u.searchParams.delete('state');
    else u.searchParams.set('state', state);
    return u.href;
  };

  /** The cookie value the browser holds for a flow's state. */
  const bindingOf = (cookies: string, state: string): string => new RegExp(`${stateCookieName(state)}=([^;]+)`).exec(cookies)![1];

  /** A callback that must be refused: 400 page, no redirect, no code minted, no upstream token request. */
  async function expectCallbackRefused(url: string, cookies: string, error = 'invalid_request', status = 400): Promise<void> {
    const snapshot = storeSnapshot(f);
    const before = upstreamTokens.count();
    const res = await get(url, cookies);
    await expectRejectedPage(res, error, status);
    expect(upstreamTokens.count()).toBe(before);
    expect(snapshot.added().filter((k) => /^(code|upstream-tokens|session|consent):/.test(k))).toEqual([]);
  }

  /** Positive control: the genuine callback mints a code (one upstream token request). */
  async function expectCallbackSucceeds(url: string, cookies: string): Promise<URL> {
    const before = upstreamTokens.count();
    const res = await get(url, cookies);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toBe('client-state');
    expect(location.searchParams.get('iss')).toBe(f.base);
    expect(upstreamTokens.count()).toBe(before + 1);
    return location;
  }

  it('G73 missing state: /oauth/callback?code=abc → 400, no upstream token request, nothing stored', async () => {
    for (const query of [
      'code=abc',
      'code=abc&state=',
      'code=abc&state=a&state=b',
      'code=abc&state[]=a',
      'code=abc&state[x]=a',
      `code=abc&state=${'a'.repeat(600)}`,
      '',
    ]) {
      const snapshot = storeSnapshot(f);
      await expectCallbackRefused(`${f.base}/oauth/callback${query ? `?${query}` : ''}`, '');
      expect(snapshot.added()).toEqual([]);
    }
    // Also when the browser does hold a pending flow's cookie.
    const pending = await approve(f, startUrl());
    await expectCallbackRefused(`${f.base}/oauth/callback?code=abc`, pending.cookies);
  });

  it('G74 forged state (altered, truncated, random, unsigned, another deployment’s) → 400 with no upstream token request', async () => {
    const pending = await approve(f, startUrl());
    const back = await upstreamLogin(f, pending.upstream);
    const state = back.searchParams.get('state')!;
    expect(state).toBe(pending.state);
    const binding = bindingOf(pending.cookies, state);

    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const other = await startProxyFixture();
    let foreign: string;
    try {
      foreign = (await approve(other, authorizeUrl(other, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }))).state;
    } finally {
      await other.close();
    }
    const forgeries: [string, string][] = [
      ['first character flipped', flip(state, 0)],
      ['middle character flipped', flip(state, 21)],
      ['last character flipped', flip(state, state.length - 1)],
      ['truncated', state.slice(0, -1)],
      ['extended', `${state}A`],
      ['case changed', state.toUpperCase() === state ? state.toLowerCase() : state.toUpperCase()],
      ['random', randomBytes(32).toString('base64url')],
      [
        'unsigned alg:none blob',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ client_id: NATIVE_APP.clientId, redirect_uri: 'https://evil.example/cb', state })}.`,
      ],
      ['"MAC" appended', `${state}.${randomBytes(32).toString('base64url')}`],
      ['another deployment’s state', foreign],
      ['the state’s SHA-256 (the store key)', sha256(state)],
    ];
    for (const [, forged] of forgeries) {
      // Even with a cookie named for the forged value that carries the real flow's binding.
      const cookies = `${pending.cookies}; ${stateCookieName(forged)}=${binding}`;
      await expectCallbackRefused(withState(back, forged), cookies);
    }
    // Positive control: none of that disturbed the genuine flow.
    await expectCallbackSucceeds(back.href, pending.cookies);
  });

  it('G75 stale state (older than 10 min) → 400; a state used a second time → 400', async () => {
    const pending = await approve(f, startUrl());
    const back = await upstreamLogin(f, pending.upstream);
    const realNow = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 601_000);
    try {
      await expectCallbackRefused(back.href, pending.cookies);
    } finally {
      clock.mockRestore();
    }
    await expectCallbackRefused(back.href, pending.cookies);

    const fresh = await approve(f, startUrl());
    const freshBack = await upstreamLogin(f, fresh.upstream);
    await expectCallbackSucceeds(freshBack.href, fresh.cookies);
    await expectCallbackRefused(freshBack.href, fresh.cookies);
  });

  it('G76 a state obtained in browser A and delivered in browser B (no matching state cookie) → 400 (login CSRF)', async () => {
    const a = await approve(f, startUrl());
    const back = await upstreamLogin(f, a.upstream);
    const b = await approve(f, startUrl());
    await expectCallbackRefused(back.href, '');
    await expectCallbackRefused(back.href, b.cookies);
    // B even holds a cookie with A's cookie name, but its own value.
    await expectCallbackRefused(back.href, `${b.cookies}; ${stateCookieName(a.state)}=${bindingOf(b.cookies, b.state)}`);
    await expectCallbackRefused(back.href, `${stateCookieName(a.state)}=${randomBytes(32).toString('base64url')}`);
    // Positive control: browser A finishes.
    await expectCallbackSucceeds(back.href, a.cookies);
  });

  it('G77 the state carries no client data, and the callback re-checks the redirect URI against the client’s current registration', async () => {
    const pending = await approve(f, startUrl());
    // Opaque: neither the value nor its decoding reveals the client or its redirect URI.
    const decoded = Buffer.from(pending.state, 'base64url').toString('latin1');
    for (const text of [pending.state, decoded]) {
      expect(text).not.toContain(NATIVE_APP.clientId);
      expect(text).not.toContain('127.0.0.1');
    }
    expect(pending.upstream.searchParams.get('redirect_uri')).toBe(`${f.base}/oauth/callback`);
    expect(pending.upstream.searchParams.get('client_id')).toBe(f.idp.proxyClient!.clientId);

    // A DCR client whose registration changes (or disappears) while the user is at the IdP.
    const clientId = await registerClient(f, ['http://127.0.0.1/callback']);
    const start = (id: string) => authorizeUrl(f, { client_id: id, redirect_uri: REDIRECT, code_challenge: pkce().challenge, state: 'client-state' });
    const changed = await approve(f, start(clientId));
    const changedBack = await upstreamLogin(f, changed.upstream);
    const record = (await f.store.get<{ redirect_uris: string[] }>(`client:${clientId}`))!;
    await f.store.set(`client:${clientId}`, { ...record, redirect_uris: ['http://127.0.0.1/elsewhere'] }, 3600);
    await expectCallbackRefused(changedBack.href, changed.cookies, 'invalid_client');

    const removedId = await registerClient(f, ['http://127.0.0.1/callback']);
    const removed = await approve(f, start(removedId));
    const removedBack = await upstreamLogin(f, removed.upstream);
    await f.store.delete(`client:${removedId}`);
    await expectCallbackRefused(removedBack.href, removed.cookies, 'invalid_client');
  });

  it('G78 upstream denial → 302 to the client with error=access_denied and the client’s own state; no code minted', async () => {
    const pending = await approve(f, startUrl({ state: 'original-client-state' }));
    const snapshot = storeSnapshot(f);
    const before = upstreamTokens.count();
    const q = new URLSearchParams({ error: 'access_denied', error_description: '<script>alert(1)</script> upstream secret text', state: pending.state });
    const res = await get(`${f.base}/oauth/callback?${q}`, pending.cookies);
    const location = expectErrorRedirect(f, res, REDIRECT, 'access_denied', 'original-client-state');
    // The upstream's own description is not relayed (a fixed text is).
    expect(location.searchParams.get('error_description')).not.toMatch(/<script>|secret text/);
    expect(location.searchParams.has('code')).toBe(false);
    expect(upstreamTokens.count()).toBe(before);
    expect(snapshot.added().filter((k) => /^(code|upstream-tokens):/.test(k))).toEqual([]);
    // The state is spent: the same denial cannot be replayed either.
    await expectCallbackRefused(`${f.base}/oauth/callback?${q}`, pending.cookies);
  });

  it('G78 a callback carrying both code and error → 400, no code minted, no upstream token request', async () => {
    const pending = await approve(f, startUrl());
    const back = await upstreamLogin(f, pending.upstream);
    const both = new URL(back);
    both.searchParams.set('error', 'access_denied');
    await expectCallbackRefused(both.href, pending.cookies);
  });

  it.each([
    ['an attacker issuer', 'https://evil.example'],
    ['the issuer with a trailing slash', 'TRAILING'],
    ['this server’s own issuer', 'SELF'],
    ['no iss at all (the IdP advertises RFC 9207)', 'NONE'],
  ])('G79 mix-up: upstream iss is %s → an error page, no code minted, no upstream token request', async (_label, iss) => {
    const pending = await approve(f, startUrl());
    const back = await upstreamLogin(f, pending.upstream);
    expect(back.searchParams.get('iss')).toBe(f.idp.issuer);
    const mixed = new URL(back);
    if (iss === 'NONE') mixed.searchParams.delete('iss');
    else mixed.searchParams.set('iss', iss === 'TRAILING' ? `${f.idp.issuer}/` : iss === 'SELF' ? f.base : iss);
    const snapshot = storeSnapshot(f);
    const before = upstreamTokens.count();
    const res = await get(mixed.href, pending.cookies);
    const body = await res.text();
    // The catalogue asks for 400; this module answers 502 ("the identity provider could not complete
    // the sign-in"); what matters is an error page (4xx/5xx) and no redirect carrying a code.
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(600);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expectPageHeaders(res);
    expect(body).not.toContain(back.searchParams.get('code')!);
    expect(upstreamTokens.count()).toBe(before);
    expect(snapshot.added().filter((k) => /^(code|upstream-tokens|session|consent):/.test(k))).toEqual([]);
  });

  it('G81 confused deputy: a fresh DCR client gets the MCP consent page (200), not a 302 upstream, even with remembered consent for another client; the state cookie comes only after approval', async () => {
    // The browser already approved (and remembers) another client, and is signed in upstream.
    const earlier = await issueCode(f, { redirectUri: REDIRECT });
    expect(earlier.cookies).toMatch(/mcp_session=/);
    const remembered = await get(startUrl(), earlier.cookies);
    expect(remembered.status).toBe(302);
    expect(new URL(remembered.headers.get('location')!).origin).toBe(new URL(f.idp.issuer).origin);

    const attacker = await registerClient(f, ['https://attacker.example/cb'], { client_name: 'Attacker Tool' });
    const snapshot = storeSnapshot(f);
    const res = await get(
      authorizeUrl(f, { client_id: attacker, redirect_uri: 'https://attacker.example/cb', code_challenge: pkce().challenge, scope: 'mcp:read' }),
      earlier.cookies,
    );
    const html = await res.text();
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 200, location: null });
    expectPageHeaders(res);
    expect(html).toContain('Attacker Tool');
    expect(html).toContain('not verified');
    expect(html).toMatch(/sent to <strong><code>attacker\.example<\/code><\/strong>/);
    expect(html).toContain('<code>mcp:read</code>');
    const setCookies = res.headers.getSetCookie();
    expect(setCookies).toHaveLength(1);
    expect(setCookies[0]).toMatch(/^mcp_consent_[A-Za-z0-9_-]{12}=/);
    const added = snapshot.added();
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^consent-req:/);

    // Only the approval sets the state cookie and stores the upstream state.
    const cookies = cookieHeader(res, earlier.cookies);
    const afterPage = storeSnapshot(f);
    const approval = await postConsent(f, { ...consentFields(html), decision: 'approve' }, cookies);
    expect(approval.status).toBe(303);
    expect(new URL(approval.headers.get('location')!).origin).toBe(new URL(f.idp.issuer).origin);
    expect(approval.headers.getSetCookie().some((c) => /^mcp_state_/.test(c))).toBe(true);
    expect(afterPage.added().some((k) => k.startsWith('upstream-state:'))).toBe(true);
  });

  describe('G82 consent CSRF and clickjacking', () => {
    it("G82 the consent page: X-Frame-Options DENY, CSP frame-ancestors 'none', no-store, HttpOnly SameSite=Strict per-flow cookie, CSRF token in the form", async () => {
      const res = await get(startUrl());
      expect(res.status).toBe(200);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      const form = consentFields(await res.text());
      expect(form.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [cookie] = res.headers.getSetCookie();
      expect(cookie.startsWith(`${consentCookieName(form.request_id)}=`)).toBe(true);
      expect(cookie).toMatch(/; HttpOnly(;|$)/);
      expect(cookie).toMatch(/; SameSite=Strict(;|$)/);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
    });

    it('G82 POST /oauth/consent without a CSRF token, with another flow’s token, or without the consent cookie → 403; approval answers 303, never 307', async () => {
      // Two flows in one browser, and one in another browser.
      const page1 = await get(startUrl());
      let cookies = cookieHeader(page1);
      const one = consentFields(await page1.text());
      const page2 = await get(startUrl(), cookies);
      cookies = cookieHeader(page2, cookies);
      const two = consentFields(await page2.text());
      const page3 = await get(startUrl());
      const otherBrowser = cookieHeader(page3);
      const three = consentFields(await page3.text());
      const valueOf = (jar: string, requestId: string) => new RegExp(`${consentCookieName(requestId)}=([^;]+)`).exec(jar)![1];

      const forged: [string, Record<string, string>, string][] = [
        ['no CSRF token', { request_id: one.request_id, decision: 'approve' }, cookies],
        ['an empty CSRF token', { request_id: one.request_id, csrf_token: '', decision: 'approve' }, cookies],
        ['a random CSRF token', { request_id: one.request_id, csrf_token: randomBytes(32).toString('base64url'), decision: 'approve' }, cookies],
        ['another flow’s CSRF token (same browser)', { request_id: one.request_id, csrf_token: two.csrf_token, decision: 'approve' }, cookies],
        ['another session’s CSRF token', { request_id: one.request_id, csrf_token: three.csrf_token, decision: 'approve' }, cookies],
        ['another session’s request with our token', { request_id: three.request_id, csrf_token: one.csrf_token, decision: 'approve' }, cookies],
        ['no request_id', { csrf_token: one.csrf_token, decision: 'approve' }, cookies],
        ['no consent cookie', { ...one, decision: 'approve' }, ''],
        ['only another flow’s consent cookie', { ...one, decision: 'approve' }, otherBrowser],
        [
          'the right cookie name with another flow’s value',
          { ...one, decision: 'approve' },
          `${consentCookieName(one.request_id)}=${valueOf(cookies, two.request_id)}`,
        ],
        ['a denial without the CSRF token', { request_id: one.request_id, decision: 'deny' }, cookies],
      ];
      for (const [, form, jar] of forged) {
        const snapshot = storeSnapshot(f);
        const res = await postConsent(f, form, jar);
        await expectRejectedPage(res, 'access_denied', 403);
        expect(snapshot.added()).toEqual([]);
      }

      // The genuine approval still works: 303 to the upstream IdP (never 307), state cookie set,
      // consent cookie cleared; replaying it → 403.
      const approval = await postConsent(f, { ...one, decision: 'approve' }, cookies);
      expect(approval.status).toBe(303);
      expect(new URL(approval.headers.get('location')!).origin).toBe(new URL(f.idp.issuer).origin);
      const set = approval.headers.getSetCookie();
      expect(set.some((c) => c.startsWith(`${consentCookieName(one.request_id)}=;`) && /Max-Age=0/.test(c))).toBe(true);
      const stateCookie = set.find((c) => /^mcp_state_/.test(c))!;
      expect(stateCookie).toMatch(/; HttpOnly(;|$)/);
      expect(stateCookie).toMatch(/; SameSite=Lax(;|$)/);
      await expectRejectedPage(await postConsent(f, { ...one, decision: 'approve' }, cookies), 'access_denied', 403);

      // A denial is a 303 too, to the client with error, state and iss.
      const denial = await postConsent(f, { ...two, decision: 'deny' }, cookies);
      expectErrorRedirect(f, denial, REDIRECT, 'access_denied', 'client-state', 303);
    });

    it('G82 over https the consent and state cookies use the __Host- prefix with Secure', async () => {
      const secure = await startProxyFixture({ serverUrl: 'https://mcp.example.com' });
      try {
        const url = authorizeUrl(secure, { client_id: NATIVE_APP.clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge });
        const page = await get(url);
        expect(page.status).toBe(200);
        const [cookie] = page.headers.getSetCookie();
        expect(cookie).toMatch(/^__Host-mcp_consent_[A-Za-z0-9_-]{12}=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=600; Secure$/);
        const approval = await postConsent(secure, { ...consentFields(await page.text()), decision: 'approve' }, cookieHeader(page));
        expect(approval.status).toBe(303);
        const state = approval.headers.getSetCookie().find((c) => c.startsWith('__Host-mcp_state_'))!;
        expect(state).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
      } finally {
        await secure.close();
      }
    });
  });
});
