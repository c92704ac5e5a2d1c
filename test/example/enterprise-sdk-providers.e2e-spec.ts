import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  Client as ClientV2,
  ClientCredentialsProvider,
  CrossAppAccessProvider,
  discoverAndRequestJwtAuthGrant,
  PrivateKeyJwtProvider,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ClientCredentialsProvider as ClientCredentialsProviderV1,
  PrivateKeyJwtProvider as PrivateKeyJwtProviderV1,
} from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { decodeJwt, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { EnterpriseIdp, type EnterpriseApp } from '../support/enterprise-idp.js';
import { signInAtEnterpriseIdp } from '../support/enterprise-sign-in.js';
import { freePort } from '../support/free-port.js';
import { generateTestKey, JwksServer } from '../support/jwks-server.js';

/*
 * Issue 14 end to end: the example server (configured only through environment variables) with an
 * enterprise IdP trusted for ID-JAGs and three machine clients, and the official SDK's providers:
 * `CrossAppAccessProvider` (v2) after a real OIDC sign-in at a stand-in enterprise IdP,
 * `ClientCredentialsProvider` and `PrivateKeyJwtProvider` (v2, and v1's auth-extensions), each
 * completing discovery, the token request and tool calls.
 */

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const secret = () => randomBytes(32).toString('base64url');

describe('the example server with enterprise settings: the SDK providers complete and call tools', () => {
  let idp: EnterpriseIdp;
  let jwksHost: JwksServer;
  let app: INestApplication;
  let base: string;
  let serverUrl: URL;
  let mcpApp: EnterpriseApp;
  const agentSecret = secret();
  const ciSecret = secret();
  let rsaPrivateJwk: Record<string, unknown>;
  let ecPrivatePem: string;

  beforeAll(async () => {
    idp = await new EnterpriseIdp().start();
    jwksHost = await new JwksServer().start();
    const port = await freePort();
    base = `http://localhost:${port}`;
    serverUrl = new URL(`${base}/mcp`);

    // The enterprise's directory and its registration of the MCP client app, which it knows at this MCP
    // server's authorization server as "agent".
    idp.users.set('alice', { sub: 'ent-0001', email: 'alice@corp.example', name: 'Alice', groups: ['engineering'], scopes: ['mcp:read', 'mcp:admin'] });
    mcpApp = {
      clientId: 'agent-app-at-idp',
      clientSecret: secret(),
      redirectUri: 'http://127.0.0.1:51999/callback',
      resourceClients: { [base]: { clientId: 'agent', resources: [`${base}/mcp`] } },
    };
    idp.apps.set(mcpApp.clientId, mcpApp);

    // Machine clients: one with an inline RSA key, one publishing an EC key at a jwks_uri.
    const rsa = await generateKeyPair('RS256', { extractable: true });
    rsaPrivateJwk = { ...(await exportJWK(rsa.privateKey)) };
    const rsaPublic = { ...(await exportJWK(rsa.publicKey)), use: 'sig' };
    const ec = await generateKeyPair('ES256', { extractable: true });
    ecPrivatePem = await exportPKCS8(ec.privateKey);
    jwksHost.keys = [{ ...(await exportJWK(ec.publicKey)), kid: 'ci-ec-1', alg: 'ES256', use: 'sig' }, (await generateTestKey('RS256', 'unrelated')).publicJwk];

    app = await startExampleServer({
      logger: false,
      env: {
        MCP_PORT: String(port),
        MCP_URL: base,
        DEV_IDP_PORT: '0',
        OAUTH_ID_JAG_ISSUERS: idp.issuer,
        OAUTH_POLICY_FORBIDDEN_GROUPS: 'contractors',
        OAUTH_STATIC_CLIENTS: JSON.stringify([
          { client_id: 'agent', client_secret: agentSecret, grant_types: [JWT_BEARER], client_name: 'Enterprise agent' },
          { client_id: 'ci-basic', client_secret: ciSecret, grant_types: ['client_credentials'], scope: 'mcp:read' },
          { client_id: 'ci-jwt', jwks: { keys: [rsaPublic] }, grant_types: ['client_credentials'], scope: 'mcp:read mcp:admin' },
          { client_id: 'ci-jwks-uri', jwks_uri: jwksHost.jwksUri, grant_types: ['client_credentials'], scope: 'mcp:read' },
        ]),
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await jwksHost?.stop();
    await idp?.stop();
  });

  async function callTools(client: ClientV1 | ClientV2, names: string[]): Promise<Record<string, TextResult>> {
    const out: Record<string, TextResult> = {};
    for (const name of names) out[name] = (await client.callTool({ name, arguments: {} })) as TextResult;
    await client.close();
    return out;
  }

  it('metadata advertises the jwt-bearer and client_credentials grants, private_key_jwt with its algorithms, and the ID-JAG profile', async () => {
    const as = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(as.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials', JWT_BEARER]);
    expect(as.token_endpoint_auth_methods_supported).toEqual(['none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt']);
    expect(as.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);
    expect(as.authorization_grant_profiles_supported).toEqual(['urn:ietf:params:oauth:grant-profile:id-jag']);
  });

  it('CrossAppAccessProvider: OIDC sign-in at the enterprise IdP, token exchange for an ID-JAG, jwt-bearer grant, then tool calls', async () => {
    const idToken = await signInAtEnterpriseIdp(idp, mcpApp, 'alice');
    const contexts: { authorizationServerUrl: string; resourceUrl: string; scope?: string }[] = [];
    const provider = new CrossAppAccessProvider({
      assertion: async (ctx) => {
        contexts.push({ authorizationServerUrl: String(ctx.authorizationServerUrl), resourceUrl: String(ctx.resourceUrl), scope: ctx.scope });
        const grant = await discoverAndRequestJwtAuthGrant({
          idpUrl: idp.issuer,
          audience: ctx.authorizationServerUrl,
          resource: ctx.resourceUrl,
          idToken,
          clientId: mcpApp.clientId,
          clientSecret: mcpApp.clientSecret,
          scope: ctx.scope,
          fetchFn: ctx.fetchFn,
        });
        return grant.jwtAuthGrant;
      },
      clientId: 'agent',
      clientSecret: agentSecret,
      expectedIssuer: base,
    });
    const client = new ClientV2({ name: 'enterprise-agent', version: '0' });
    await client.connect(new TransportV2(serverUrl, { authProvider: provider }));
    const results = await callTools(client, ['whoami', 'admin_ping']);

    expect(contexts).toEqual([{ authorizationServerUrl: base, resourceUrl: `${base}/mcp`, scope: 'mcp:read mcp:write mcp:admin' }]);
    expect(idp.exchanges).toBe(1);
    expect(JSON.parse(results.whoami.content[0].text)).toEqual({
      sub: 'ent-0001',
      username: 'alice@corp.example',
      email: 'alice@corp.example',
      scopes: ['mcp:read', 'mcp:admin'],
    });
    expect(results.admin_ping.content[0].text).toBe('pong');
    const tokens = provider.tokens()!;
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe('mcp:read mcp:admin');
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      iss: base,
      aud: `${base}/mcp`,
      sub: 'ent-0001',
      client_id: 'agent',
      gty: JWT_BEARER,
      id_jag_iss: idp.issuer,
      groups: ['engineering'],
    });
  });

  it('ClientCredentialsProvider (client_secret_basic): the client is the subject, scopes within its registration, no refresh token', async () => {
    const provider = new ClientCredentialsProvider({ clientId: 'ci-basic', clientSecret: ciSecret, expectedIssuer: base });
    const client = new ClientV2({ name: 'ci-job', version: '0' });
    await client.connect(new TransportV2(serverUrl, { authProvider: provider }));
    const results = await callTools(client, ['whoami']);
    expect(JSON.parse(results.whoami.content[0].text)).toEqual({ sub: 'ci-basic', username: 'ci-basic', email: null, scopes: ['mcp:read'] });
    const tokens = provider.tokens()!;
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      sub: 'ci-basic',
      client_id: 'ci-basic',
      gty: 'client_credentials',
      scope: 'mcp:read',
      aud: `${base}/mcp`,
    });
  });

  it('PrivateKeyJwtProvider (RS256 key registered inline): signed client assertion, then tool calls including the admin one', async () => {
    const provider = new PrivateKeyJwtProvider({ clientId: 'ci-jwt', privateKey: rsaPrivateJwk, algorithm: 'RS256', expectedIssuer: base });
    const client = new ClientV2({ name: 'ci-job', version: '0' });
    await client.connect(new TransportV2(serverUrl, { authProvider: provider }));
    const results = await callTools(client, ['whoami', 'admin_ping']);
    expect(JSON.parse(results.whoami.content[0].text)).toMatchObject({ sub: 'ci-jwt', scopes: ['mcp:read', 'mcp:admin'] });
    expect(results.admin_ping.content[0].text).toBe('pong');
  });

  it('PrivateKeyJwtProvider (ES256 key at the client jwks_uri, fetched through the SSRF guard)', async () => {
    const before = jwksHost.jwksRequests;
    const provider = new PrivateKeyJwtProvider({ clientId: 'ci-jwks-uri', privateKey: ecPrivatePem, algorithm: 'ES256', expectedIssuer: base });
    const client = new ClientV2({ name: 'ci-job', version: '0' });
    await client.connect(new TransportV2(serverUrl, { authProvider: provider }));
    const results = await callTools(client, ['whoami']);
    expect(JSON.parse(results.whoami.content[0].text)).toMatchObject({ sub: 'ci-jwks-uri', scopes: ['mcp:read'] });
    expect(jwksHost.jwksRequests).toBe(before + 1);
  });

  it('v1 auth-extensions: ClientCredentialsProvider and PrivateKeyJwtProvider complete too', async () => {
    const basic = new ClientCredentialsProviderV1({ clientId: 'ci-basic', clientSecret: ciSecret, expectedIssuer: base } as never);
    const c1 = new ClientV1({ name: 'ci-v1', version: '0' });
    await c1.connect(new TransportV1(serverUrl, { authProvider: basic }));
    expect(JSON.parse((await callTools(c1, ['whoami'])).whoami.content[0].text)).toMatchObject({ sub: 'ci-basic' });

    const jwt = new PrivateKeyJwtProviderV1({ clientId: 'ci-jwt', privateKey: rsaPrivateJwk, algorithm: 'RS256', expectedIssuer: base } as never);
    const c2 = new ClientV1({ name: 'ci-v1', version: '0' });
    await c2.connect(new TransportV1(serverUrl, { authProvider: jwt }));
    expect(JSON.parse((await callTools(c2, ['whoami'])).whoami.content[0].text)).toMatchObject({ sub: 'ci-jwt' });
  });
});
