import { createHash, randomBytes } from 'node:crypto';
import { authorizeUrl, pkce, registerClient, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import {
  approve,
  expectErrorRedirect,
  expectTokenError,
  get,
  issueCode,
  redeem,
  sha256,
  storeSnapshot,
  upstreamLogin,
  WEB_APP,
  NATIVE_APP,
} from './flow-helpers.js';

/**
 * Security catalogue group E (cases 57–64): PKCE. S256 only, required at /oauth/authorize, verified
 * at /oauth/token, and the upstream leg uses a verifier of this server's own.
 */
describe('E. PKCE', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  it('E57 no code_challenge → 302 to the registered callback with error=invalid_request, state and iss; nothing stored, no upstream redirect', async () => {
    for (const [clientId, redirectUri] of [
      [WEB_APP.clientId, WEB_APP.redirectUri],
      [NATIVE_APP.clientId, 'http://127.0.0.1:50123/callback'],
    ]) {
      const snapshot = storeSnapshot(f);
      const res = await get(authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: undefined, state: 's-57' }));
      const location = expectErrorRedirect(f, res, redirectUri, 'invalid_request', 's-57');
      expect(location.origin).not.toBe(new URL(f.idp.issuer).origin);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(snapshot.added()).toEqual([]);
    }
  });

  it.each([
    ['plain', 'plain'],
    ['omitted (means plain)', undefined],
    ['S512', 'S512'],
    ['lowercase s256', 's256'],
    ['S256 with a space', 'S256 '],
    ['empty', ''],
  ])('E58 code_challenge_method %s → 302 error=invalid_request with state and iss, nothing stored', async (_label, method) => {
    const snapshot = storeSnapshot(f);
    const { challenge } = pkce();
    const res = await get(
      authorizeUrl(f, {
        client_id: WEB_APP.clientId,
        redirect_uri: WEB_APP.redirectUri,
        code_challenge: challenge,
        code_challenge_method: method,
        state: 's-58',
      }),
    );
    expectErrorRedirect(f, res, WEB_APP.redirectUri, 'invalid_request', 's-58');
    expect(snapshot.added()).toEqual([]);
  });

  it('E58 a plain-style challenge (the verifier itself, 64 characters) with method=plain → invalid_request', async () => {
    const verifier = randomBytes(48).toString('base64url');
    const res = await get(
      authorizeUrl(f, { client_id: WEB_APP.clientId, redirect_uri: WEB_APP.redirectUri, code_challenge: verifier, code_challenge_method: 'plain', state: 's' }),
    );
    expectErrorRedirect(f, res, WEB_APP.redirectUri, 'invalid_request', 's');
  });

  it('E60 the verifier is checked at the token endpoint: missing, wrong, or equal to the challenge → 400 invalid_grant', async () => {
    const missing = await issueCode(f);
    await expectTokenError(await redeem(f, missing, { code_verifier: undefined }), 'invalid_grant');

    const wrong = await issueCode(f);
    await expectTokenError(await redeem(f, wrong, { code_verifier: 'invalidE9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' }), 'invalid_grant');

    const downgrade = await issueCode(f);
    await expectTokenError(await redeem(f, downgrade, { code_verifier: downgrade.challenge }), 'invalid_grant');

    // Control: the right verifier works.
    const ok = await issueCode(f);
    expect((await redeem(f, ok)).status).toBe(200);
  });

  it('E61 verifier syntax: 42 or 129 characters, "&" or a space → 400 invalid_request', async () => {
    const issued = await issueCode(f);
    for (const verifier of [
      'a'.repeat(42),
      'a'.repeat(129),
      `${'a'.repeat(42)}&b`,
      `${'a'.repeat(42)} b`,
      `${'a'.repeat(42)}+`,
      `${'a'.repeat(42)}=`,
      `${'a'.repeat(42)}é`,
    ]) {
      await expectTokenError(await redeem(f, issued, { code_verifier: verifier }), 'invalid_request');
    }
  });

  it('E62 downgrade: no code is ever issued without a challenge, and a verifier for a code issued without one → 400 invalid_request', async () => {
    // Through HTTP the precondition cannot be produced: an authorize request without a challenge
    // ends in an error redirect before any consent, state or code exists (E57).
    const snapshot = storeSnapshot(f);
    const res = await get(authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: 'http://127.0.0.1:50124/callback', code_challenge: undefined }));
    expect(res.status).toBe(302);
    expect(snapshot.added()).toEqual([]);

    // The principle at the token endpoint: a code record that carries no challenge (as a store
    // written by another version, or a future grant path, could hold) must never be redeemable,
    // with or without a verifier, and must not crash the endpoint.
    const code = randomBytes(32).toString('base64url');
    const template = await issueCode(f);
    const record = await f.store.get<Record<string, unknown>>(`code:${sha256(template.code)}`);
    expect(record).toBeDefined();
    delete record!.codeChallenge;
    await f.store.set(`code:${sha256(code)}`, record, 60);
    const verifier = randomBytes(32).toString('base64url');
    await expectTokenError(await redeem(f, { ...template, code }, { code_verifier: verifier }), 'invalid_request');
  });

  it('E63 the metadata advertises code_challenge_methods_supported: ["S256"] exactly', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/mcp', '/.well-known/openid-configuration']) {
      const res = await fetch(`${f.base}${path}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Record<string, unknown>).code_challenge_methods_supported).toEqual(['S256']);
    }
  });

  it('E64 the two PKCE legs are separate: the upstream challenge is the module’s own, and the upstream verifier is useless at our token endpoint', async () => {
    const clientId = await registerClient(f, ['http://127.0.0.1/callback']);
    const redirectUri = 'http://127.0.0.1:50125/callback';
    const { verifier, challenge } = pkce();
    const pending = await approve(f, authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource }));
    expect(pending.upstream.origin).toBe(new URL(f.idp.issuer).origin);
    const upstreamChallenge = pending.upstream.searchParams.get('code_challenge')!;
    expect(pending.upstream.searchParams.get('code_challenge_method')).toBe('S256');
    expect(upstreamChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(upstreamChallenge).not.toBe(challenge);
    expect(pending.upstream.href).not.toContain(challenge);

    // The module's upstream verifier (server-side only) is what the upstream challenge commits to.
    const stored = await f.store.get<{ codeVerifier: string }>(`upstream-state:${sha256(pending.state)}`);
    const upstreamVerifier = stored!.codeVerifier;
    expect(createHash('sha256').update(upstreamVerifier).digest('base64url')).toBe(upstreamChallenge);
    expect(upstreamVerifier).not.toBe(verifier);

    const back = await upstreamLogin(f, pending.upstream);
    const cb = await get(back.href, pending.cookies);
    expect(cb.status).toBe(302);
    const code = new URL(cb.headers.get('location')!).searchParams.get('code')!;
    const issued = { code, verifier, challenge, clientId, redirectUri, callback: back, upstreamCallback: back, cookies: '' };
    await expectTokenError(await redeem(f, issued, { code_verifier: upstreamVerifier }), 'invalid_grant');
    // The code was consumed by that attempt; a fresh flow with the client's own verifier works.
    const again = await issueCode(f, { clientId, redirectUri });
    expect((await redeem(f, again)).status).toBe(200);
  });
});
