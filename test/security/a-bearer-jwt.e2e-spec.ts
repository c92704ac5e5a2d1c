import { randomUUID } from 'node:crypto';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { decodeJwt, type JWTPayload } from 'jose';
import { TOKEN_MESSAGES } from '../../src/errors/messages.constant.js';
import { McpController } from '../../examples/basic/mcp.controller.js';
import { OAuthMcpModule } from '../../src/index.js';
import { generateTestKey, JwksServer, type TestKey } from '../support/jwks-server.js';
import { authorizeUrl, consentFields, pkce, signedIn, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { mcpResponseBody } from '../support/raw-http.js';
import { appUrl } from '../support/test-app.js';
import { b64url, handMadeHs256, now, signHmac, signWithKey } from '../support/tokens.js';
import { approve, get, NATIVE_APP } from './flow-helpers.js';
import {
  call,
  claimsFor,
  expectAllRejected,
  handMadeJws,
  IDP_ISS,
  DPOP_CHALLENGE,
  invalidToken,
  noCredentials,
  outcome,
  PRM,
  proxyTarget,
  publicKeyTexts,
  recordOutbound,
  RESOURCE,
  SECRET,
  SERVER_URL,
  sideEffects,
  startNative,
  type Target,
  upstreamTokens,
} from './guard-helpers.js';

/*
 * security-cases.md group A: bearer presentation and JWT validation, against the guard on `/mcp` of
 * two native apps (hmac: HS256 with JWT_SECRET; jwks: an oidc provider on a loopback JWKS with
 * cooldown 0, so any key lookup would show as a fetch), plus proxy mode where a case is about this
 * server's own tokens. Every rejection is the exact RFC 6750 challenge and body, leaves nothing in the
 * validated-token cache, and (where the case says so) makes no outbound request.
 *
 * The catalogue numbers 1–24 without 7, 19, 20 and 22.
 */

/** The catalogue's `<P>` payload (base64url of exactly this JSON text). */
const P = b64url('{"sub":"admin","aud":"https://mcp.example.com","iss":"https://idp.example.com","exp":4102444800}');

let idp: JwksServer;
let elsewhere: JwksServer;
let rsa: TestKey;
let ec: TestKey;
let attacker: TestKey;
let hmac: Target;
let jwks: Target;

/** Per app: a correctly signed token with these claims, and one with any header (hand-made). */
interface Mode {
  name: 'hmac' | 'jwks';
  target: () => Target;
  sign: (claims: JWTPayload, header?: Record<string, unknown>) => Promise<string>;
  forge: (header: Record<string, unknown>, payload: unknown) => string;
}
const MODES: Mode[] = [
  {
    name: 'hmac',
    target: () => hmac,
    sign: (claims, header) => signHmac(SECRET, claims, header),
    forge: (header, payload) => handMadeHs256({ alg: 'HS256', typ: 'JWT', ...header }, payload as object, SECRET),
  },
  {
    name: 'jwks',
    target: () => jwks,
    sign: (claims, header) => signWithKey(rsa, claims, header),
    forge: (header, payload) => handMadeJws({ alg: 'RS256', typ: 'JWT', kid: rsa.kid, ...header }, payload, rsa),
  },
];

beforeAll(async () => {
  [rsa, ec, attacker] = await Promise.all([generateTestKey('RS256', 'idp-rs'), generateTestKey('ES256', 'idp-ec'), generateTestKey('RS256', 'attacker')]);
  idp = await new JwksServer().start();
  idp.keys = [rsa.publicJwk, ec.publicJwk];
  elsewhere = await new JwksServer().start();
  elsewhere.keys = [attacker.publicJwk];
  hmac = await startNative({ provider: 'hmac', jwtSecret: SECRET, issuer: IDP_ISS });
  jwks = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, jwks: { cooldownMs: 0 } }, idp);
});
afterAll(async () => {
  await hmac.app.close();
  await jwks.app.close();
  await idp.stop();
  await elsewhere.stop();
});

describe.each(MODES)('native $name', (mode) => {
  const t = () => mode.target();
  const valid = () => mode.sign(claimsFor());

  it('control: a valid token is accepted (200)', async () => {
    expect((await call(t().base, await valid())).status).toBe(200);
  });

  it('A1 no credentials: 401 with only resource_metadata (and scope) in the challenge, no error attribute', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await call(t().base, { method });
      expect({ method, ...(await outcome(res)) }).toEqual({ method, ...noCredentials(t()) });
      expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('A2 malformed Authorization headers: 401 invalid_token, never 5xx; the scheme is case-insensitive (pinned: accepted)', async () => {
    const token = await valid();
    const bad = [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer a b',
      'Bearertoken',
      `Bearertoken${token}`,
      `Bearer  ${token}`,
      `Bearer\t${token}`,
      `Token ${token}`,
      `Bearer "${token}"`,
    ];
    await expectAllRejected(t(), Object.fromEntries(bad.map((authorization) => [authorization.slice(0, 24), { headers: { authorization } }])), {
      noFetch: true,
    });
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect({ scheme, status: (await call(t().base, { headers: { authorization: `${scheme} ${token}` } })).status }).toEqual({ scheme, status: 200 });
    }
  });

  it('A3 a token outside the header is never read (401, no error); header plus query or body is 400 invalid_request', async () => {
    const token = await valid();
    const after = sideEffects(t());
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const outside = {
      query: { path: `/mcp?access_token=${token}` },
      'form body': { method: 'POST', headers: form, body: `access_token=${token}` },
    };
    for (const [label, req] of Object.entries(outside)) {
      expect({ label, ...(await outcome(await call(t().base, req))) }).toEqual({ label, ...noCredentials(t()) });
    }
    const both = {
      'header + query': { token, path: `/mcp?access_token=${token}` },
      'header + form body': { token, method: 'POST', headers: form, body: `access_token=${token}` },
      'header + JSON body': { token, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: token }) },
    };
    for (const [label, req] of Object.entries(both)) {
      expect({ label, ...(await outcome(await call(t().base, req))) }).toEqual({
        label,
        status: 400,
        challenge: `Bearer error="invalid_request", error_description="${TOKEN_MESSAGES.multipleMethods}", resource_metadata="${PRM}", scope="mcp:read mcp:write mcp:admin"${DPOP_CHALLENGE}`,
        body: { error: 'invalid_request', error_description: TOKEN_MESSAGES.multipleMethods },
      });
    }
    expect(after()).toEqual({ cached: 0, fetched: 0 });
  });

  it('A4 alg none in any casing, with or without a signature (the catalogue token too): 401, no key lookup', async () => {
    const cases: Record<string, string> = { 'catalogue token': `${b64url('{"alg":"none","typ":"JWT"}')}.${P}.` };
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64url({ alg, typ: 'JWT', kid: rsa.kid })}.${b64url(claimsFor())}.`;
      cases[`${alg}, empty signature`] = unsigned;
      cases[`${alg}, with a signature`] = `${unsigned}c2ln`;
      cases[`${alg}, signature of a valid token`] = `${unsigned}${(await valid()).split('.')[2]}`;
    }
    await expectAllRejected(t(), cases, { noFetch: true });
  });

  it("A5 signature stripped, or another valid token's signature grafted on: 401", async () => {
    const [h, p] = (await valid()).split('.');
    const other = (await mode.sign(claimsFor({ sub: 'bob' }))).split('.')[2];
    await expectAllRejected(t(), { stripped: `${h}.${p}.`, grafted: `${h}.${p}.${other}` }, { noFetch: true });
  });

  it('A6 payload swapped (catalogue <P>, and an admin payload valid for this server) under a valid signature: 401', async () => {
    const [h, , s] = (await valid()).split('.');
    await expectAllRejected(
      t(),
      { '<P>': `${h}.${P}.${s}`, 'admin for this resource': `${h}.${b64url(claimsFor({ sub: 'admin', scope: 'mcp:admin' }))}.${s}` },
      {
        description: TOKEN_MESSAGES.signature,
        noFetch: true,
      },
    );
  });

  it('A10 time claims: exp past the skew, missing or a string, nbf and iat in the future: 401; exp = now-5 (within the 30 s skew): 200', async () => {
    const { exp: _exp, ...noExp } = claimsFor();
    await expectAllRejected(
      t(),
      { 'exp now-120': mode.forge({}, claimsFor({ iat: now() - 3600, exp: now() - 120 })) },
      { description: TOKEN_MESSAGES.expired },
    );
    await expectAllRejected(t(), {
      'exp missing': mode.forge({}, noExp),
      'exp "4102444800"': mode.forge({}, { ...claimsFor(), exp: '4102444800' }),
    });
    await expectAllRejected(
      t(),
      { 'nbf now+600': mode.forge({}, claimsFor({ nbf: now() + 600 })), 'iat now+3600': mode.forge({}, claimsFor({ iat: now() + 3600 })) },
      { description: TOKEN_MESSAGES.notYetValid },
    );
    expect((await call(t().base, mode.forge({}, claimsFor({ iat: now() - 3600, exp: now() - 5 })))).status).toBe(200);
  });

  it('A11 the issuer must match exactly (trailing slash, http, uppercase host, .evil.com suffix, missing): 401', async () => {
    const { iss: _iss, ...noIss } = claimsFor();
    const issuers = [`${IDP_ISS}/`, 'http://idp.example.com', 'https://IDP.example.com', 'https://idp.example.com.evil.com'];
    const cases: Record<string, string> = { 'iss missing': await mode.sign(noIss) };
    for (const iss of issuers) cases[iss] = await mode.sign(claimsFor({ iss }));
    await expectAllRejected(t(), cases, { description: TOKEN_MESSAGES.issuer, noFetch: true });
  });

  it('A12 audience: an upstream API, look-alikes, [], the client_id, missing: 401; an array containing this resource: 200', async () => {
    const { aud: _aud, ...noAud } = claimsFor();
    const audiences: unknown[] = [
      'https://graph.microsoft.com',
      'https://mcp.example.com.evil.com',
      'https://mcp.example.com/other',
      'https://mcp.example.com',
      `${RESOURCE}/`,
      `${RESOURCE}.evil.com`,
      [],
      'mcp-client',
    ];
    const cases: Record<string, string> = { 'aud missing': await mode.sign(noAud) };
    for (const aud of audiences) cases[JSON.stringify(aud)] = await mode.sign(claimsFor({ aud } as JWTPayload));
    await expectAllRejected(t(), cases, { description: TOKEN_MESSAGES.audience, noFetch: true });
    expect((await call(t().base, await mode.sign(claimsFor({ aud: ['x', RESOURCE] })))).status).toBe(200);
  });

  it('A13 an upstream ID token (aud = client_id, nonce) is not an access token: 401', async () => {
    const idToken = claimsFor({ aud: 'mcp-client', azp: 'mcp-client', nonce: 'n-0S6_WzA2Mj', at_hash: 'x4fqr_ezv9kfh2pqnq7wzg', scope: undefined });
    await expectAllRejected(t(), { 'ID token': await mode.sign(idToken) }, { description: TOKEN_MESSAGES.audience, noFetch: true });
  });

  it('A16 crit naming an unknown extension, and b64:false (the catalogue headers), correctly signed: 401', async () => {
    const crit = { alg: 'HS256', crit: ['x-evil'], 'x-evil': 1 };
    const b64 = { alg: 'HS256', b64: false, crit: ['b64'] };
    const alg = mode.name === 'hmac' ? 'HS256' : 'RS256';
    await expectAllRejected(
      t(),
      {
        crit: mode.forge({ ...crit, alg }, claimsFor()),
        'b64 false': mode.forge({ ...b64, alg }, claimsFor()),
        'empty crit': mode.forge({ alg, crit: [] }, claimsFor()),
      },
      { description: TOKEN_MESSAGES.unsupportedHeader, noFetch: true },
    );
  });

  it('A18 malformed structure: 401 quickly, never 5xx, no JWE processing', async () => {
    const [h, p, s] = (await valid()).split('.');
    const cases: Record<string, string> = {
      'a.b': 'a.b',
      'a.b.c.d': 'a.b.c.d',
      '5-part JWE': `${b64url({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: rsa.kid })}.${'A'.repeat(342)}.${'B'.repeat(16)}.${'C'.repeat(40)}.${'D'.repeat(22)}`,
      'PBES2 p2c 1e9 (3 parts)': `${b64url({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 1_000_000_000, p2s: 'c2FsdA' })}.${p}.${s}`,
      'zip:DEF': mode.forge({ zip: 'DEF' }, claimsFor()),
      '= padding': `${h}.${p}.${s}==`,
      '+ and /': `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+/`,
      'non-ASCII': Buffer.from(`${h}.${p}.${s}é`, 'utf8').toString('latin1'),
      'header not JSON': `${b64url('not json')}.${p}.${s}`,
      'payload W10 ([]), validly signed': mode.forge({}, []),
      'payload null, validly signed': mode.forge({}, null),
      'payload a JSON string, validly signed': mode.forge({}, 'x'),
      'empty segments': '..',
    };
    const started = Date.now();
    await expectAllRejected(t(), cases, { noFetch: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('A21 a valid token without the required scope: 403 insufficient_scope naming the token’s scopes plus the required ones, both for a route and a tool', async () => {
    const token = await mode.sign(claimsFor({ scope: 'mcp:read' }));
    const route = await call(t().base, { token, path: '/admin' });
    expect(await outcome(route)).toEqual({
      status: 403,
      challenge: `Bearer error="insufficient_scope", scope="mcp:read mcp:admin mcp:write", resource_metadata="${PRM}", error_description="The access token lacks a scope this operation requires"${DPOP_CHALLENGE}`,
      body: { error: 'insufficient_scope', error_description: 'The access token lacks a scope this operation requires' },
    });
    const tool = await call(t().base, {
      token,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_ping' } }),
    });
    expect({ status: tool.status, challenge: tool.headers.get('www-authenticate') }).toEqual({
      status: 403,
      challenge: `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${PRM}", error_description="The access token lacks a scope this operation requires", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
    });
    expect((await call(t().base, { token: await mode.sign(claimsFor({ scope: 'mcp:admin mcp:write' })), path: '/admin' })).status).toBe(200);
  });
});

describe('algorithms and keys (A8, A9, A17)', () => {
  it('A8 RS→HS confusion: HS256 with the IdP kid, HMAC-keyed with its RSA public key (two PEM forms, JWK JSON): 401', async () => {
    const cases: Record<string, string> = {};
    for (const [form, secret] of Object.entries(publicKeyTexts(rsa.publicJwk))) {
      cases[form] = handMadeHs256({ alg: 'HS256', typ: 'JWT', kid: rsa.kid }, claimsFor(), secret);
      cases[`${form}, no kid`] = handMadeHs256({ alg: 'HS256', typ: 'JWT' }, claimsFor(), secret);
    }
    await expectAllRejected(jwks, cases, { description: TOKEN_MESSAGES.algorithm, noFetch: true });
  });

  it('A9 hmac: RS256, ES256, HS384 and HS512 (same secret) are refused; only HS256 passes', async () => {
    await expectAllRejected(
      hmac,
      {
        RS256: await signWithKey(rsa, claimsFor()),
        ES256: await signWithKey(ec, claimsFor()),
        'HS512, same secret': await signHmac(SECRET, claimsFor(), {}, 'HS512'),
        'HS384, same secret': await signHmac(SECRET, claimsFor(), {}, 'HS384'),
      },
      { description: TOKEN_MESSAGES.algorithm },
    );
    expect((await call(hmac.base, await signHmac(SECRET, claimsFor()))).status).toBe(200);
  });

  it('A9 jwks: an HS256 token (with the IdP kid) is refused before any key lookup; RS256 and ES256 pass', async () => {
    await expectAllRejected(jwks, { HS256: await signHmac(SECRET, claimsFor(), { kid: rsa.kid }) }, { description: TOKEN_MESSAGES.algorithm, noFetch: true });
    expect((await call(jwks.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
    expect((await call(jwks.base, await signWithKey(ec, claimsFor()))).status).toBe(200);
  });

  it('A17 embedded keys (jwk, jku, x5u, self-signed x5c) signed by the attacker: 401 with zero outbound requests', async () => {
    const x5c = Buffer.from('30820122300d06092a864886f70d01010105000382010f00', 'hex').toString('base64');
    const headers: Record<string, Record<string, unknown>> = {
      jwk: { kid: attacker.kid, jwk: attacker.publicJwk },
      'jwk, no kid': { kid: undefined, jwk: attacker.publicJwk },
      jku: { kid: attacker.kid, jku: elsewhere.jwksUri },
      'jku https://attacker.example': { kid: attacker.kid, jku: 'https://attacker.example/jwks.json' },
      x5u: { kid: attacker.kid, x5u: `${elsewhere.url}/cert.pem` },
      x5c: { kid: attacker.kid, x5c: [x5c] },
    };
    const outbound = recordOutbound([jwks.base, hmac.base]);
    const before = elsewhere.jwksRequests;
    try {
      const forJwks = Object.fromEntries(Object.entries(headers).map(([l, h]) => [l, handMadeJws({ alg: 'RS256', typ: 'JWT', ...h }, claimsFor(), attacker)]));
      await expectAllRejected(jwks, forJwks, { description: TOKEN_MESSAGES.unsupportedHeader, noFetch: true });
      const forHmac = Object.fromEntries(Object.entries(headers).map(([l, h]) => [l, handMadeHs256({ alg: 'HS256', typ: 'JWT', ...h }, claimsFor(), SECRET)]));
      await expectAllRejected(hmac, forHmac, { description: TOKEN_MESSAGES.unsupportedHeader });
      expect({ outbound: outbound.urls(), attackerServer: elsewhere.jwksRequests - before }).toEqual({ outbound: [], attackerServer: 0 });
    } finally {
      outbound.restore();
    }
  });
});

describe('A13 typ: at+jwt when the IdP issues RFC 9068 tokens (requireAccessTokenType)', () => {
  let strict: Target;
  beforeAll(async () => {
    strict = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, requireAccessTokenType: true }, idp);
  });
  afterAll(() => strict.app.close());

  it('A13 typ JWT, no typ, or an unknown typ: 401; at+jwt and application/at+jwt: 200', async () => {
    const { typ: _typ, ...noTyp } = { alg: 'RS256', kid: rsa.kid, typ: 'x' };
    await expectAllRejected(
      strict,
      {
        'typ JWT': await signWithKey(rsa, claimsFor()),
        'no typ': handMadeJws(noTyp, claimsFor(), rsa),
        'typ dpop+jwt': await signWithKey(rsa, claimsFor(), { typ: 'dpop+jwt' }),
      },
      { description: TOKEN_MESSAGES.type, noFetch: true },
    );
    for (const typ of ['at+jwt', 'application/at+jwt']) {
      expect({ typ, status: (await call(strict.base, await signWithKey(rsa, claimsFor(), { typ }))).status }).toEqual({ typ, status: 200 });
    }
  });
});

describe('A14/A15 provider issuer policies', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const ATTACKER_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
  const APP_ID = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
  const azureIss = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;

  async function statuses(options: Record<string, unknown>, tokens: Record<string, JWTPayload>): Promise<Record<string, unknown>> {
    const t = await startNative({ jwksUri: idp.jwksUri, ...options }, idp);
    try {
      const out: Record<string, unknown> = {};
      for (const [label, claims] of Object.entries(tokens)) {
        const got = await outcome(await call(t.base, await signWithKey(rsa, { ...claims, jti: randomUUID() })));
        out[label] = got.status === 200 ? 200 : got;
      }
      expect(t.cache.size).toBe(Object.values(out).filter((s) => s === 200).length);
      return out;
    } finally {
      await t.app.close();
    }
  }

  it('A14 Azure multi-tenant: an attacker tenant signed with the common keys, and the v1 issuer of an allowed tenant: 401', async () => {
    const azure = (tid: string, extra: JWTPayload = {}) => claimsFor({ iss: azureIss(tid), tid, aud: APP_ID, ver: '2.0', ...extra });
    const rejected = invalidToken({ prm: PRM, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] }, TOKEN_MESSAGES.issuer);
    expect(
      await statuses(
        { provider: 'azure', issuer: azureIss('common'), azureAllowedTenants: [TENANT], audience: APP_ID },
        {
          'allowlisted tenant': azure(TENANT),
          'attacker tenant': azure(ATTACKER_TENANT),
          'allowlisted iss, attacker tid': azure(TENANT, { tid: ATTACKER_TENANT }),
          'v1 issuer of the allowed tenant': azure(TENANT, { iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0' }),
          'the "common" literal': azure('common'),
        },
      ),
    ).toEqual({
      'allowlisted tenant': 200,
      'attacker tenant': rejected,
      'allowlisted iss, attacker tid': rejected,
      'v1 issuer of the allowed tenant': rejected,
      'the "common" literal': rejected,
    });
  });

  it('A14 Azure single tenant (v2 configured): the v1 issuer https://sts.windows.net/<tid>/ is refused', async () => {
    const rejected = invalidToken({ prm: PRM, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] }, TOKEN_MESSAGES.issuer);
    expect(
      await statuses(
        { provider: 'azure', issuer: azureIss(TENANT), audience: APP_ID },
        {
          v2: claimsFor({ iss: azureIss(TENANT), tid: TENANT, aud: APP_ID }),
          v1: claimsFor({ iss: `https://sts.windows.net/${TENANT}/`, tid: TENANT, aud: APP_ID }),
        },
      ),
    ).toEqual({ v2: 200, v1: rejected });
  });

  it('A15 Okta custom AS: the org AS and another custom AS are refused', async () => {
    const okta = 'https://dev-123.okta.com/oauth2/default';
    const rejected = invalidToken({ prm: PRM, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] }, TOKEN_MESSAGES.issuer);
    expect(
      await statuses(
        { provider: 'okta', issuer: okta, audience: 'api://default' },
        {
          configured: claimsFor({ iss: okta, aud: 'api://default' }),
          'org AS': claimsFor({ iss: 'https://dev-123.okta.com', aud: 'api://default' }),
          'another custom AS': claimsFor({ iss: 'https://dev-123.okta.com/oauth2/ausOTHER', aud: 'api://default' }),
        },
      ),
    ).toEqual({ configured: 200, 'org AS': rejected, 'another custom AS': rejected });
  });

  it('A15 Google: each issuer form is accepted only as configured', async () => {
    const client = '123-abc.apps.googleusercontent.com';
    const tokens = {
      'https://accounts.google.com': claimsFor({ iss: 'https://accounts.google.com', aud: client }),
      'accounts.google.com': claimsFor({ iss: 'accounts.google.com', aud: client }),
    };
    const rejected = invalidToken({ prm: PRM, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] }, TOKEN_MESSAGES.issuer);
    expect(await statuses({ provider: 'google', issuer: 'https://accounts.google.com', audience: client }, tokens)).toEqual({
      'https://accounts.google.com': 200,
      'accounts.google.com': rejected,
    });
    expect(await statuses({ provider: 'google', issuer: 'accounts.google.com', audience: client }, tokens)).toEqual({
      'https://accounts.google.com': rejected,
      'accounts.google.com': 200,
    });
  });
});

describe('A23 sessions are not authentication (the example MCP endpoint: stateless Streamable HTTP)', () => {
  let app: INestApplication;
  let base: string;
  const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
  const rpc = (method: string, params: object = {}) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const initialize = rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
  const tokenOf = (sub: string) => signHmac(SECRET, claimsFor({ sub }));

  beforeAll(async () => {
    @Module({
      imports: [
        OAuthMcpModule.forRoot({
          provider: 'hmac',
          jwtSecret: SECRET,
          issuer: IDP_ISS,
          audience: RESOURCE,
          serverUrl: SERVER_URL,
          scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
        }),
      ],
      controllers: [McpController],
    })
    class ExampleMcpModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ExampleMcpModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await appUrl(app);
  });
  afterAll(() => app.close());

  it('A23 POST /mcp with an Mcp-Session-Id and no Authorization: 401 (no error attribute), nothing run', async () => {
    const res = await call(base, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': randomUUID() },
      body: rpc('tools/call', { name: 'whoami', arguments: {} }),
    });
    expect(await outcome(res)).toEqual(noCredentials({ prm: PRM, scopes: ['mcp:read', 'mcp:write', 'mcp:admin'] }));
  });

  it('A23 the server issues no session ids; user B with "user A\'s" session id is served as B, and there is no stream to read (GET 405)', async () => {
    const alice = await call(base, { token: await tokenOf('alice'), method: 'POST', headers: MCP_HEADERS, body: initialize });
    expect(alice.status).toBe(200);
    expect(alice.headers.get('mcp-session-id')).toBeNull();
    const aliceSession = randomUUID();
    const bob = await tokenOf('bob');
    const whoami = await call(base, {
      token: bob,
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': aliceSession },
      body: rpc('tools/call', { name: 'whoami', arguments: {} }),
    });
    expect(whoami.status).toBe(200);
    const result = mcpResponseBody<{ result: { content: { text: string }[] } }>(await whoami.text());
    expect(JSON.parse(result.result.content[0].text)).toMatchObject({ sub: 'bob' });
    const stream = await call(base, { token: bob, headers: { accept: 'text/event-stream', 'mcp-session-id': aliceSession } });
    expect(stream.status).toBe(405);
    expect(stream.headers.get('content-type')).not.toMatch(/event-stream/);
  });
});

describe('A24 oversized credentials', () => {
  it('A24 a 64 KB Authorization header and a 1 MB token: 431 from Node (or 401), answered quickly', async () => {
    for (const size of [64 * 1024, 1024 * 1024]) {
      const started = Date.now();
      const res = await call(jwks.base, 'a'.repeat(size));
      expect({ size, status: [431, 401].includes(res.status) ? 'refused' : res.status }).toEqual({ size, status: 'refused' });
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('A24 a token one byte over maxTokenBytes (8192) is 401 "too large" before it is decoded or hashed; 8192 bytes are read', async () => {
    const header = b64url({ alg: 'RS256', typ: 'JWT', kid: 'never-fetched' });
    const sig = 'A'.repeat(342);
    const sized = (n: number) => `${header}.${'B'.repeat(n - header.length - sig.length - 2)}.${sig}`;
    const started = Date.now();
    await expectAllRejected(jwks, { '8193 bytes': sized(8193) }, { description: TOKEN_MESSAGES.tooLarge, noFetch: true });
    expect(Date.now() - started).toBeLessThan(500);
    const atLimit = await outcome(await call(jwks.base, sized(8192)));
    expect(atLimit.status).toBe(401);
    expect(atLimit.body).not.toEqual(expect.objectContaining({ error_description: TOKEN_MESSAGES.tooLarge }));
  });
});

describe("proxy mode (this server's own tokens at POST /mcp)", () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  const post = (token?: string, headers: Record<string, string> = {}) => call(f.base, { token, method: 'POST', headers });

  it('A13 upstream ID and access tokens (even with aud = this resource), our refresh token, state, consent id and CSRF token: 401', async () => {
    const session = await signedIn(f);
    expect((await post(session.tokens.access_token)).status).toBe(201);
    const upstream = await upstreamTokens(f, f.resource);
    expect(decodeJwt(upstream.id_token)).toMatchObject({ iss: f.idp.issuer, aud: f.idp.proxyClient!.clientId, nonce: 'n-0S6_WzA2Mj' });
    expect(decodeJwt(upstream.access_token)).toMatchObject({ iss: f.idp.issuer, aud: f.resource });
    const page = await get(
      authorizeUrl(f, {
        client_id: NATIVE_APP.clientId,
        redirect_uri: 'http://127.0.0.1:51000/callback',
        code_challenge: pkce().challenge,
        resource: f.resource,
      }),
    );
    const consent = consentFields(await page.text());
    const pending = await approve(
      f,
      authorizeUrl(f, {
        client_id: NATIVE_APP.clientId,
        redirect_uri: 'http://127.0.0.1:51000/callback',
        code_challenge: pkce().challenge,
        resource: f.resource,
      }),
    );
    const cases: Record<string, string> = {
      'upstream ID token': upstream.id_token,
      'upstream access token for this resource': upstream.access_token,
      'our refresh token': session.tokens.refresh_token,
      'our upstream state': pending.state,
      'our consent request id': consent.request_id,
      'our consent CSRF token': consent.csrf_token,
    };
    for (const [label, token] of Object.entries(cases)) {
      expect({ label, ...(await outcome(await post(token))) }).toEqual({ label, ...invalidToken(proxyTarget(f)) });
    }
  });

  it('A23 POST /mcp with an Mcp-Session-Id and no token: 401, no error attribute', async () => {
    expect(await outcome(await post(undefined, { 'mcp-session-id': randomUUID() }))).toEqual(noCredentials(proxyTarget(f)));
  });
});
