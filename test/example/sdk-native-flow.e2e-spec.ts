import type { INestApplication } from '@nestjs/common';
import { auth as authV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth as authV2, Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { headlessLogin } from '../../src/dev-idp/headless-login.js';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { runDemo } from '../../examples/basic/demo-flow.js';
import { MemoryOAuthClientProvider } from '../../src/testing/memory-client-provider.js';
import { freePort } from '../support/free-port.js';

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

describe('example server, native mode against the embedded dev IdP, official SDK clients', () => {
  let app: INestApplication;
  let mcpUrl: string;
  let serverUrl: URL;

  beforeAll(async () => {
    const port = await freePort();
    mcpUrl = `http://localhost:${port}`;
    serverUrl = new URL(`${mcpUrl}/mcp`);
    app = await startExampleServer({ env: { MCP_PORT: String(port), MCP_URL: mcpUrl, DEV_IDP_PORT: '0', OAUTH_MODE: 'native' }, logger: false });
  });
  afterAll(() => app.close());

  it('RS-01 every method on /mcp without a token is 401 with the Bearer challenge, before any 404/405', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await fetch(serverUrl, { method });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="http:\/\/localhost:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    }
  });

  it('PRM at both URLs names the dev IdP issuer byte for byte as its metadata publishes it', async () => {
    const suffixed = (await (await fetch(`${mcpUrl}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, any>;
    const root = await (await fetch(`${mcpUrl}/.well-known/oauth-protected-resource`)).json();
    expect(root).toEqual(suffixed);
    expect(suffixed.resource).toBe(serverUrl.href);
    const as = (await (await fetch(`${suffixed.authorization_servers[0]}/.well-known/openid-configuration`)).json()) as Record<string, any>;
    expect(as.issuer).toBe(suffixed.authorization_servers[0]);
  });

  it('npm run demo: SDK v1 signs in as a dev user and whoami returns that user', async () => {
    const lines: string[] = [];
    const text = await runDemo(mcpUrl, 'bob', (l) => lines.push(l));
    expect(JSON.parse(text)).toEqual({ sub: 'bob', username: 'bob', email: 'bob@dev.localhost', scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] });
    expect(lines.some((l) => l.startsWith('whoami →'))).toBe(true);
  });

  it('SDK v1: the token is an RFC 9068 JWT for this MCP endpoint; echo and admin_ping work', async () => {
    const provider = new MemoryOAuthClientProvider();
    expect(await authV1(provider, { serverUrl })).toBe('REDIRECT');
    const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'carol' });
    expect(await authV1(provider, { serverUrl, authorizationCode: cb.searchParams.get('code')! })).toBe('AUTHORIZED');
    const accessToken = provider.tokens()!.access_token;
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
    expect(decodeJwt(accessToken).aud).toBe(serverUrl.href);

    const client = new ClientV1({ name: 'e2e-v1', version: '0' });
    await client.connect(new TransportV1(serverUrl, { authProvider: provider }));
    const echo = (await client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as TextResult;
    expect(echo.content[0].text).toBe('hi');
    const pong = (await client.callTool({ name: 'admin_ping', arguments: {} })) as TextResult;
    expect(pong.content[0].text).toBe('pong');
    await client.close();
  });

  it('SDK v1 step-up while holding a refresh token: 403 names mcp:read mcp:admin; v1 refreshes (which cannot widen the scope) and gives up (see step-up.e2e-spec for the re-authorization)', async () => {
    const provider = new MemoryOAuthClientProvider();
    expect(await authV1(provider, { serverUrl, scope: 'mcp:read' })).toBe('REDIRECT');
    const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'dave' });
    await authV1(provider, { serverUrl, authorizationCode: cb.searchParams.get('code')!, scope: 'mcp:read' });
    expect(decodeJwt(provider.tokens()!.access_token).scope).toBe('mcp:read');

    const client = new ClientV1({ name: 'e2e-v1', version: '0' });
    await client.connect(new TransportV1(serverUrl, { authProvider: provider }));
    const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
    expect(JSON.parse(whoami.content[0].text).scopes).toEqual(['mcp:read']);
    // SDK v1 reacts to the 403 challenge by trying to up-scope (through refresh, which cannot widen scope).
    await expect(client.callTool({ name: 'admin_ping', arguments: {} })).rejects.toThrow(/403 after trying upscoping/);
    await client.close();
    const raw = await fetch(serverUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_ping', arguments: {} } }),
    });
    expect(raw.status).toBe(403);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="/);
  });

  it('SDK v2 (@modelcontextprotocol/client, strict issuer and iss checks) completes the flow and calls whoami', async () => {
    const provider = new MemoryOAuthClientProvider('http://127.0.0.1:53683/callback', 'e2e-v2');
    expect(await authV2(provider as never, { serverUrl })).toBe('REDIRECT');
    const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'erin' });
    expect(cb.searchParams.get('state')).toBe(provider.state());
    const result = await authV2(provider as never, {
      serverUrl,
      authorizationCode: cb.searchParams.get('code')!,
      iss: cb.searchParams.get('iss') ?? undefined,
    });
    expect(result).toBe('AUTHORIZED');
    const client = new ClientV2({ name: 'e2e-v2', version: '0' });
    await client.connect(new TransportV2(serverUrl, { authProvider: provider as never }));
    const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
    expect(JSON.parse(whoami.content[0].text)).toMatchObject({ sub: 'erin', username: 'erin' });
    await client.close();
  });
});
