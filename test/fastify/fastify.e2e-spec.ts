import type { INestApplication } from '@nestjs/common';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { authorizeUrl, consentFields, pkce, type ProxyFixture, registerClient, signedIn, startProxyFixture, tokenRequest } from '../support/proxy-fixture.js';
import { now, signHmac } from '../support/tokens.js';

/**
 * The module on @nestjs/platform-fastify (issue 10): native and proxy happy paths and the main error
 * cases, the same assertions as on Express.
 */
const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

describe('Fastify adapter, native mode', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await createTestApp(
      { provider: 'hmac', jwtSecret: SECRET, audience: 'api://mcp', serverUrl: 'http://localhost:8080', scopes: ['mcp:read', 'mcp:admin'] },
      true,
      'fastify',
    );
    base = await appUrl(app);
  });
  afterAll(() => app.close());

  const token = (scope: string) => signHmac(SECRET, { sub: 'alice', aud: 'api://mcp', scope, iat: now(), exp: now() + 600 });

  it('401 with the Bearer challenge and the OAuth body, on the MCP endpoint and on a global-guard route', async () => {
    for (const path of ['/mcp', '/protected']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:admin", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"',
      );
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Bearer token required' });
    }
    const bad = await fetch(`${base}/mcp`, { headers: { authorization: 'Bearer a.b.c' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('a valid token passes; 403 step-up with insufficient_scope for a tool that needs more', async () => {
    const read = await token('mcp:read');
    const ok = await fetch(`${base}/protected`, { headers: { authorization: `Bearer ${read}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { user: { sub: string } }).user.sub).toBe('alice');
    const call = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${read}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_ping' } }),
    });
    expect(call.status).toBe(403);
    expect(call.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="[^"]*mcp:admin/);
    expect(await call.json()).toMatchObject({ error: 'insufficient_scope' });
    const admin = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('mcp:read mcp:admin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_ping' } }),
    });
    expect(admin.status).toBe(200);
  });

  it('protected resource metadata at both URLs (and OPTIONS, 404, 405)', async () => {
    const root = await fetch(`${base}/.well-known/oauth-protected-resource`);
    const suffixed = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    expect(root.status).toBe(200);
    expect(await suffixed.json()).toEqual(await root.json());
    expect((await fetch(`${base}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
    const post = await fetch(`${base}/.well-known/oauth-protected-resource`, { method: 'POST' });
    expect({ status: post.status, allow: post.headers.get('allow') }).toEqual({ status: 405, allow: 'GET, HEAD, OPTIONS' });
    const preflight = await fetch(`${base}/.well-known/oauth-protected-resource`, {
      method: 'OPTIONS',
      headers: { origin: 'https://x.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
  });
});

describe('Fastify adapter, proxy mode', () => {
  let f: ProxyFixture;
  let browser: Browser;

  beforeAll(async () => {
    f = await startProxyFixture({}, undefined, 'fastify');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    await f.close();
  });

  it('metadata, DCR, consent, upstream sign-in, code exchange, refresh and a call with our token', async () => {
    const meta = (await (await fetch(`${f.base}/.well-known/oauth-authorization-server`)).json()) as Record<string, any>;
    expect(meta.issuer).toBe(f.base);
    const { clientId, tokens } = await signedIn(f);
    const mcp = await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect({ status: mcp.status, body: await mcp.json() }).toEqual({ status: 201, body: { sub: 'alice' } });
    const refreshed = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
  });

  it('token endpoint errors are OAuth-shaped: invalid_grant, duplicate parameters, 405 with Allow, unparsable bodies', async () => {
    const grant = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'native-app' });
    expect({ status: grant.status, body: await grant.json() }).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const dup = await fetch(`${f.base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=a&grant_type=b',
    });
    expect({ status: dup.status, body: await dup.json() }).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const get = await fetch(`${f.base}/oauth/token`);
    expect({ status: get.status, allow: get.headers.get('allow'), cors: get.headers.get('access-control-allow-origin') }).toEqual({
      status: 405,
      allow: 'POST, OPTIONS',
      cors: '*',
    });
    const broken = await fetch(`${f.base}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris":' });
    expect({ status: broken.status, body: await broken.json(), store: broken.headers.get('cache-control') }).toEqual({
      status: 400,
      body: { error: 'invalid_client_metadata', error_description: 'The request body cannot be parsed' },
      store: 'no-store',
    });
  });

  it('the consent page renders in Chromium with its CSP and no framing', async () => {
    const clientId = await registerClient(f, ['http://127.0.0.1:51000/callback'], { client_name: 'Fastify Client' });
    const { challenge } = pkce();
    const url = authorizeUrl(f, { client_id: clientId, redirect_uri: 'http://127.0.0.1:51000/callback', code_challenge: challenge, resource: f.resource });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(consentFields(await res.text()).csrf_token).not.toBe('');
    const page = await browser.newPage();
    try {
      await page.goto(url);
      expect(await page.getByText('Fastify Client').first().isVisible()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
