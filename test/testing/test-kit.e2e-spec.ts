/**
 * The test kit used exactly as an adopter would in their own e2e tests. In an application the two
 * imports below read `from 'nestjs-oauth-mcp'` and `from 'nestjs-oauth-mcp/testing'`.
 */
import { All, Controller, Get, type INestApplication, Module, Req, Res, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, Response } from 'express';
import {
  CurrentUser,
  McpAuthGuard,
  type McpAuthInfo,
  OAuthMcpModule,
  type OAuthMcpModuleOptions,
  type OAuthMcpUser,
  RequireScopes,
  RequireToolScopes,
} from '../../src/index.js';
import { type DevIdp, freePort, headlessLogin, MemoryOAuthClientProvider, mintTestToken, signInWithDevIdp, startDevIdp } from '../../src/testing/index.js';

type TextResult = { content: { type: string; text: string }[] };

/** The adopter's own MCP server: one tool reading the caller, one needing a scope. */
function adopterMcpServer(): McpServer {
  const server = new McpServer({ name: 'adopter', version: '1.0.0' });
  server.registerTool('my_profile', { description: 'The caller' }, (extra) => {
    const user = (extra.authInfo as McpAuthInfo | undefined)?.extra?.user;
    return { content: [{ type: 'text', text: JSON.stringify({ sub: user?.sub, scopes: user?.scopes }) }] };
  });
  server.registerTool('delete_everything', { description: 'Needs mcp:admin' }, () => ({ content: [{ type: 'text', text: 'done' }] }));
  return server;
}

@UseGuards(McpAuthGuard)
@RequireToolScopes({ delete_everything: ['mcp:admin'] })
@Controller('mcp')
class AdopterMcpController {
  @All()
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const server = adopterMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }
}

@Controller()
class AdopterRestController {
  @Get('me')
  me(@CurrentUser() user: OAuthMcpUser) {
    return { sub: user.sub, scopes: user.scopes };
  }

  @RequireScopes('mcp:write')
  @Get('write')
  write() {
    return { ok: true };
  }
}

async function bootAdopterApp(port: number, options: OAuthMcpModuleOptions): Promise<INestApplication> {
  @Module({ imports: [OAuthMcpModule.forRoot({ ...options, global: true })], controllers: [AdopterMcpController, AdopterRestController] })
  class AdopterAppModule {}
  const app = await NestFactory.create(AdopterAppModule, { logger: false });
  await app.listen(port, '127.0.0.1');
  return app;
}

describe('nestjs-oauth-mcp/testing with the embedded dev IdP and the SDK client', () => {
  let idp: DevIdp;
  let app: INestApplication;
  let resource: string;

  beforeAll(async () => {
    const port = await freePort();
    resource = `http://localhost:${port}/mcp`;
    idp = await startDevIdp({ resource, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'], port: 0 });
    app = await bootAdopterApp(port, {
      provider: 'oidc',
      issuer: idp.issuer,
      audience: resource,
      serverUrl: `http://localhost:${port}`,
      scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
      requireAccessTokenType: true,
    });
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  it('signInWithDevIdp gives a ready OAuthClientProvider: the SDK client calls a guarded tool as that user', async () => {
    const provider = await signInWithDevIdp(resource, { username: 'zoe' });
    const client = new Client({ name: 'adopter-test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
    const result = (await client.callTool({ name: 'my_profile', arguments: {} })) as TextResult;
    expect(JSON.parse(result.content[0].text)).toEqual({ sub: 'zoe', scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] });
    await client.close();

    const res = await fetch(resource.replace('/mcp', '/me'), { headers: { authorization: `Bearer ${provider.tokens()!.access_token}` } });
    expect(await res.json()).toEqual({ sub: 'zoe', scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] });
  });

  it('the lower-level pieces: MemoryOAuthClientProvider + SDK auth() + headlessLogin, with a narrower scope (403 on the admin tool)', async () => {
    const provider = new MemoryOAuthClientProvider('http://127.0.0.1:53999/callback', 'adopter narrow test');
    const serverUrl = new URL(resource);
    expect(await auth(provider, { serverUrl, scope: 'mcp:read' })).toBe('REDIRECT');
    const callback = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'yan' });
    expect(await auth(provider, { serverUrl, scope: 'mcp:read', authorizationCode: callback.searchParams.get('code')! })).toBe('AUTHORIZED');

    const res = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'delete_everything', arguments: {} } }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="mcp:read mcp:admin"/);
  });
});

describe('nestjs-oauth-mcp/testing against a proxy-mode server (the app is the authorization server in front of the dev IdP)', () => {
  let idp: DevIdp;
  let app: INestApplication;
  let base: string;
  let resource: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    resource = `${base}/mcp`;
    // The dev IdP pre-registers this app's confidential client, redirecting to ${base}/oauth/callback.
    idp = await startDevIdp({ resource, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'], port: 0, proxyCallbackUrl: `${base}/oauth/callback` });
    app = await bootAdopterApp(port, {
      mode: 'proxy',
      provider: 'oidc',
      issuer: idp.issuer,
      clientId: idp.proxyClient!.clientId,
      clientSecret: idp.proxyClient!.clientSecret,
      jwtSecret: 'Pq4mZp9XwR4tYb8NcL1sDf6GhJ3aUe7k',
      serverUrl: base,
      scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
    });
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  it("signInWithDevIdp registers here, approves the consent page, signs in at the dev IdP, and holds this server's token", async () => {
    const provider = await signInWithDevIdp(resource, { username: 'quinn' });
    // Our token, not the IdP's: issued by this server for its MCP endpoint.
    const claims = JSON.parse(Buffer.from(provider.tokens()!.access_token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: base, aud: resource, sub: 'quinn' });
    expect(provider.tokens()!.refresh_token).toBeTruthy();

    const client = new Client({ name: 'adopter-proxy-test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
    const result = (await client.callTool({ name: 'my_profile', arguments: {} })) as TextResult;
    expect(JSON.parse(result.content[0].text)).toEqual({ sub: 'quinn', scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] });
    await client.close();

    const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${provider.tokens()!.access_token}` } });
    expect(await me.json()).toEqual({ sub: 'quinn', scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] });
  });

  it('a narrower scope: the admin tool is a 403 step-up challenge', async () => {
    const provider = await signInWithDevIdp(resource, { username: 'rory', scope: 'mcp:read' });
    const res = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'delete_everything', arguments: {} } }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="mcp:read mcp:admin"/);
  });
});

describe('nestjs-oauth-mcp/testing with HMAC tokens (mintTestToken)', () => {
  const secret = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    app = await bootAdopterApp(port, { provider: 'hmac', jwtSecret: secret, audience: 'api://adopter', issuer: 'https://tests.example', serverUrl: base });
  });
  afterAll(() => app.close());

  it('a minted token for a user and scopes reaches the guarded routes; a missing scope is 403, a wrong secret 401', async () => {
    const token = await mintTestToken({ secret, sub: 'svc-1', scope: ['mcp:read', 'mcp:write'], aud: 'api://adopter', iss: 'https://tests.example' });
    const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toEqual({ sub: 'svc-1', scopes: ['mcp:read', 'mcp:write'] });
    expect((await fetch(`${base}/write`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const readOnly = await mintTestToken({ secret, sub: 'svc-2', scope: 'mcp:read', aud: 'api://adopter', iss: 'https://tests.example', ttlSeconds: 60 });
    expect((await fetch(`${base}/write`, { headers: { authorization: `Bearer ${readOnly}` } })).status).toBe(403);

    const forged = await mintTestToken({ secret: 'Xz9Wq4Lm7Kp2Nv8Rt5Ys1Hd6Fg3Jc0Bq', sub: 'eve', aud: 'api://adopter', iss: 'https://tests.example' });
    expect((await fetch(`${base}/me`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
    const wrongIssuer = await mintTestToken({ secret, sub: 'svc-1', aud: 'api://adopter' });
    expect((await fetch(`${base}/me`, { headers: { authorization: `Bearer ${wrongIssuer}` } })).status).toBe(401);
  });
});
