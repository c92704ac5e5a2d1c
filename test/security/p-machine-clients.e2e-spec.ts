import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { decodeJwt, SignJWT } from 'jose';
import { registerClient, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import { JwksServer } from '../support/jwks-server.js';
import {
  CI_SECRET,
  clientAssertion,
  CLIENT_ASSERTION_TYPE,
  clientCredentials,
  clientKey,
  type EnterpriseFixture,
  expectRefused,
  expectToken,
  mcpStatus,
  startEnterpriseFixture,
  withAssertion,
  WEB_SECRET,
  AGENT_SECRET,
} from './enterprise-helpers.js';

/*
 * security-cases.md group P, P13-P20: machine clients (MCP extension io.modelcontextprotocol/oauth-client-credentials):
 * grant_type=client_credentials for pre-registered confidential clients only, authenticated with a
 * secret or an RFC 7523 §2.2 client assertion (private_key_jwt). Every assertion below is valid but for
 * the one thing its test changes; every refusal is an RFC 6749 §5.2 error with nothing stored.
 */

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const CC = { grant_type: 'client_credentials' };

describe('P. Machine clients: client credentials with client_secret_basic and private_key_jwt', () => {
  let e: EnterpriseFixture;
  let f: ProxyFixture;
  let cimd: Server;
  let cimdUrl = '';

  beforeAll(async () => {
    e = await startEnterpriseFixture();
    f = e.f;
    cimd = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          client_id: cimdUrl,
          client_name: 'Metadata client',
          redirect_uris: ['http://127.0.0.1:51000/callback'],
          grant_types: ['client_credentials'],
        }),
      );
    });
    await new Promise<void>((resolve) => cimd.listen(0, '127.0.0.1', resolve));
    cimdUrl = `http://127.0.0.1:${(cimd.address() as AddressInfo).port}/client.json`;
  });
  afterAll(async () => {
    await e.close();
    await new Promise((resolve) => cimd.close(resolve));
  });

  it('a pre-registered client with a secret gets a token whose subject is itself: no user claims, no refresh token, audited', async () => {
    const tokens = await expectToken(await clientCredentials(f, 'ci', CI_SECRET));
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(tokens.scope).toBe('mcp:read mcp:write');
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: f.base, aud: f.resource, sub: 'ci', client_id: 'ci', gty: 'client_credentials' });
    for (const user of ['email', 'name', 'groups', 'preferred_username']) expect(claims[user]).toBeUndefined();
    expect(await mcpStatus(f, tokens.access_token)).toBe(201);
    expect(e.audit.at(-1)).toMatchObject({ type: 'token_issued', clientId: 'ci', subject: 'ci', reason: 'client_credentials' });
  });

  it('P13 client credentials only for pre-registered confidential clients allowed the grant: public, registered (DCR), metadata-document and other static clients → unauthorized_client', async () => {
    const dcr = await registerClient(f, ['http://127.0.0.1:51000/callback']);
    await expectRefused(f, () => tokenRequest(f, { ...CC, client_id: 'native-app' }), 400, 'unauthorized_client');
    await expectRefused(f, () => tokenRequest(f, { ...CC, client_id: dcr }), 400, 'unauthorized_client');
    await expectRefused(f, () => tokenRequest(f, { ...CC, client_id: cimdUrl }), 400, 'unauthorized_client');
    await expectRefused(f, () => clientCredentials(f, 'web-app', WEB_SECRET), 400, 'unauthorized_client');
    await expectRefused(f, () => clientCredentials(f, 'agent', AGENT_SECRET), 400, 'unauthorized_client');
    await expectRefused(f, () => tokenRequest(f, CC), [400, 401], 'invalid_client');
  });

  it('P14 a client assertion is single use: a replay → invalid_client, audited; one sent five times at once → one token; spent at the token endpoint, refused at revocation', async () => {
    const assertion = await clientAssertion(f, 'ci-jwt', e.key.privateKey);
    await expectToken(await withAssertion(f, assertion, CC));
    await expectRefused(f, () => withAssertion(f, assertion, CC), [400, 401], 'invalid_client');
    expect(e.audit.at(-1)).toMatchObject({ type: 'assertion_replay', clientId: 'ci-jwt', reason: 'client_assertion' });
    expect(JSON.stringify(e.audit)).not.toContain(assertion);
    await expectRefused(
      f,
      () =>
        fetch(`${f.base}/oauth/revoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: 'x', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }),
        }),
      [400, 401],
      'invalid_client',
    );
    const racing = await clientAssertion(f, 'ci-jwt', e.key.privateKey);
    const statuses = await Promise.all(Array.from({ length: 5 }, () => withAssertion(f, racing, CC).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  });

  it.each<[string, (base: string, resource: string) => unknown]>([
    ['another authorization server', () => 'https://other-as.example.com'],
    ['the MCP endpoint', (_b, resource) => resource],
    ['the issuer with a trailing slash', (base) => `${base}/`],
    ['the /token alias (not advertised)', (base) => `${base}/token`],
    ['an array holding the issuer', (base) => [base]],
    ['no aud', () => undefined],
  ])('P15 client assertion aud = %s → invalid_client', async (_label, aud) => {
    await expectRefused(
      f,
      async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, { aud: aud(f.base, f.resource) }), CC),
      [400, 401],
      'invalid_client',
    );
  });

  it('P15 aud = the issuer or the token endpoint: accepted', async () => {
    await expectToken(await withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, { aud: f.base }), CC));
    await expectToken(await withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, { aud: `${f.base}/oauth/token` }), CC));
  });

  it('P16 client assertion time: expired past the skew, no exp, exp over 10 minutes ahead, iat or nbf in the future → invalid_client', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [{ iat: now - 300, exp: now - 120 }, { exp: undefined }, { exp: now + 3600 }, { iat: now + 120 }, { nbf: now + 120 }]) {
      await expectRefused(f, async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, claims), CC), [400, 401], 'invalid_client');
    }
  });

  it('P17 keys and identity: a key not in the client JWKS, a swapped payload, alg none, HS256 with the public key, iss ≠ sub, a client_id that differs, no jti → invalid_client', async () => {
    const stranger = await clientKey('client-key-1');
    await expectRefused(f, async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', stranger.privateKey), CC), [400, 401], 'invalid_client');
    const [header, , signature] = (await clientAssertion(f, 'ci-jwt', e.key.privateKey)).split('.');
    const claims = decodeJwt(await clientAssertion(f, 'ci-jwt', e.key.privateKey));
    await expectRefused(f, () => withAssertion(f, `${header}.${b64({ ...claims, jti: 'swapped' })}.${signature}`, CC), [400, 401], 'invalid_client');
    await expectRefused(f, () => withAssertion(f, `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, jti: 'none' })}.`, CC), [400, 401], 'invalid_client');
    const hs = await new SignJWT({ ...claims, jti: 'hs' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(JSON.stringify(e.key.publicJwk)));
    await expectRefused(f, () => withAssertion(f, hs, CC), [400, 401], 'invalid_client');
    await expectRefused(
      f,
      async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, { iss: 'agent-jwt' }), CC),
      [400, 401],
      'invalid_client',
    );
    await expectRefused(
      f,
      async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey), { ...CC, client_id: 'agent-jwt' }),
      [400, 401],
      'invalid_client',
    );
    await expectRefused(
      f,
      async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, { jti: undefined }), CC),
      [400, 401],
      'invalid_client',
    );
    await expectRefused(
      f,
      async () => withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey, {}, { typ: 'at+jwt' }), CC),
      [400, 401],
      'invalid_client',
    );
  });

  it('P18 one method per client: a secret for a private_key_jwt client, an assertion for a secret client, an assertion with Basic, a lone assertion or type, another assertion type', async () => {
    await expectRefused(f, () => clientCredentials(f, 'ci-jwt', CI_SECRET), 401, 'invalid_client');
    await expectRefused(f, async () => withAssertion(f, await clientAssertion(f, 'ci', e.key.privateKey), CC), [400, 401], 'invalid_client');
    const assertion = await clientAssertion(f, 'ci-jwt', e.key.privateKey);
    await expectRefused(
      f,
      () =>
        tokenRequest(
          f,
          { ...CC, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion },
          { authorization: `Basic ${Buffer.from(`ci:${CI_SECRET}`).toString('base64')}` },
        ),
      400,
      'invalid_request',
    );
    await expectRefused(f, () => tokenRequest(f, { ...CC, client_assertion: assertion }), 400, 'invalid_request');
    await expectRefused(f, () => tokenRequest(f, { ...CC, client_assertion_type: CLIENT_ASSERTION_TYPE }), 400, 'invalid_request');
    await expectRefused(
      f,
      () => tokenRequest(f, { ...CC, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: assertion }),
      [400, 401],
      'invalid_client',
    );
  });

  it('P20 scopes stay within the registration: a wider request is narrowed, one outside it is invalid_scope; resource must be this server', async () => {
    const narrowed = await expectToken(await clientCredentials(f, 'ci', CI_SECRET, { scope: 'mcp:read mcp:admin' }));
    expect(narrowed.scope).toBe('mcp:read');
    expect(narrowed.refresh_token).toBeUndefined();
    await expectRefused(f, () => clientCredentials(f, 'ci', CI_SECRET, { scope: 'mcp:admin' }), 400, 'invalid_scope');
    await expectRefused(f, () => clientCredentials(f, 'ci', CI_SECRET, { scope: 'mcp:read "bad"' }), 400, 'invalid_scope');
    await expectRefused(f, () => clientCredentials(f, 'ci', CI_SECRET, { resource: 'https://other-mcp.example.com/mcp' }), 400, 'invalid_target');
    const jwtScoped = await expectToken(
      await withAssertion(f, await clientAssertion(f, 'ci-jwt', e.key.privateKey), { ...CC, scope: 'mcp:read mcp:write mcp:admin' }),
    );
    expect(jwtScoped.scope).toBe('mcp:read');
  });

  it('a machine token can be revoked (RFC 7009) by its client: then 401 at /mcp', async () => {
    const { access_token } = await expectToken(await clientCredentials(f, 'ci', CI_SECRET));
    const revoked = await fetch(`${f.base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`ci:${CI_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ token: access_token }),
    });
    expect(revoked.status).toBe(200);
    expect(await mcpStatus(f, access_token)).toBe(401);
  });
});

describe('P19 a client jwks_uri is fetched only through the SSRF guard', () => {
  let connections = 0;
  let tcp: ReturnType<typeof createTcpServer>;
  let redirecting: Server;
  let jwksHost: JwksServer;
  let port = 0;
  let redirectPort = 0;

  beforeAll(async () => {
    tcp = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    port = (tcp.address() as AddressInfo).port;
    jwksHost = await new JwksServer().start();
    redirecting = createHttpServer((_req, res) => res.writeHead(302, { location: jwksHost.jwksUri }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    redirectPort = (redirecting.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => tcp.close(resolve));
    await new Promise((resolve) => redirecting.close(resolve));
    await jwksHost.stop();
  });

  it('P19 an https jwks_uri on a loopback address or name, with private-network fetches off: never connected to, invalid_client', async () => {
    const key = await clientKey('k1');
    const f = await startProxyFixture({
      allowPrivateNetworkFetch: false,
      staticClients: [
        { client_id: 'by-ip', jwks_uri: `https://127.0.0.1:${port}/jwks.json`, grant_types: ['client_credentials'] },
        { client_id: 'by-name', jwks_uri: `https://localhost:${port}/jwks.json`, grant_types: ['client_credentials'] },
      ],
    });
    try {
      for (const id of ['by-ip', 'by-name']) {
        await expectRefused(f, async () => withAssertion(f, await clientAssertion(f, id, key.privateKey), CC), [400, 401], 'invalid_client');
      }
      expect(connections).toBe(0);
    } finally {
      await f.close();
    }
  });

  it('P19 a jwks_uri answering with a redirect (to a JWKS that holds the key) is not followed: invalid_client', async () => {
    const key = await clientKey('k1');
    jwksHost.keys = [key.publicJwk];
    const f = await startProxyFixture({
      staticClients: [{ client_id: 'redirected', jwks_uri: `http://127.0.0.1:${redirectPort}/jwks.json`, grant_types: ['client_credentials'] }],
    });
    try {
      await expectRefused(f, async () => withAssertion(f, await clientAssertion(f, 'redirected', key.privateKey), CC), [400, 401], 'invalid_client');
      expect(jwksHost.jwksRequests).toBe(0);
    } finally {
      await f.close();
    }
  });
});
