import { decodeJwt, SignJWT } from 'jose';
import { EnterpriseIdp } from '../support/enterprise-idp.js';
import { registerClient, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import { RedisServer } from '../support/redis-server.js';
import {
  AGENT_SECRET,
  clientAssertion,
  clientKey,
  CLIENT_ASSERTION_TYPE,
  enterpriseClients,
  type EnterpriseFixture,
  expectRefused,
  expectToken,
  idJag,
  JWT_BEARER,
  jwtBearer,
  mcpStatus,
  read,
  startEnterpriseFixture,
  WEB_SECRET,
} from './enterprise-helpers.js';

/*
 * security-cases.md group P, P1-P12: the Identity Assertion JWT Authorization Grant at POST /oauth/token
 * (draft-ietf-oauth-identity-assertion-authz-grant §4.4.1, RFC 7521 §5.2, RFC 7523 §3, MCP extension
 * io.modelcontextprotocol/enterprise-managed-authorization §5 and §7). Each rule has an assertion that is
 * valid in every other respect; every refusal is an RFC 6749 §5.2 error with nothing stored.
 */

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('P. Identity Assertion JWT Authorization Grant (ID-JAG)', () => {
  let e: EnterpriseFixture;
  /** A second trusted issuer that may only use ES256, but signs RS256. */
  let es256Only: EnterpriseIdp;
  let f: ProxyFixture;

  beforeAll(async () => {
    es256Only = await new EnterpriseIdp().start();
    e = await startEnterpriseFixture({}, [], [{ issuer: es256Only.issuer, jwksUri: `${es256Only.issuer}/jwks`, algorithms: ['ES256'] }]);
    f = e.f;
  });
  afterAll(async () => {
    await e.close();
    await es256Only.stop();
  });

  it('a valid ID-JAG from an authenticated agent: our own access token for the MCP endpoint, no refresh token, audited', async () => {
    const assertion = await idJag(e);
    const tokens = await expectToken(await jwtBearer(f, assertion));
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(tokens.scope).toBe('mcp:read mcp:write');
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      iss: f.base,
      aud: f.resource,
      sub: 'ent-alice',
      client_id: 'agent',
      gty: JWT_BEARER,
      id_jag_iss: e.idp.issuer,
      email: 'alice@corp.example',
    });
    expect(await mcpStatus(f, tokens.access_token)).toBe(201);
    expect(e.audit.filter((ev) => ev.type === 'token_issued').at(-1)).toMatchObject({
      clientId: 'agent',
      subject: 'ent-alice',
      reason: JWT_BEARER,
      scopes: ['mcp:read', 'mcp:write'],
    });
    expect(JSON.stringify(e.audit)).not.toContain(assertion);
  });

  it('P1 the grant needs an authenticated confidential client allowed it: public, registered, other static and unauthenticated clients are refused', async () => {
    const assertion = (clientId: string) => idJag(e, { client_id: clientId });
    const dcr = await registerClient(f, ['http://127.0.0.1:51000/callback']);
    await expectRefused(
      f,
      async () => tokenRequest(f, { grant_type: JWT_BEARER, assertion: await assertion('native-app'), client_id: 'native-app' }),
      400,
      'unauthorized_client',
    );
    await expectRefused(
      f,
      async () => tokenRequest(f, { grant_type: JWT_BEARER, assertion: await assertion(dcr), client_id: dcr }),
      400,
      'unauthorized_client',
    );
    await expectRefused(f, async () => jwtBearer(f, await assertion('web-app'), {}, ['web-app', WEB_SECRET]), 400, 'unauthorized_client');
    await expectRefused(f, async () => tokenRequest(f, { grant_type: JWT_BEARER, assertion: await assertion('agent') }), [400, 401], 'invalid_client');
    await expectRefused(f, async () => jwtBearer(f, await assertion('agent'), {}, ['agent', 'Wrong8Secret8Wrong8Secret8Wrong8!']), 401, 'invalid_client');
    // The same grant for a private_key_jwt client.
    const viaKey = await clientAssertion(f, 'agent-jwt', e.key.privateKey);
    await expectToken(
      await tokenRequest(f, {
        grant_type: JWT_BEARER,
        assertion: await assertion('agent-jwt'),
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: viaKey,
      }),
    );
  });

  it('P2 an issuer that is not configured (another IdP, the upstream sign-in IdP, the trusted one with a trailing slash) → invalid_grant', async () => {
    const other = await new EnterpriseIdp().start();
    try {
      await expectRefused(
        f,
        async () => jwtBearer(f, await other.mintIdJag({ sub: 'ent-alice', aud: f.base, client_id: 'agent', resource: f.resource })),
        400,
        'invalid_grant',
      );
    } finally {
      await other.stop();
    }
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { iss: f.idp.issuer })), 400, 'invalid_grant');
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { iss: `${e.idp.issuer}/` })), 400, 'invalid_grant');
  });

  it('P3 signature and algorithm: a key the IdP does not publish, a swapped payload, alg none, HS256 keyed with the public key, an algorithm outside the issuer allowlist → invalid_grant', async () => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, {}, {}, e.idp.rogueKey)), 400, 'invalid_grant');
    const [header, , signature] = (await idJag(e)).split('.');
    const swapped = `${header}.${b64({ ...decodeJwt(await idJag(e)), sub: 'ent-admin', scope: 'mcp:admin' })}.${signature}`;
    await expectRefused(f, () => jwtBearer(f, swapped), 400, 'invalid_grant');
    const claims = decodeJwt(await idJag(e));
    await expectRefused(f, () => jwtBearer(f, `${b64({ alg: 'none', typ: 'oauth-id-jag+jwt' })}.${b64(claims)}.`), 400, 'invalid_grant');
    const hs = await new SignJWT({ ...claims, jti: 'hs-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'enterprise-rs256', typ: 'oauth-id-jag+jwt' })
      .sign(new TextEncoder().encode(JSON.stringify(e.idp.publicJwk)));
    await expectRefused(f, () => jwtBearer(f, hs), 400, 'invalid_grant');
    // es256Only's key is RS256 and published: only its issuer's allowlist (ES256) refuses it.
    await expectRefused(
      f,
      async () => jwtBearer(f, await es256Only.mintIdJag({ sub: 'ent-alice', aud: f.base, client_id: 'agent', resource: f.resource })),
      400,
      'invalid_grant',
    );
  });

  it.each<[string, Record<string, unknown>]>([
    ['no typ', { typ: undefined }],
    ['typ JWT', { typ: 'JWT' }],
    ['typ at+jwt', { typ: 'at+jwt' }],
    ['typ in upper case', { typ: 'OAUTH-ID-JAG+JWT' }],
  ])('P4 %s → invalid_grant (typ must be oauth-id-jag+jwt)', async (_label, header) => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, {}, header)), 400, 'invalid_grant');
  });

  it('P4 typ application/oauth-id-jag+jwt is the same media type: accepted', async () => {
    await expectToken(await jwtBearer(f, await idJag(e, {}, { typ: 'application/oauth-id-jag+jwt' })));
  });

  it.each<[string, (base: string, resource: string) => unknown]>([
    ['another authorization server', () => 'https://other-as.example.com'],
    ['the MCP endpoint (the resource, not the issuer)', (_b, resource) => resource],
    ['the issuer with a path', (base) => `${base}/oauth`],
    ['two audiences, ours among them', (base) => [base, 'https://other-as.example.com']],
    ['no aud', () => undefined],
  ])('P5 aud = %s → invalid_grant', async (_label, aud) => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { aud: aud(f.base, f.resource) })), 400, 'invalid_grant');
  });

  it('P5 aud = this issuer with a trailing slash (the extension example), or as a one-element array: accepted', async () => {
    await expectToken(await jwtBearer(f, await idJag(e, { aud: `${f.base}/` })));
    await expectToken(await jwtBearer(f, await idJag(e, { aud: [f.base] })));
  });

  it.each<[string, unknown]>([
    ['another client', 'agent-jwt'],
    ['no client_id', undefined],
    ['a client_id that is not a string', ['agent']],
  ])('P6 client_id claim = %s (the request authenticates agent) → invalid_grant', async (_label, clientId) => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { client_id: clientId })), 400, 'invalid_grant');
  });

  it.each<[string, (resource: string) => unknown]>([
    ['another MCP server', () => 'https://other-mcp.example.com/mcp'],
    ['another path on this server', (resource) => `${resource}/admin`],
    ['an array naming another server too', (resource) => [resource, 'https://other-mcp.example.com/mcp']],
    ['no resource', () => undefined],
  ])('P7 resource = %s → invalid_grant', async (_label, resource) => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { resource: resource(f.resource) })), 400, 'invalid_grant');
  });

  it('P8 time claims: expired past the skew, no exp, no iat, iat in the future, nbf in the future, a lifetime over the maximum → invalid_grant; 5 s past exp is within the skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [
      { iat: now - 200, exp: now - 120 },
      { exp: undefined },
      { iat: undefined },
      { iat: now + 120, exp: now + 300 },
      { nbf: now + 120 },
      { iat: now, exp: now + 301 },
    ]) {
      await expectRefused(f, async () => jwtBearer(f, await idJag(e, claims)), 400, 'invalid_grant');
    }
    await expectToken(await jwtBearer(f, await idJag(e, { iat: now - 100, exp: now - 5 })));
  });

  it('P9 jti: required; a replay → invalid_grant, audited (assertion_replay), nothing stored; the same ID-JAG sent five times at once → one token', async () => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { jti: undefined })), 400, 'invalid_grant');
    const assertion = await idJag(e);
    await expectToken(await jwtBearer(f, assertion));
    await expectRefused(f, () => jwtBearer(f, assertion), 400, 'invalid_grant');
    expect(e.audit.at(-1)).toMatchObject({ type: 'assertion_replay', clientId: 'agent', subject: 'ent-alice', reason: 'id_jag' });
    const racing = await idJag(e);
    const statuses = await Promise.all(Array.from({ length: 5 }, () => jwtBearer(f, racing).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(4);
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
  ])('P10 sub %s → invalid_grant', async (_label, sub) => {
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { sub })), 400, 'invalid_grant');
  });

  it("P11 scopes only narrow: a wider request gets the assertion's scopes at most; a request outside it is invalid_scope; an assertion scope this server lacks is invalid_grant", async () => {
    const narrow = await expectToken(await jwtBearer(f, await idJag(e, { scope: 'mcp:read' }), { scope: 'mcp:read mcp:admin' }));
    expect(narrow.scope).toBe('mcp:read');
    expect(decodeJwt(narrow.access_token).scope).toBe('mcp:read');
    const subset = await expectToken(await jwtBearer(f, await idJag(e), { scope: 'mcp:write' }));
    expect(subset.scope).toBe('mcp:write');
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { scope: 'mcp:read' }), { scope: 'mcp:admin' }), 400, 'invalid_scope');
    await expectRefused(f, async () => jwtBearer(f, await idJag(e, { scope: 'mcp:read mcp:everything' })), 400, 'invalid_grant');
    const none = await expectToken(await jwtBearer(f, await idJag(e, { scope: undefined })));
    expect(none.scope).toBeUndefined();
    expect(none.refresh_token).toBeUndefined();
  });

  it.each<[string, () => Promise<Response>]>([
    ['no assertion', () => tokenRequest(f, { grant_type: JWT_BEARER }, { authorization: `Basic ${Buffer.from(`agent:${AGENT_SECRET}`).toString('base64')}` })],
    [
      'the assertion twice',
      () =>
        fetch(`${f.base}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`agent:${AGENT_SECRET}`).toString('base64')}` },
          body: `grant_type=${encodeURIComponent(JWT_BEARER)}&assertion=a.b.c&assertion=d.e.f`,
        }),
    ],
    ['an assertion over 16 KB', () => jwtBearer(f, `${'a'.repeat(9000)}.${'b'.repeat(9000)}.c`)],
  ])('P12 %s → 400 invalid_request', async (_label, send) => {
    await expectRefused(f, send, 400, 'invalid_request');
  });

  it.each<[string, string]>([
    ['not a JWT', 'not-a-jwt'],
    ['an encrypted JWT (five parts)', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'],
    ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln'],
  ])('P12 %s → 400 invalid_grant', async (_label, assertion) => {
    await expectRefused(f, () => jwtBearer(f, assertion), 400, 'invalid_grant');
  });
});

describe('P9 replicas share the jti store (real Redis)', () => {
  const redis = new RedisServer();
  let idp: EnterpriseIdp;
  let a: ProxyFixture;
  let b: ProxyFixture;

  beforeAll(async () => {
    await redis.start();
    idp = await new EnterpriseIdp().start();
    const clients = enterpriseClients(await clientKey('k'));
    const options = async () => ({
      store: await redis.store('p9:'),
      staticClients: clients,
      idJag: { issuers: [{ issuer: idp.issuer, jwksUri: `${idp.issuer}/jwks` }] },
    });
    a = await startProxyFixture(await options());
    b = await startProxyFixture(await options(), { base: a.base, idp: a.idp });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis.stop();
    await idp?.stop();
  });

  it('P9 an ID-JAG redeemed on replica A is refused on replica B', async () => {
    const assertion = await idp.mintIdJag({ sub: 'ent-alice', aud: a.base, client_id: 'agent', resource: a.resource, scope: 'mcp:read' });
    const send = (origin: string) =>
      fetch(`${origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`agent:${AGENT_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }),
      });
    expect((await send(a.origin)).status).toBe(200);
    const replay = await read(await send(b.origin));
    expect({ status: replay.status, error: replay.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });
});
