import { Test } from '@nestjs/testing';
import type { AuditEvent, AuditSink } from '../../src/index.js';
import { ConnectedAppsService, OAuthMcpConfigError, OAuthMcpModule, oauthMcpOptionsFromEnv } from '../../src/index.js';
import { UserGrantsIndex, MAX_GRANTS_PER_USER } from '../../src/authorization-server/grants/user-grants.index.js';
import { RedisServer } from '../support/redis-server.js';
import { authorizeUrl, cookieHeader, pkce, startProxyFixture, upstreamLogin, type ProxyFixture } from '../support/proxy-fixture.js';
import { appsOf, approve, callMcp, listApps, pageCsrf, refresh, revokeByApi, revokeFromPage } from './connected-apps-helpers.js';

class CapturingSink implements AuditSink {
  events: AuditEvent[] = [];
  emit(event: AuditEvent): void {
    this.events.push(event);
  }
}

const fids = (f: ProxyFixture): string[] =>
  f.store
    .keys()
    .filter((k) => k.startsWith('family:'))
    .map((k) => k.slice('family:'.length));

describe('connected apps (issue 15): list and revoke what a user approved', () => {
  let f: ProxyFixture;
  const sink = new CapturingSink();

  beforeAll(async () => {
    f = await startProxyFixture({ scopes: ['mcp:read', 'mcp:write', 'oauth:apps'], auditSink: sink });
  }, 30_000);
  afterAll(() => f?.close());

  it('lists each approved client once (name, verified or self-registered, scopes, first and last use, bearer), as JSON and as the page; the page revoke ends the grant', async () => {
    const dcr = await approve(f, 'alice', { scope: 'mcp:read' });
    const stat = await approve(f, 'alice', { clientId: 'native-app', scope: 'mcp:read mcp:write', cookies: dcr.cookies });
    const cookies = stat.cookies;
    // Remembered consent skips the page for this client while it is connected.
    expect(
      (
        await fetch(authorizeUrl(f, { client_id: dcr.clientId, redirect_uri: dcr.redirectUri, code_challenge: pkce().challenge, scope: 'mcp:read' }), {
          redirect: 'manual',
          headers: { cookie: cookies },
        })
      ).status,
    ).toBe(302);
    // First use 100 s ago; the refresh now is the last use, read from the family (the index is not rewritten).
    const index = f.app.get(UserGrantsIndex);
    const record = (await index.read(index.userKey('alice')))!;
    const backdated = { ...record, grants: record.grants.map((g) => (g.clientId === dcr.clientId ? { ...g, firstUsed: g.firstUsed - 100 } : g)) };
    await f.store.set(`user-grants:${index.userKey('alice')}`, backdated);
    expect((await refresh(f, dcr)).status).toBe(200);
    expect((await index.read(index.userKey('alice')))!.version).toBe(record.version);

    const { apps, csrf_token } = await appsOf(f, { cookies });
    expect(csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(apps.map((a) => a.clientId).sort()).toEqual([dcr.clientId, 'native-app'].sort());
    const listedDcr = apps.find((a) => a.clientId === dcr.clientId)!;
    expect(listedDcr).toMatchObject({
      clientName: 'App of alice',
      registration: 'dcr',
      verified: false,
      scopes: ['mcp:read'],
      tokenBinding: 'bearer',
      grants: 1,
    });
    expect(Date.parse(listedDcr.lastUsed) - Date.parse(listedDcr.firstUsed)).toBeGreaterThanOrEqual(99_000);
    const listedStatic = apps.find((a) => a.clientId === 'native-app')!;
    expect(listedStatic.lastUsed).toBe(listedStatic.firstUsed);
    expect(listedStatic).toMatchObject({ clientName: 'Native App', registration: 'static', verified: true, scopes: ['mcp:read', 'mcp:write'] });

    const page = await fetch(`${f.base}/oauth/apps`, { headers: { cookie: cookies }, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('App of alice');
    expect(html).toContain('self-registered, not verified');
    expect(html).toContain('pre-registered by this server');
    expect(pageCsrf(html)).toBe(csrf_token);

    const [dcrFid] = (await f.app.get(UserGrantsIndex).read(f.app.get(UserGrantsIndex).userKey('alice')))!.grants
      .filter((g) => g.clientId === dcr.clientId)
      .map((g) => g.fid);
    expect(f.store.keys()).toContain(`upstream-tokens:${dcrFid}`);
    const revoked = await revokeFromPage(f, cookies, { client_id: dcr.clientId, csrf_token: csrf_token! });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/oauth/apps?revoked=1');

    // The revoked client: its next MCP call is a 401, its refresh invalid_grant, its upstream tokens gone.
    expect((await callMcp(f, dcr.tokens.access_token)).status).toBe(401);
    const refreshed = await refresh(f, dcr);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    expect(f.store.keys()).not.toContain(`upstream-tokens:${dcrFid}`);
    expect(f.store.keys()).not.toContain(`family:${dcrFid}`);
    // Its remembered consent too: the next sign-in asks again.
    expect(
      (
        await fetch(authorizeUrl(f, { client_id: dcr.clientId, redirect_uri: dcr.redirectUri, code_challenge: pkce().challenge, scope: 'mcp:read' }), {
          redirect: 'manual',
          headers: { cookie: cookies },
        })
      ).status,
    ).toBe(200);
    // The other app is untouched.
    expect((await callMcp(f, stat.tokens.access_token)).status).toBe(201);
    expect((await appsOf(f, { cookies })).apps.map((a) => a.clientId)).toEqual(['native-app']);
    expect(sink.events.filter((e) => e.type === 'connected_app_revoked')).toEqual([
      expect.objectContaining({ clientId: dcr.clientId, subject: 'alice', grantId: dcrFid, reason: 'user_request' }),
    ]);
  });

  it('the JSON API with a bearer token carrying oauth:apps lists and revokes; the revoked client gets 401 at once', async () => {
    const manager = await approve(f, 'dora', { scope: 'mcp:read oauth:apps' });
    const other = await approve(f, 'dora', { scope: 'mcp:read' });
    expect((await callMcp(f, other.tokens.access_token)).status).toBe(201);
    const { apps, csrf_token } = await appsOf(f, { bearer: manager.tokens.access_token });
    expect(csrf_token).toBeUndefined();
    expect(apps.map((a) => a.clientId).sort()).toEqual([manager.clientId, other.clientId].sort());
    const res = await revokeByApi(f, { bearer: manager.tokens.access_token }, { client_id: other.clientId });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ revoked: 1 });
    expect((await callMcp(f, other.tokens.access_token)).status).toBe(401);
    expect((await appsOf(f, { bearer: manager.tokens.access_token })).apps.map((a) => a.clientId)).toEqual([manager.clientId]);
  });

  it('several sign-ins of one client fold into one entry (grants: 2); revoking it ends both', async () => {
    const first = await approve(f, 'erin', { clientId: 'native-app', scope: 'mcp:read' });
    const second = await approve(f, 'erin', { clientId: 'native-app', scope: 'mcp:write' });
    const { apps, csrf_token } = await appsOf(f, { cookies: second.cookies });
    expect(apps).toEqual([expect.objectContaining({ clientId: 'native-app', grants: 2, scopes: ['mcp:read', 'mcp:write'] })]);
    expect(await (await revokeByApi(f, { cookies: second.cookies }, { client_id: 'native-app', csrf_token: csrf_token! })).json()).toEqual({ revoked: 2 });
    expect((await callMcp(f, first.tokens.access_token)).status).toBe(401);
    expect((await callMcp(f, second.tokens.access_token)).status).toBe(401);
  });

  it('a grant whose family carries a DPoP key thumbprint (jkt) is shown as DPoP, on the page too', async () => {
    const app = await approve(f, 'olga', { scope: 'mcp:read' });
    const index = f.app.get(UserGrantsIndex);
    const [fid] = (await index.read(index.userKey('olga')))!.grants.map((g) => g.fid);
    const family = (await f.store.get<Record<string, unknown>>(`family:${fid}`))!;
    await f.store.set(`family:${fid}`, { ...family, jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' }, 3600);
    expect((await appsOf(f, { cookies: app.cookies })).apps).toEqual([expect.objectContaining({ clientId: app.clientId, tokenBinding: 'DPoP' })]);
    expect(await (await fetch(`${f.base}/oauth/apps`, { headers: { cookie: app.cookies } })).text()).toContain('Tokens: DPoP');
  });

  it('operator side: ConnectedAppsService lists and revokes for any user by sub, audited as operator_request', async () => {
    const app = await approve(f, 'frank', { scope: 'mcp:read' });
    const service = f.app.get(ConnectedAppsService);
    expect((await service.listForSubject('frank')).map((a) => a.clientId)).toEqual([app.clientId]);
    expect(await service.listForSubject('nobody')).toEqual([]);
    expect(await service.revokeForSubject('frank', app.clientId)).toBe(1);
    expect(await service.revokeForSubject('frank', app.clientId)).toBe(0);
    expect((await callMcp(f, app.tokens.access_token)).status).toBe(401);
    expect(sink.events.filter((e) => e.type === 'connected_app_revoked' && e.subject === 'frank')).toEqual([
      expect.objectContaining({ clientId: app.clientId, reason: 'operator_request' }),
    ]);
  });

  it('without a session the page starts a sign-in at the upstream and, signed in, shows the apps; the sign-in issues no code', async () => {
    const app = await approve(f, 'gina', { scope: 'mcp:read' });
    const start = await fetch(`${f.base}/oauth/apps`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const upstream = new URL(start.headers.get('location')!);
    expect(upstream.origin).toBe(new URL(f.idp.issuer).origin);
    let cookies = cookieHeader(start);
    expect(cookies).toMatch(/^mcp_state_[A-Za-z0-9_-]{12}=/);
    const back = await upstreamLogin(f, upstream, 'gina');
    const before = new Set(f.store.keys());
    const cb = await fetch(back, { redirect: 'manual', headers: { cookie: cookies } });
    expect(cb.status).toBe(302);
    expect(cb.headers.get('location')).toBe('/oauth/apps');
    expect(
      f.store
        .keys()
        .filter((k) => !before.has(k))
        .map((k) => k.split(':')[0]),
    ).toEqual(['session']);
    cookies = cookieHeader(cb, cookies);
    const html = await (await fetch(`${f.base}/oauth/apps`, { headers: { cookie: cookies } })).text();
    expect(html).toContain(app.clientId);
  });

  it('the index is bounded: beyond MAX_GRANTS_PER_USER live grants the oldest one is revoked', async () => {
    const index = f.app.get(UserGrantsIndex);
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const user = { sub: 'hank', groups: [] };
    for (let i = 0; i < MAX_GRANTS_PER_USER + 2; i++) await index.add({ fid: `hank-${i}`, clientId: 'native-app', scopes: [], expiresAt, user });
    const record = (await index.read(index.userKey('hank')))!;
    expect(record.grants).toHaveLength(MAX_GRANTS_PER_USER);
    // Added within one second: the order of addition decides, oldest out.
    expect(record.grants.some((g) => g.fid === 'hank-0' || g.fid === 'hank-1')).toBe(false);
    expect(record.grants.some((g) => g.fid === `hank-${MAX_GRANTS_PER_USER + 1}`)).toBe(true);
    for (const fid of ['hank-0', 'hank-1']) expect(f.store.keys()).toContain(`revoked:fam:${fid}`);
    expect(f.store.keys()).not.toContain('revoked:fam:hank-2');
  });

  it('bad input: no client_id is 400 invalid_request, nothing revoked; wrong methods are 405; no credential is a bare 401 challenge', async () => {
    const app = await approve(f, 'ivan', { scope: 'mcp:read' });
    const { csrf_token } = await appsOf(f, { cookies: app.cookies });
    const before = fids(f).length;
    const missing = await revokeByApi(f, { cookies: app.cookies }, { csrf_token: csrf_token! });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_request');
    const form = await revokeFromPage(f, app.cookies, { csrf_token: csrf_token! });
    expect(form.status).toBe(400);
    const doubled = await fetch(`${f.base}/oauth/connected-apps/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: app.cookies },
      body: new URLSearchParams([
        ['client_id', app.clientId],
        ['client_id', 'x'],
        ['csrf_token', csrf_token!],
      ]),
    });
    expect(doubled.status).toBe(400);
    expect(fids(f).length).toBe(before);
    expect((await callMcp(f, app.tokens.access_token)).status).toBe(201);
    expect((await fetch(`${f.base}/oauth/apps`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${f.base}/oauth/connected-apps`, { method: 'DELETE' })).status).toBe(405);
    const anonymous = await listApps(f, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).not.toContain('error=');
    const broken = await fetch(`${f.base}/oauth/connected-apps/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: app.cookies },
      body: '{"client_id":',
    });
    expect(broken.status).toBe(400);
  });
});

describe('connected apps on Redis: the per-user index under concurrent writers', () => {
  let redis: RedisServer;
  let f: ProxyFixture;

  beforeAll(async () => {
    redis = await new RedisServer().start();
    f = await startProxyFixture({ store: undefined, redisUrl: redis.url });
  }, 30_000);
  afterAll(async () => {
    await f?.close();
    await redis?.stop();
  });

  it('ten grants added at once for one user are all listed (compareAndSet loop), and a real sign-in and revoke work end to end', async () => {
    const index = f.app.get(UserGrantsIndex);
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => index.add({ fid: `jo-${i}`, clientId: 'native-app', scopes: [], expiresAt, user: { sub: 'jo', groups: [] } })),
    );
    expect((await index.read(index.userKey('jo')))!.grants.map((g) => g.fid).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `jo-${i}`).sort());

    const app = await approve(f, 'kim', { scope: 'mcp:read' });
    const { apps, csrf_token } = await appsOf(f, { cookies: app.cookies });
    expect(apps.map((a) => a.clientId)).toEqual([app.clientId]);
    expect((await revokeFromPage(f, app.cookies, { client_id: app.clientId, csrf_token: csrf_token! })).status).toBe(303);
    expect((await callMcp(f, app.tokens.access_token)).status).toBe(401);
    expect((await refresh(f, app)).status).toBe(400);
    expect((await appsOf(f, { cookies: app.cookies })).apps).toEqual([]);
  });
});

describe('connected apps on Fastify', () => {
  let f: ProxyFixture;

  beforeAll(async () => {
    f = await startProxyFixture({}, undefined, 'fastify');
  }, 30_000);
  afterAll(() => f?.close());

  it('the page lists, the form revokes (urlencoded body), the JSON API answers; the revoked client gets 401', async () => {
    const app = await approve(f, 'lena', { scope: 'mcp:read' });
    const page = await fetch(`${f.base}/oauth/apps`, { headers: { cookie: app.cookies } });
    expect(page.status).toBe(200);
    const csrf = pageCsrf(await page.text());
    expect((await appsOf(f, { cookies: app.cookies })).apps.map((a) => a.clientId)).toEqual([app.clientId]);
    const revoked = await revokeFromPage(f, app.cookies, { client_id: app.clientId, csrf_token: csrf });
    expect(revoked.status).toBe(303);
    expect((await callMcp(f, app.tokens.access_token)).status).toBe(401);
    const broken = await fetch(`${f.base}/oauth/connected-apps/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: app.cookies },
      body: '{"client_id":',
    });
    expect(broken.status).toBe(400);
  });
});

describe('connected apps when consents are not remembered (OAUTH_CONSENT_REMEMBER_DAYS=0)', () => {
  let f: ProxyFixture;

  beforeAll(async () => {
    f = await startProxyFixture({ consentRememberDays: 0 });
  }, 30_000);
  afterAll(() => f?.close());

  it('the consent flow leaves no session, so the page signs the user in and opens a one-hour session of its own', async () => {
    const app = await approve(f, 'mona', { scope: 'mcp:read' });
    expect(app.cookies).not.toContain('mcp_session=');
    const start = await fetch(`${f.base}/oauth/apps`, { redirect: 'manual', headers: { cookie: app.cookies } });
    expect(start.status).toBe(302);
    const cookies = cookieHeader(start, app.cookies);
    const cb = await fetch(await upstreamLogin(f, new URL(start.headers.get('location')!), 'mona'), { redirect: 'manual', headers: { cookie: cookies } });
    expect(cb.headers.getSetCookie().find((c) => c.startsWith('mcp_session='))).toMatch(/Max-Age=3600/);
    expect((await appsOf(f, { cookies: cookieHeader(cb, cookies) })).apps.map((a) => a.clientId)).toEqual([app.clientId]);
  });
});

describe('OAUTH_CONNECTED_APPS_SCOPE', () => {
  const env = {
    OAUTH_MODE: 'proxy',
    OAUTH_PROVIDER: 'oidc',
    OIDC_ISSUER: 'https://idp.example.com',
    OIDC_CLIENT_ID: 'mcp-proxy',
    OIDC_CLIENT_SECRET: 'Cs9Xq2Wm7Nz4Lp8Rt3Ys6Hd1Fg5Jc0Bv',
    JWT_SECRET: 'Tq9mZp2XwR4tYb8NcL1sDf6GhJ3aUe7k',
    MCP_URL: 'https://mcp.example.com',
  };
  const compile = async (extra: Record<string, string>): Promise<unknown> => {
    try {
      await (await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv({ ...env, ...extra }))] }).compile()).close();
      return undefined;
    } catch (err) {
      return err;
    }
  };

  it('is one scope token: a value with a space or a quote stops startup naming the variable; a valid one boots', async () => {
    for (const bad of ['oauth:apps mcp:read', 'apps"']) {
      const err = await compile({ OAUTH_CONNECTED_APPS_SCOPE: bad });
      expect(err).toBeInstanceOf(OAuthMcpConfigError);
      expect((err as Error).message).toContain('OAUTH_CONNECTED_APPS_SCOPE');
    }
    expect(await compile({ OAUTH_CONNECTED_APPS_SCOPE: 'apps:manage', OAUTH_SCOPES: 'mcp:read apps:manage' })).toBeUndefined();
  });
});
