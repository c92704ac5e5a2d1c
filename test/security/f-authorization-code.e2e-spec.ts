import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { decodeJwt } from 'jose';
import { registerClient, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import { expectTokenError, issueCode, mcpStatus, NATIVE_APP, redeem, sha256, WEB_APP } from './flow-helpers.js';

/**
 * Security catalogue group F (cases 65–72): this server's authorization code. Single use (atomic
 * consume), revocation on a genuine replay only, a 60 s lifetime, bound to the client and the
 * redirect URI, ≥128 bits, and never the upstream IdP's code.
 */

const WRONG_VERIFIER = 'invalidE9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

describe('F. Authorization code', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  const refresh = (clientId: string, refreshToken: string) =>
    tokenRequest(f, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });

  it('F65 code replay: redeem → 200; a second valid redemption → 400 invalid_grant and the first tokens are revoked', async () => {
    const issued = await issueCode(f);
    const first = await redeem(f, issued);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Tokens;
    expect(await mcpStatus(f, tokens.access_token)).toBe(201);

    await expectTokenError(await redeem(f, issued), 'invalid_grant');
    expect(await mcpStatus(f, tokens.access_token)).toBe(401);
    await expectTokenError(await refresh(issued.clientId, tokens.refresh_token), 'invalid_grant');
  });

  it('F65 code replay by a confidential client (Basic auth): the genuine replay revokes the grant', async () => {
    const issued = await issueCode(f, { clientId: WEB_APP.clientId, redirectUri: WEB_APP.redirectUri });
    const auth = { authorization: basic(WEB_APP.clientId, WEB_APP.secret) };
    const first = await redeem(f, issued, { client_id: undefined }, auth);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Tokens;
    await expectTokenError(await redeem(f, issued, { client_id: undefined }, auth), 'invalid_grant');
    expect(await mcpStatus(f, tokens.access_token)).toBe(401);
  });

  // OAuth 2.1 "Reuse of Authorization Codes": revoke only when the replayed request is otherwise
  // valid; an invalid replay (wrong verifier, wrong redirect URI) must not let someone who merely saw
  // the code — a public client's client_id is no secret — revoke the legitimate client's grant.
  it.each([
    ['a wrong code_verifier', { code_verifier: WRONG_VERIFIER }],
    ['no code_verifier', { code_verifier: undefined }],
    ['a different redirect_uri', { redirect_uri: 'http://127.0.0.1:51000/other' }],
  ])('F65 a replay with %s → 400 invalid_grant and revokes nothing', async (_label, overrides) => {
    const issued = await issueCode(f);
    const first = await redeem(f, issued);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Tokens;

    await expectTokenError(await redeem(f, issued, overrides), 'invalid_grant');
    expect(await mcpStatus(f, tokens.access_token)).toBe(201);
    expect((await refresh(issued.clientId, tokens.refresh_token)).status).toBe(200);
  });

  it('F67 race: parallel token requests for one code → exactly one 200, the others 400 invalid_grant', async () => {
    for (let round = 0; round < 3; round++) {
      const issued = await issueCode(f);
      const responses = await Promise.all(Array.from({ length: round === 0 ? 2 : 8 }, () => redeem(f, issued)));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      for (const res of responses.filter((r) => r.status !== 200)) await expectTokenError(res, 'invalid_grant');
    }
  });

  it('F68 expiry: redeemed 61 s after issue (60 s TTL) → 400 invalid_grant; at 59 s it still works', async () => {
    const realNow = Date.now.bind(Date);
    const late = await issueCode(f);
    const inTime = await issueCode(f);
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockImplementation(() => realNow() + 59_000);
      expect((await redeem(f, inTime)).status).toBe(200);
      clock.mockImplementation(() => realNow() + 61_000);
      await expectTokenError(await redeem(f, late), 'invalid_grant');
    } finally {
      clock.mockRestore();
    }
    // And it stays dead when the clock comes back (expired entries are gone, not resurrected).
    await expectTokenError(await redeem(f, late), 'invalid_grant');
  });

  it('F69 wrong client: a code issued to A and redeemed by B with B’s valid credentials → 400 invalid_grant', async () => {
    // Public A (native-app) → confidential B (web-app, Basic).
    const toNative = await issueCode(f);
    await expectTokenError(await redeem(f, toNative, { client_id: undefined }, { authorization: basic(WEB_APP.clientId, WEB_APP.secret) }), 'invalid_grant');

    // Confidential A (web-app) → public B (native-app).
    const toWeb = await issueCode(f, { clientId: WEB_APP.clientId, redirectUri: WEB_APP.redirectUri });
    await expectTokenError(await redeem(f, toWeb, { client_id: NATIVE_APP.clientId }), 'invalid_grant');

    // Public A → another public DCR client B with the same redirect URI and the right verifier.
    const other = await registerClient(f, ['http://127.0.0.1/callback']);
    const toNative2 = await issueCode(f);
    await expectTokenError(await redeem(f, toNative2, { client_id: other }), 'invalid_grant');
  });

  it.each([
    ['…/callback2 (path)', {}, 'http://127.0.0.1:51000/callback2'],
    ['another loopback port', {}, 'http://127.0.0.1:51001/callback'],
    ['localhost instead of 127.0.0.1', {}, 'http://localhost:51000/callback'],
    ['omitted although sent at authorize', {}, undefined],
    ['web client …/callback2', { clientId: WEB_APP.clientId, redirectUri: WEB_APP.redirectUri }, 'https://app.example.com/callback2'],
  ])('F70 redirect_uri mismatch at the token endpoint: %s → 400 invalid_grant', async (_label, opts, redirectUri) => {
    const issued = await issueCode(f, opts);
    const auth: Record<string, string> = issued.clientId === WEB_APP.clientId ? { authorization: basic(WEB_APP.clientId, WEB_APP.secret) } : {};
    await expectTokenError(
      await redeem(f, issued, { redirect_uri: redirectUri, ...(auth.authorization ? { client_id: undefined } : {}) }, auth),
      'invalid_grant',
    );
  });

  it('F70 a code requested without redirect_uri (single registered URI) → a different redirect_uri at the token endpoint is invalid_grant', async () => {
    const issued = await issueCode(f, { clientId: WEB_APP.clientId, redirectUri: WEB_APP.redirectUri, extra: { redirect_uri: undefined } });
    const auth = { authorization: basic(WEB_APP.clientId, WEB_APP.secret) };
    await expectTokenError(await redeem(f, issued, { client_id: undefined, redirect_uri: 'https://app.example.com/callback2' }, auth), 'invalid_grant');
  });

  it('F71 code format: ≥128 bits of randomness; empty, array, operator-object, duplicated or 10 KB codes → 400, never 500', async () => {
    const a = await issueCode(f);
    const b = await issueCode(f);
    for (const { code } of [a, b]) {
      expect(code).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(code, 'base64url').length).toBeGreaterThanOrEqual(16);
    }
    expect(a.code).not.toBe(b.code);

    const verifier = randomBytes(32).toString('base64url');
    const common = `grant_type=authorization_code&client_id=native-app&code_verifier=${verifier}&redirect_uri=${encodeURIComponent('http://127.0.0.1:51000/callback')}`;
    const form = (body: string) => fetch(`${f.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const cases: [string, Promise<Response>, string][] = [
      ['code=', form(`${common}&code=`), 'invalid_request'],
      ['no code', form(common), 'invalid_request'],
      ['code[]=a&code[]=b', form(`${common}&code[]=a&code[]=b`), 'invalid_request'],
      ['code[$ne]=x', form(`${common}&code[$ne]=x`), 'invalid_request'],
      ['code=a&code=b', form(`${common}&code=${a.code}&code=${a.code}`), 'invalid_request'],
      ['10 KB code', form(`${common}&code=${'A'.repeat(10_240)}`), 'invalid_request'],
      ['random well-formed code', form(`${common}&code=${randomBytes(32).toString('base64url')}`), 'invalid_grant'],
      [
        'JSON {"$ne":"x"}',
        fetch(`${f.base}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant_type: 'authorization_code', client_id: 'native-app', code: { $ne: 'x' }, code_verifier: verifier }),
        }),
        'invalid_request',
      ],
    ];
    for (const [label, pending, error] of cases) {
      const res = await pending;
      const body = (await res.json()) as { error: string };
      expect({ label, status: res.status, error: body.error }).toEqual({ label, status: 400, error });
    }
    // None of those consumed or matched a real code: `a` (never redeemed) still works.
    expect((await redeem(f, a)).status).toBe(200);
  });

  it('F72 no upstream leakage: the client gets our code (not the IdP’s), and the redirect carries only code, state and iss', async () => {
    const issued = await issueCode(f);
    const upstreamCode = issued.upstreamCallback.searchParams.get('code')!;
    expect(upstreamCode).toBeTruthy();
    expect(issued.code).not.toBe(upstreamCode);
    expect(issued.callback.href).not.toContain(upstreamCode);
    expect([...issued.callback.searchParams.keys()].sort()).toEqual(['code', 'iss', 'state']);
    expect(issued.callback.hash).toBe('');
    expect(issued.callback.searchParams.get('iss')).toBe(f.base);
    // The store keys our code by its hash only; the upstream code is not a code of ours.
    expect(f.store.keys()).toContain(`code:${sha256(issued.code)}`);
    expect(f.store.keys().some((k) => k.includes(issued.code) || k.includes(upstreamCode))).toBe(false);
    await expectTokenError(await redeem(f, { ...issued, code: upstreamCode }), 'invalid_grant');

    const tokens = (await (await redeem(f, issued)).json()) as Tokens & Record<string, unknown>;
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    const claims = decodeJwt(tokens.access_token);
    expect(claims.iss).toBe(f.base);
    expect(claims.aud).toBe(f.resource);
  });
});
