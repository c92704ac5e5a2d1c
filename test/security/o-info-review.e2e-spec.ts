import { Controller, Get, type INestApplication, type MiddlewareConsumer, Module, type NestModule, Post, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { SecretBox } from '../../src/authorization-server/crypto/secret-box.js';
import type { ClientRecord } from '../../src/authorization-server/clients/client.interface.js';
import { CurrentUser, McpAuthGuard, OAuthMcpModule, RequireScopes } from '../../src/index.js';
import { freePort } from '../support/free-port.js';
import {
  authorizeUrl,
  completeFlow,
  FIXTURE_SECRET,
  pkce,
  redeemCode,
  registerClient,
  signedIn,
  startProxyFixture,
  type ProxyFixture,
} from '../support/proxy-fixture.js';
import { rawRequest } from '../support/raw-http.js';
import { now, signHmac } from '../support/tokens.js';
import { storeSnapshot } from './flow-helpers.js';

/**
 * The outside review's informational findings, one test each (`O-info …`), each failing on the code
 * before its fix. Not here: paths matched differently from the router and per-rejection log volume
 * (owned elsewhere); the SSRF ranges and the redirect-URI review have their own files.
 */

const HMAC_SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

/** Sets `req.auth`/`req.user` as some other middleware (or an attacker-controlled plugin) might. */
const forgedAuth = {
  token: 'forged',
  clientId: 'forged',
  scopes: ['mcp:read', 'mcp:admin'],
  expiresAt: now() + 3600,
  extra: {
    user: { sub: 'mallory', username: 'mallory', groups: [], scopes: ['mcp:read', 'mcp:admin'], expiresAt: now() + 3600, provider: 'hmac', claims: {} },
  },
};

@Controller('probe')
class ProbeController {
  @Get('me')
  me(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @RequireScopes('mcp:admin')
  @Get('admin')
  admin(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

@UseGuards(McpAuthGuard)
@RequireScopes('mcp:admin')
@Controller('mcp')
class AdminMcpController {
  @Post()
  call(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

describe('O-info guards, headers and client authentication', () => {
  let app: INestApplication;
  let base: string;
  const token = (scope: string, sub = 'alice') => signHmac(HMAC_SECRET, { sub, aud: `${base}/mcp`, scope, iat: now(), exp: now() + 600 });

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    @Module({
      imports: [
        OAuthMcpModule.forRoot({
          provider: 'hmac',
          jwtSecret: HMAC_SECRET,
          serverUrl: base,
          audience: `${base}/mcp`,
          scopes: ['mcp:read', 'mcp:admin'],
          global: true,
        }),
      ],
      controllers: [ProbeController, AdminMcpController],
    })
    class ForgingModule implements NestModule {
      configure(consumer: MiddlewareConsumer): void {
        consumer
          .apply((req: { headers: Record<string, string | undefined>; auth?: unknown; user?: unknown }, _res: unknown, next: () => void) => {
            if (req.headers['x-forge'] === '1') {
              req.auth = forgedAuth;
              req.user = forgedAuth.extra.user;
            }
            next();
          })
          .forRoutes('*path');
      }
    }
    app = await NestFactory.create(ForgingModule, { logger: false });
    await app.listen(port, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('O-info both guards ignore a req.auth / req.user that another middleware set (only their own, marked with a private symbol, counts)', async () => {
    // JwtAuthGuard (global) and McpAuthGuard, with no token at all: 401, never the forged caller.
    for (const [method, path] of [
      ['GET', '/probe/me'],
      ['GET', '/probe/admin'],
      ['POST', '/mcp'],
    ]) {
      const res = await rawRequest(`${base}${path}`, { method, headers: { 'x-forge': '1' } });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.body).not.toContain('mallory');
    }
    // A real read-only token with forged admin scopes next to it: the token's own scopes decide.
    const read = await token('mcp:read');
    for (const [method, path] of [
      ['GET', '/probe/admin'],
      ['POST', '/mcp'],
    ]) {
      const res = await rawRequest(`${base}${path}`, { method, headers: { 'x-forge': '1', authorization: `Bearer ${read}` } });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    const me = await rawRequest(`${base}/probe/me`, { headers: { 'x-forge': '1', authorization: `Bearer ${read}` } });
    expect(JSON.parse(me.body)).toEqual({ sub: 'alice' });
  });

  it('O-info a repeated Authorization header is 400 invalid_request on every guard (Node would keep the first silently)', async () => {
    const admin = await token('mcp:read mcp:admin');
    const other = await token('mcp:read', 'bob');
    for (const [method, path] of [
      ['GET', '/probe/me'],
      ['POST', '/mcp'],
    ]) {
      for (const [pair, names] of [
        [
          [admin, other],
          ['Authorization', 'authorization'],
        ],
        [
          [admin, admin],
          ['AUTHORIZATION', 'aUtHoRiZaTiOn'],
        ],
      ]) {
        const res = await rawRequest(`${base}${path}`, { method, rawHeaders: [names[0], `Bearer ${pair[0]}`, names[1], `Bearer ${pair[1]}`] });
        expect({ path, status: res.status, error: JSON.parse(res.body).error }).toEqual({ path, status: 400, error: 'invalid_request' });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request"/);
      }
      // Control: once is fine.
      expect((await rawRequest(`${base}${path}`, { method, headers: { authorization: `Bearer ${admin}` } })).status).toBeLessThan(300);
    }
  });
});

describe('O-info the authorization server', () => {
  let f: ProxyFixture;
  /** A confidential static client whose secret holds `+` and `%` (also `%41`, which form-decodes to `A`). */
  const PLUS_SECRET = 'Zk4+Pq8%Rt2+Wm6%41Yx9Lb3Nc7Hd5Qa1Tv';
  const PLUS_ID = 'plus-app';

  beforeAll(async () => {
    f = await startProxyFixture({
      staticClients: [
        { client_id: 'native-app', redirect_uris: ['http://127.0.0.1/callback'], client_name: 'Native App' },
        { client_id: PLUS_ID, client_secret: PLUS_SECRET, redirect_uris: ['https://app.example.com/callback'], client_name: 'Plus App' },
      ],
    });
  });
  afterAll(() => f.close());

  it('O-info a repeated Authorization header at the token and revocation endpoints is 400 invalid_request', async () => {
    const basic = `Basic ${Buffer.from(`${PLUS_ID}:${encodeURIComponent(PLUS_SECRET)}`).toString('base64')}`;
    for (const path of ['/oauth/token', '/oauth/revoke']) {
      const res = await rawRequest(`${f.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token&refresh_token=x&token=x',
        rawHeaders: ['Authorization', basic, 'Authorization', 'Basic bm9ib2R5Om5vdGhpbmc='],
      });
      expect({ path, status: res.status, error: JSON.parse(res.body).error }).toEqual({ path, status: 400, error: 'invalid_request' });
    }
  });

  it('O-info HTTP Basic secrets holding + or % authenticate whether the client form-encodes them (RFC 6749 §2.3.1) or not', async () => {
    const revoke = (authorization: string) =>
      fetch(`${f.base}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        body: 'token=unknown',
      });
    const formEncode = (v: string) => new URLSearchParams({ v }).toString().slice(2);
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    expect((await revoke(basic(formEncode(PLUS_ID), formEncode(PLUS_SECRET)))).status).toBe(200); // RFC 6749
    expect((await revoke(basic(PLUS_ID, PLUS_SECRET))).status).toBe(200); // curl -u, Python requests
    for (const wrong of [PLUS_SECRET.replace(/\+/g, ' '), PLUS_SECRET.replace('%41', 'A'), `${PLUS_SECRET}x`]) {
      const res = await revoke(basic(PLUS_ID, wrong));
      expect({ wrong, status: res.status }).toEqual({ wrong, status: 401 });
    }
  });

  it('O-info a scope of only unknown values grants no scope (not every scope); no scope at all still asks for the default', async () => {
    const redirect = 'http://127.0.0.1:55000/callback';
    const clientId = await registerClient(f, [redirect]);
    const grant = async (scope: string | undefined) => {
      const { verifier, challenge } = pkce();
      const { callback } = await completeFlow(f, authorizeUrl(f, { client_id: clientId, redirect_uri: redirect, code_challenge: challenge, scope }));
      const res = await redeemCode(f, callback, { verifier, redirectUri: redirect, clientId });
      return (await res.json()) as { access_token: string; scope?: string };
    };
    const unknown = await grant('openid email profile admin:everything');
    expect(unknown.scope).toBeUndefined();
    expect(decodeJwt(unknown.access_token).scope).toBeUndefined();
    expect((await grant('openid mcp:read')).scope).toBe('mcp:read');
    expect((await grant(undefined)).scope).toBe('mcp:read mcp:write mcp:admin');
  });

  it('O-info revoking a grant deletes its sealed upstream tokens and revokes the upstream refresh token at the IdP', async () => {
    const { clientId, tokens } = await signedIn(f, 'http://127.0.0.1:55001/callback');
    const fid = decodeJwt(tokens.access_token).fid as string;
    const sealed = await f.store.get<string>(`upstream-tokens:${fid}`);
    const upstream = new SecretBox(FIXTURE_SECRET, 'upstream-tokens').open<{ refresh_token: string }>(sealed!)!;
    expect(upstream.refresh_token).toBeTruthy();
    const discovery = (await (await fetch(`${f.idp.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    const upstreamRefresh = () =>
      fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: upstream.refresh_token,
          client_id: f.idp.proxyClient!.clientId,
          client_secret: f.idp.proxyClient!.clientSecret,
        }),
      });

    const revoked = await fetch(`${f.base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: clientId }),
    });
    expect(revoked.status).toBe(200);
    expect(await f.store.get(`upstream-tokens:${fid}`)).toBeUndefined();
    const after = await upstreamRefresh();
    expect({ status: after.status, error: ((await after.json()) as { error: string }).error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  describe('O-info client names on the consent page', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(() => browser?.close());

    it('O-info bidi and invisible characters in client_name are refused at registration, and shown as visible [U+XXXX] for a name stored before the rule', async () => {
      const tricks = [
        'Good App\u202Egnp.exe',
        'Good\u2066 App\u2069',
        'Go\u200Bod App',
        '\uFEFFGood App',
        'Good\u00ADApp',
        'Good\u3164App',
        'Good App\u2800',
        'Go\u0301\u0301\u0301\u0301od',
        '\u200E',
        '   ',
      ];
      for (const name of tricks) {
        const snapshot = storeSnapshot(f);
        const res = await fetch(`${f.base}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', client_name: name }),
        });
        expect({ name, status: res.status, error: ((await res.json()) as { error: string }).error }).toEqual({
          name,
          status: 400,
          error: 'invalid_client_metadata',
        });
        expect(snapshot.added()).toEqual([]);
      }
      // Names in other scripts are fine.
      expect((await registerClient(f, ['http://127.0.0.1/callback'], { client_name: 'تطبيق جيد — Appli café 日本' })).length).toBeGreaterThan(0);

      // A record registered before the rule: the page (rendered by Chromium) shows the override, not its effect.
      const legacy: ClientRecord = {
        client_id: 'legacy-bidi',
        redirect_uris: ['http://127.0.0.1/callback'],
        client_name: 'Good App\u202Egnp.exe',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_id_issued_at: 0,
        source: 'dcr',
      };
      await f.store.set('client:legacy-bidi', legacy, 3600);
      const page = await browser.newPage();
      try {
        const res = await page.goto(
          authorizeUrl(f, { client_id: 'legacy-bidi', redirect_uri: 'http://127.0.0.1:55002/callback', code_challenge: pkce().challenge }),
        );
        expect(res!.status()).toBe(200);
        const heading = await page.locator('h1').innerText();
        expect(heading).toContain('Good App[U+202E]gnp.exe');
        expect(await page.locator('body').innerText()).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
      } finally {
        await page.close();
      }
    });
  });
});
