import type { INestApplication } from '@nestjs/common';
import { auth as authV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth as authV2, Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/dev-idp.js';
import { headlessLogin } from '../../src/dev-idp/headless-login.js';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { runDemo } from '../../examples/basic/demo-flow.js';
import { MemoryOAuthClientProvider } from '../../src/testing/memory-client-provider.js';
import { freePort } from '../support/free-port.js';
import { startExampleOn } from '../support/example-server.js';

type TextResult = { content: { type: string; text: string }[] };

async function signIn(serverUrl: URL, provider = new MemoryOAuthClientProvider(), username = 'alice'): Promise<MemoryOAuthClientProvider> {
  expect(await authV1(provider, { serverUrl })).toBe('REDIRECT');
  const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username });
  expect(cb.searchParams.get('state')).toBe(provider.state());
  expect(await authV1(provider, { serverUrl, authorizationCode: cb.searchParams.get('code')! })).toBe('AUTHORIZED');
  return provider;
}

async function whoami(serverUrl: URL, provider: MemoryOAuthClientProvider): Promise<Record<string, unknown>> {
  const client = new ClientV1({ name: 'e2e', version: '0' });
  await client.connect(new TransportV1(serverUrl, { authProvider: provider }));
  const result = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
  await client.close();
  return JSON.parse(result.content[0].text);
}

const tokenRequest = (base: string, params: Record<string, string>) =>
  fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });

describe('proxy mode: the embedded default (this server is the AS in front of the dev IdP)', () => {
  let app: INestApplication;
  let base: string;
  let serverUrl: URL;

  beforeAll(async () => {
    ({ app, base, serverUrl } = await startExampleOn());
  });
  afterAll(() => app.close());

  it('npm run demo completes discovery → registration → consent → dev login → code → token → whoami → refresh', async () => {
    const lines: string[] = [];
    const text = await runDemo(base, 'bob', (l) => lines.push(l));
    expect(JSON.parse(text)).toMatchObject({ sub: 'bob', username: 'bob' });
    expect(lines).toContain(`   access token: iss=${base} aud=${base}/mcp`);
    expect(lines.at(-1)).toBe('5. Refreshed: new refresh token (rotated)');
  });

  it('J106/J107 PRM names this server as the AS; its metadata issuer is byte-identical', async () => {
    const prm = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, any>;
    expect(prm.authorization_servers).toEqual([base]);
    const as = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, any>;
    expect(as.issuer).toBe(prm.authorization_servers[0]);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(JSON.stringify(as)).not.toContain('null');
  });

  it('I104 the client holds our token (aud = MCP endpoint, iss = this server), never the IdP token', async () => {
    const provider = await signIn(serverUrl);
    const token = provider.tokens()!.access_token;
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const claims = decodeJwt(token);
    expect(claims.iss).toBe(base);
    expect(claims.aud).toBe(`${base}/mcp`);
    expect(claims.client_id).toBe(provider.info!.client_id);
    expect(await whoami(serverUrl, provider)).toMatchObject({ sub: 'alice' });
  });

  it('I99 refresh rotates; reusing the old refresh token is invalid_grant and revokes the whole family', async () => {
    const provider = await signIn(serverUrl);
    const first = provider.tokens()!;
    expect(await authV1(provider, { serverUrl })).toBe('AUTHORIZED');
    const second = provider.tokens()!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(await whoami(serverUrl, provider)).toMatchObject({ sub: 'alice' });

    const reuse = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: provider.info!.client_id });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    // The family is gone: the current refresh token and its access token stop working too.
    const current = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: second.refresh_token!, client_id: provider.info!.client_id });
    expect(current.status).toBe(400);
    const mcp = await fetch(serverUrl, { method: 'POST', headers: { authorization: `Bearer ${second.access_token}` } });
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('www-authenticate')).toContain('error_description="The access token was revoked"');
  });

  it('RFC 7009 revocation ends the grant: the access token gets 401 at /mcp', async () => {
    const provider = await signIn(serverUrl);
    const { access_token } = provider.tokens()!;
    const res = await fetch(`${base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: access_token, client_id: provider.info!.client_id }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect((await fetch(serverUrl, { method: 'POST', headers: { authorization: `Bearer ${access_token}` } })).status).toBe(401);
  });

  it('PIT-08 an unknown client_id makes the SDK re-register (invalid_client), then sign-in succeeds', async () => {
    const provider = await signIn(serverUrl);
    provider.info = { ...provider.info!, client_id: 'forgotten-client' };
    // Refresh with a client the server does not know → invalid_client → the SDK forgets it and restarts.
    const result = await authV1(provider, { serverUrl }).catch((e: Error) => e);
    expect(result instanceof Error ? result.message : result).not.toBe('AUTHORIZED');
    const again = await signIn(serverUrl, provider);
    expect(again.info!.client_id).not.toBe('forgotten-client');
    expect(await whoami(serverUrl, again)).toMatchObject({ sub: 'alice' });
  });

  it('F65 a replayed code is invalid_grant and revokes the tokens issued from it', async () => {
    const provider = new MemoryOAuthClientProvider();
    await authV1(provider, { serverUrl });
    const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl);
    const params = {
      grant_type: 'authorization_code',
      code: cb.searchParams.get('code')!,
      code_verifier: provider.codeVerifier(),
      redirect_uri: provider.redirectUrl,
      client_id: provider.info!.client_id,
    };
    const first = await tokenRequest(base, params);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const tokens = (await first.json()) as { access_token: string };
    const replay = await tokenRequest(base, params);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await fetch(serverUrl, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  it('on-behalf-of: a tool calls the IdP with the upstream token; the client only ever sees our token', async () => {
    const provider = await signIn(serverUrl, undefined, 'gina');
    const client = new ClientV1({ name: 'e2e', version: '0' });
    await client.connect(new TransportV1(serverUrl, { authProvider: provider }));
    const result = (await client.callTool({ name: 'idp_profile', arguments: {} })) as TextResult & { isError?: boolean };
    await client.close();
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.content[0].text)).toEqual({ sub: 'gina', email: 'gina@dev.localhost', name: 'gina' });
    // The token response carries our tokens only: no upstream access, refresh or ID token.
    expect(provider.tokens()).not.toHaveProperty('id_token');
    expect(decodeJwt(provider.tokens()!.access_token).iss).toBe(base);
  });

  it('SDK v2 (@modelcontextprotocol/client: issuer echo and iss checks) completes the proxy flow', async () => {
    const provider = new MemoryOAuthClientProvider('http://127.0.0.1:53684/callback', 'e2e-v2');
    expect(await authV2(provider as never, { serverUrl })).toBe('REDIRECT');
    const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'erin' });
    expect(cb.searchParams.get('iss')).toBe(base);
    const result = await authV2(provider as never, { serverUrl, authorizationCode: cb.searchParams.get('code')!, iss: cb.searchParams.get('iss')! });
    expect(result).toBe('AUTHORIZED');
    const client = new ClientV2({ name: 'e2e-v2', version: '0' });
    await client.connect(new TransportV2(serverUrl, { authProvider: provider as never }));
    const whoamiResult = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
    expect(JSON.parse(whoamiResult.content[0].text)).toMatchObject({ sub: 'erin' });
    await client.close();
  });
});

describe.each(['oidc', 'okta'])('proxy mode with OAUTH_PROVIDER=%s in front of an oidc-provider upstream', (providerName) => {
  let idp: DevIdp;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    idp = await startDevIdp({ resource: `${base}/mcp`, scopes: ['mcp:read'], port: 0, proxyCallbackUrl: `${base}/oauth/callback` });
    app = await startExampleServer({
      env: {
        OAUTH_PROVIDER: providerName,
        OAUTH_MODE: 'proxy',
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.proxyClient!.clientId,
        OIDC_CLIENT_SECRET: idp.proxyClient!.clientSecret,
        JWT_SECRET: 'Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUek7',
        OAUTH_SCOPES: 'mcp:read mcp:write',
        MCP_PORT: String(port),
        MCP_URL: base,
      },
      logger: false,
    });
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });

  it('the SDK client signs in; its token is ours (iss = this server, aud = the MCP endpoint), not the IdP token', async () => {
    const serverUrl = new URL(`${base}/mcp`);
    const provider = await signIn(serverUrl, undefined, 'frank');
    const claims = decodeJwt(provider.tokens()!.access_token);
    expect(claims.iss).toBe(base);
    expect(claims.iss).not.toBe(idp.issuer);
    expect(claims.aud).toBe(`${base}/mcp`);
    expect(claims.scope).toBe('mcp:read mcp:write');
    expect(await whoami(serverUrl, provider)).toMatchObject({ sub: 'frank', email: 'frank@dev.localhost' });
  });
});
