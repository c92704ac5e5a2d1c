/**
 * The @rekog/mcp-nest example (examples/rekog) end to end, in process, with the official SDK clients.
 * @rekog/mcp-nest 2.x is CommonJS and `require()`s the ESM-only NestJS 12 packages; Jest on Node 24
 * loads it with the one copy of Nest the setup file loaded (test/setup/single-esm-copies.ts).
 */
import type { INestApplication } from '@nestjs/common';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { startRekogExampleServer } from '../../examples/rekog/bootstrap.js';
import { signInWithDevIdp, type MemoryOAuthClientProvider } from '../../src/testing/index.js';
import { CapturingLogger } from '../support/capture.js';
import { freePort } from '../support/free-port.js';

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

interface RunningExample {
  base: string;
  serverUrl: URL;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts the example with the embedded dev IdP and the given environment (nothing read from process.env or .env). */
async function start(env: Record<string, string>): Promise<RunningExample> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const logger = new CapturingLogger();
  const app: INestApplication = await startRekogExampleServer({ env: { MCP_PORT: String(port), MCP_URL: base, DEV_IDP_PORT: '0', ...env }, logger });
  return { base, serverUrl: new URL(`${base}/mcp`), output: () => logger.text(), stop: () => app.close() };
}

/** The official SDK v2 client (@modelcontextprotocol/client), as @rekog/mcp-nest 2.x is built on the v2 SDK packages. */
async function connectV2(serverUrl: URL, provider: MemoryOAuthClientProvider): Promise<ClientV2> {
  const client = new ClientV2({ name: 'rekog-e2e-v2', version: '0' });
  await client.connect(new TransportV2(serverUrl, { authProvider: provider as never }));
  return client;
}

const json = (result: unknown) => JSON.parse((result as TextResult).content[0].text) as Record<string, unknown>;

describe('@rekog/mcp-nest example: its MCP server guarded by McpAuthGuard (native mode, embedded dev IdP)', () => {
  let example: RunningExample;
  let base: string;
  let serverUrl: URL;

  beforeAll(async () => {
    example = await start({ OAUTH_MODE: 'native' });
    ({ base, serverUrl } = example);
  });
  afterAll(() => example.stop());

  it('boots: the MCP strategy owns no route of its own, the startup block names the endpoint', () => {
    expect(example.output()).toContain('MCP streamable-http transport ready (stateless, self-mount disabled — a controller owns the route)');
    expect(example.output()).toContain(`MCP endpoint:                ${base}/mcp`);
  });

  it('unauthenticated POST, GET and DELETE on /mcp get 401 with the Bearer challenge (the transport mounted no unguarded route)', async () => {
    for (const method of ['POST', 'GET', 'DELETE']) {
      const res = await fetch(serverUrl, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }) : undefined,
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write mcp:admin", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
      );
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Bearer token required' });
    }
  });

  it('an invalid token is 401 invalid_token before the MCP server sees it', async () => {
    const res = await fetch(serverUrl, { method: 'POST', headers: { authorization: 'Bearer not.a.jwt', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('the SDK v2 client signs in and calls tools that read the caller with @CurrentUser()', async () => {
    const provider = await signInWithDevIdp(serverUrl, { username: 'rita' });
    const client = await connectV2(serverUrl, provider);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['admin_ping', 'greet', 'idp_profile', 'whoami']);

    expect(json(await client.callTool({ name: 'whoami', arguments: {} }))).toEqual({
      sub: 'rita',
      username: 'rita',
      email: 'rita@dev.localhost',
      scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
    });
    // @CurrentUser('email'), next to validated @Payload() arguments.
    const greet = (await client.callTool({ name: 'greet', arguments: { greeting: 'Hi' } })) as TextResult;
    expect(greet.content[0].text).toBe('Hi, rita@dev.localhost!');
    const pong = (await client.callTool({ name: 'admin_ping', arguments: {} })) as TextResult;
    expect(pong.content[0].text).toBe('pong');
    await client.close();
  });

  it('@CurrentUser() never reads the tool arguments: a "user" argument cannot change who the caller is', async () => {
    const provider = await signInWithDevIdp(serverUrl, { username: 'sam' });
    const client = await connectV2(serverUrl, provider);
    const result = await client.callTool({ name: 'whoami', arguments: { user: { sub: 'mallory', scopes: ['mcp:admin'] } } });
    expect(json(result)).toMatchObject({ sub: 'sam', username: 'sam' });
    await client.close();
  });

  it('the SDK v1 client works too', async () => {
    const provider = await signInWithDevIdp(serverUrl, { username: 'vic' });
    const client = new ClientV1({ name: 'rekog-e2e-v1', version: '0' });
    await client.connect(new TransportV1(serverUrl, { authProvider: provider }));
    expect(json(await client.callTool({ name: 'whoami', arguments: {} }))).toMatchObject({ sub: 'vic' });
    await client.close();
  });

  it('@RequireToolScopes on the guarded route: admin_ping without mcp:admin is an HTTP 403 step-up challenge', async () => {
    const provider = await signInWithDevIdp(serverUrl, { username: 'una', scope: 'mcp:read' });
    const token = provider.tokens()!.access_token;
    expect(decodeJwt(token).scope).toBe('mcp:read');
    const call = (name: string) =>
      fetch(serverUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
      });
    const denied = await call('admin_ping');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="/);

    const client = await connectV2(serverUrl, provider);
    expect(json(await client.callTool({ name: 'whoami', arguments: {} }))).toMatchObject({ sub: 'una', scopes: ['mcp:read'] });
    await client.close();
  });
});

describe('@rekog/mcp-nest example in proxy mode (this server is the AS in front of the dev IdP)', () => {
  let example: RunningExample;
  let base: string;
  let serverUrl: URL;

  beforeAll(async () => {
    example = await start({ OAUTH_MODE: 'proxy' });
    ({ base, serverUrl } = example);
  });
  afterAll(() => example.stop());

  it('unauthenticated → 401 challenge naming this server; the signed-in client holds our token and tools see the user', async () => {
    const res = await fetch(serverUrl, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="http:\/\/localhost:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);

    const provider = await signInWithDevIdp(serverUrl, { username: 'wanda' });
    expect(decodeJwt(provider.tokens()!.access_token)).toMatchObject({ iss: base, aud: `${base}/mcp` });
    const client = await connectV2(serverUrl, provider);
    expect(json(await client.callTool({ name: 'whoami', arguments: {} }))).toMatchObject({ sub: 'wanda', email: 'wanda@dev.localhost' });
    // On-behalf-of through @McpRawRequest() → req.auth → UpstreamTokenService.
    const profile = (await client.callTool({ name: 'idp_profile', arguments: {} })) as TextResult;
    expect(profile.isError).toBeFalsy();
    expect(JSON.parse(profile.content[0].text)).toEqual({ sub: 'wanda', email: 'wanda@dev.localhost', name: 'wanda' });
    await client.close();
  });
});
