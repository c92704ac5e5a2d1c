import { startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import { appsOf, approve, callMcp, listApps, pageCsrf, refresh, revokeByApi, revokeFromPage } from '../proxy/connected-apps-helpers.js';
import { expectPageHeaders, sha256 } from './flow-helpers.js';

/**
 * Group R of docs/security-cases.md: the connected-apps page and API (issue 15). Every refusal changes
 * nothing: the grant stays, its tokens keep working.
 */
const MACHINE_SECRET = 'Mc7Rt2Wq9Lz4Xk8Nb3Vh6Jd1Pf5Gs0Ty';

describe('R: connected apps', () => {
  let f: ProxyFixture;

  beforeAll(async () => {
    f = await startProxyFixture({
      scopes: ['mcp:read', 'mcp:write', 'oauth:apps'],
      staticClients: [
        { client_id: 'native-app', redirect_uris: ['http://127.0.0.1/callback'], client_name: 'Native App' },
        { client_id: 'machine', client_secret: MACHINE_SECRET, grant_types: ['client_credentials'], scope: 'mcp:read oauth:apps' },
      ],
    });
  }, 30_000);
  afterAll(() => f?.close());

  it('R6 the connected-apps scope is not advertised for the MCP endpoint: not in the protected resource metadata, not in the 401 challenge, not granted to a sign-in that names no scope', async () => {
    const prm = (await (await fetch(`${f.base}/.well-known/oauth-protected-resource/mcp`)).json()) as { scopes_supported: string[] };
    expect(prm.scopes_supported).toEqual(['mcp:read', 'mcp:write']);
    const anonymous = await fetch(f.resource, { method: 'POST' });
    expect(anonymous.headers.get('www-authenticate')).toContain('scope="mcp:read mcp:write"');
    const plain = await approve(f, 'ursula-r6');
    expect(plain.tokens.scope!.split(' ').sort()).toEqual(['mcp:read', 'mcp:write']);
    // Asked for by name (and approved on the consent page), it is granted.
    const manager = await approve(f, 'ursula-r6', { scope: 'mcp:read oauth:apps' });
    expect(manager.tokens.scope!.split(' ').sort()).toEqual(['mcp:read', 'oauth:apps']);
  });

  it("R1 revoking needs the session's CSRF token: none, a wrong one, another session's, or the token without the cookie are refused (403) and revoke nothing", async () => {
    const alice = await approve(f, 'alice-r1', { scope: 'mcp:read' });
    const mallory = await approve(f, 'mallory-r1', { scope: 'mcp:read' });
    const aliceCsrf = pageCsrf(await (await fetch(`${f.base}/oauth/apps`, { headers: { cookie: alice.cookies } })).text());
    const malloryCsrf = (await appsOf(f, { cookies: mallory.cookies })).csrf_token!;
    expect(aliceCsrf).not.toBe(malloryCsrf);
    const attempts = [
      revokeFromPage(f, alice.cookies, { client_id: alice.clientId }),
      revokeFromPage(f, alice.cookies, { client_id: alice.clientId, csrf_token: 'x'.repeat(43) }),
      revokeFromPage(f, alice.cookies, { client_id: alice.clientId, csrf_token: malloryCsrf }),
      revokeFromPage(f, '', { client_id: alice.clientId, csrf_token: aliceCsrf }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.headers.get('location')).toBeNull();
      expectPageHeaders(res);
      const html = await res.text();
      expect(html).toContain('<strong>access_denied</strong>');
      expect(html).toContain('<title>Connected apps</title>');
    }
    for (const body of [{ client_id: alice.clientId }, { client_id: alice.clientId, csrf_token: malloryCsrf }] as Record<string, string>[]) {
      const api = await revokeByApi(f, { cookies: alice.cookies }, body);
      expect(api.status).toBe(403);
      expect(((await api.json()) as { error: string }).error).toBe('access_denied');
    }
    expect((await callMcp(f, alice.tokens.access_token)).status).toBe(201);
    expect((await appsOf(f, { cookies: alice.cookies })).apps.map((a) => a.clientId)).toEqual([alice.clientId]);
  });

  it("R2 a user sees and revokes only their own grants: another user's client is not listed, and revoking its id (even a client both use) ends only one's own grant", async () => {
    const alice = await approve(f, 'alice-r2', { clientId: 'native-app', scope: 'mcp:read' });
    const aliceOwn = await approve(f, 'alice-r2', { scope: 'mcp:read', cookies: alice.cookies });
    const bob = await approve(f, 'bob-r2', { clientId: 'native-app', scope: 'mcp:read oauth:apps' });
    const bobList = await appsOf(f, { cookies: bob.cookies });
    expect(bobList.apps.map((a) => a.clientId)).toEqual(['native-app']);
    expect((await appsOf(f, { bearer: bob.tokens.access_token })).apps.map((a) => a.clientId)).toEqual(['native-app']);
    // Bob names Alice's own client: nothing of Alice's is touched, by the page, the API with his session, or his bearer token.
    expect((await revokeFromPage(f, bob.cookies, { client_id: aliceOwn.clientId, csrf_token: bobList.csrf_token! })).status).toBe(303);
    expect(await (await revokeByApi(f, { bearer: bob.tokens.access_token }, { client_id: aliceOwn.clientId })).json()).toEqual({ revoked: 0 });
    expect((await callMcp(f, aliceOwn.tokens.access_token)).status).toBe(201);
    expect(f.store.keys()).toContain(`consent:${sha256(`${f.idp.issuer}|alice-r2`)}:${sha256(aliceOwn.clientId)}`);
    // A client both use: Bob revoking it ends Bob's grant only.
    expect(await (await revokeByApi(f, { cookies: bob.cookies }, { client_id: 'native-app', csrf_token: bobList.csrf_token! })).json()).toEqual({ revoked: 1 });
    expect((await callMcp(f, bob.tokens.access_token)).status).toBe(401);
    expect((await callMcp(f, alice.tokens.access_token)).status).toBe(201);
    expect((await refresh(f, alice)).status).toBe(200);
    expect((await appsOf(f, { cookies: aliceOwn.cookies })).apps.map((a) => a.clientId).sort()).toEqual([aliceOwn.clientId, 'native-app'].sort());
  });

  it('R3 revoking an app kills its access tokens at once (validated-token cache included), its refresh token, its sealed upstream tokens and the remembered consent', async () => {
    const app = await approve(f, 'carol-r3', { scope: 'mcp:read' });
    // Cached by the guard: the revocation check still runs on the next request.
    expect((await callMcp(f, app.tokens.access_token)).status).toBe(201);
    const rotated = (await (await refresh(f, app)).json()) as { access_token: string; refresh_token: string };
    const upstreamKeys = () => f.store.keys().filter((k) => k.startsWith('upstream-tokens:'));
    const before = upstreamKeys().length;
    expect(before).toBeGreaterThan(0);
    const { csrf_token } = await appsOf(f, { cookies: app.cookies });
    expect((await revokeFromPage(f, app.cookies, { client_id: app.clientId, csrf_token: csrf_token! })).status).toBe(303);
    for (const token of [app.tokens.access_token, rotated.access_token]) {
      const res = await callMcp(f, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const again = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token, client_id: app.clientId });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');
    expect(upstreamKeys().length).toBe(before - 1);
    expect(f.store.keys().filter((k) => k.startsWith(`consent:${sha256(`${f.idp.issuer}|carol-r3`)}:`))).toEqual([]);
  });

  it('R4 the bearer API takes only a live token this server issued to a signed-in user with oauth:apps: no scope is 403 insufficient_scope, a machine token or a revoked one 401', async () => {
    const plain = await approve(f, 'dave-r4', { scope: 'mcp:read' });
    const noScope = await listApps(f, { bearer: plain.tokens.access_token });
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", scope="mcp:read oauth:apps"/);
    expect((await revokeByApi(f, { bearer: plain.tokens.access_token }, { client_id: plain.clientId })).status).toBe(403);

    const machine = await tokenRequest(
      f,
      { grant_type: 'client_credentials', scope: 'oauth:apps' },
      { authorization: `Basic ${Buffer.from(`machine:${MACHINE_SECRET}`).toString('base64')}` },
    );
    expect(machine.status).toBe(200);
    const machineToken = ((await machine.json()) as { access_token: string }).access_token;
    const refused = await listApps(f, { bearer: machineToken });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const manager = await approve(f, 'dave-r4', { scope: 'oauth:apps' });
    expect((await listApps(f, { bearer: manager.tokens.access_token })).status).toBe(200);
    // The manager revokes itself: its own token is dead on the next call.
    expect(await (await revokeByApi(f, { bearer: manager.tokens.access_token }, { client_id: manager.clientId })).json()).toEqual({ revoked: 1 });
    expect((await listApps(f, { bearer: manager.tokens.access_token })).status).toBe(401);
    // A bearer token wins over a cookie: a valid session does not rescue a refused token.
    expect((await listApps(f, { bearer: 'not-a-token', cookies: plain.cookies })).status).toBe(401);
    expect((await callMcp(f, plain.tokens.access_token)).status).toBe(201);
  });

  it('R5 without a valid session the page lists nothing: no cookie, or an unknown or oversized one, starts a sign-in at the upstream', async () => {
    await approve(f, 'erin-r5', { scope: 'mcp:read' });
    for (const cookie of ['', 'mcp_session=forged-session-id', `mcp_session=${'a'.repeat(200)}`]) {
      const res = await fetch(`${f.base}/oauth/apps`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get('location')!).origin).toBe(new URL(f.idp.issuer).origin);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('mcp_state_'))).toBe(true);
      expect((await listApps(f, { cookies: cookie })).status).toBe(401);
    }
  });
});
