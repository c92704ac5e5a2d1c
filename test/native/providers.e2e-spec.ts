import { createPublicKey, generateKeyPairSync, KeyObject, randomUUID, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { JWK, JWTPayload } from 'jose';
import type { OAuthMcpModuleOptions } from '../../src/index.js';
import { TOKEN_MESSAGES } from '../../src/errors/messages.constant.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../../src/oauth-mcp.internal-constants.js';
import type { TokenCache } from '../../src/resource-server/verification/token-cache.js';
import { generateTestKey, JwksServer, type TestKey } from '../support/jwks-server.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { b64url, handMadeHs256, now, signWithKey } from '../support/tokens.js';

/*
 * JWKS providers (okta, google, azure, oidc) against a real loopback JWKS / discovery server, with
 * tokens shaped like the ones each IdP really issues. Test names carry the security-cases.md ids.
 */

const SERVER_URL = 'http://127.0.0.1:9';
const RESOURCE = `${SERVER_URL}/mcp`;
const SCOPES = ['mcp:read', 'mcp:write'];

const OKTA_ISS = 'https://dev-123.okta.com/oauth2/default';
const OKTA_CID = '0oa1b2c3d4e5F6g7H8i9';
const GOOGLE_ISS = 'https://accounts.google.com';
const GOOGLE_CLIENT = '123-abc.apps.googleusercontent.com';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TENANT_B = '9188040d-6c67-4c5b-b112-36a304b66dad';
const EVIL_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const APP_ID = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
const AZURE_CLIENT = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const azureIss = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;
const OIDC_ISS = 'https://idp.example.com';

interface Outcome {
  status: number;
  challenge: string;
  body: unknown;
}

async function outcome(res: Response): Promise<Outcome> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: kept as text */
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body };
}

/** The expected 401: one `error="invalid_token"` challenge and the `{ error, error_description }` body. */
const invalidToken = (description?: string) => ({
  status: 401,
  challenge: expect.stringContaining('error="invalid_token"'),
  body: { error: 'invalid_token', error_description: description ?? expect.any(String) },
});

function get(base: string, token?: string, headers: Record<string, string> = {}, path = '/protected'): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

/** Compact JWS built by hand with node:crypto (for headers jose refuses to write, and RSA keys under 2048 bits). */
function handMadeJws(header: Record<string, unknown>, payload: unknown, key: TestKey | KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key.privateKey);
  const signature = String(header.alg).startsWith('ES')
    ? cryptoSign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' })
    : cryptoSign('sha256', Buffer.from(input), keyObject);
  return `${input}.${signature.toString('base64url')}`;
}

/** The RSA public key of a JWK in the text forms an attacker would try as an HMAC secret (A8). */
function publicKeyTexts(jwk: JWK): Record<string, string> {
  const { kid: _kid, alg: _alg, use: _use, ...material } = jwk;
  const key = createPublicKey({ key: material as never, format: 'jwk' });
  return {
    'SPKI PEM': key.export({ type: 'spki', format: 'pem' }) as string,
    'PKCS#1 PEM': key.export({ type: 'pkcs1', format: 'pem' }) as string,
    'JWK JSON': JSON.stringify(jwk),
    'JWK JSON (key material only)': JSON.stringify(material),
  };
}

/** Adds a fresh jti so two tokens with the same claims never share a validated-token cache entry. */
const fresh = (claims: JWTPayload): JWTPayload => ({ ...claims, jti: randomUUID() });

let server: JwksServer;
let rsa: TestKey;
let ec: TestKey;

beforeAll(async () => {
  rsa = await generateTestKey('RS256', 'rsa-1');
  ec = await generateTestKey('ES256', 'ec-1');
  server = await new JwksServer().start();
  server.keys = [rsa.publicJwk, ec.publicJwk];
});
afterAll(() => server.stop());

interface ProviderCase {
  title: string;
  options: () => OAuthMcpModuleOptions;
  /** Valid claims, shaped like the IdP's real tokens. */
  claims: () => JWTPayload;
  /** Fields of the mapped `OAuthMcpUser`; `email: undefined` means the field must be absent. */
  user: () => Record<string, unknown>;
  /** A11: near-misses of the configured issuer. */
  wrongIssuers: () => string[];
  /** A12: audiences that must not be accepted. */
  wrongAudiences: unknown[];
  /** Whether an ES256 token (P-256 key in the JWKS) is accepted by the default algorithm list. */
  acceptsEs256: boolean;
}

/** The checks every JWKS provider must pass; provider-specific ones are added by `extra`. */
function describeProvider(c: ProviderCase, extra?: (ctx: () => { app: INestApplication; base: string }) => void): void {
  describe(c.title, () => {
    let app: INestApplication;
    let base: string;
    const sign = (claims: JWTPayload, header: Record<string, unknown> = {}) => signWithKey(rsa, fresh(claims), header);

    beforeAll(async () => {
      app = await createTestApp(c.options());
      base = await appUrl(app);
    });
    afterAll(() => app.close());

    it('a valid token: 200 and the user fields are mapped from the claims', async () => {
      const token = await sign(c.claims());
      const res = await get(base, token);
      expect(res.status).toBe(200);
      const { user, auth } = (await res.json()) as { user: Record<string, unknown>; auth: Record<string, unknown> };
      const expected = c.user();
      expect(user).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
      for (const [field, value] of Object.entries(expected)) if (value === undefined) expect(user).not.toHaveProperty(field);
      expect(auth).toMatchObject({ token, scopes: expected.scopes, clientId: expected.clientId ?? '', resource: RESOURCE });
    });

    it('A12 a token for another audience: 401 invalid_token', async () => {
      const { aud: _aud, ...noAud } = c.claims();
      const tokens = [
        ...c.wrongAudiences.map((aud) => ({ label: `aud=${JSON.stringify(aud)}`, payload: { ...c.claims(), aud } })),
        { label: 'aud missing', payload: noAud },
      ];
      for (const { label, payload } of tokens) {
        const res = await get(base, await sign(payload as JWTPayload));
        expect({ label, ...(await outcome(res)) }).toEqual({ label, ...invalidToken() });
      }
    });

    it('A11 near-misses of the issuer (trailing slash, http, uppercase host, .evil.com suffix, missing): 401', async () => {
      const { iss: _iss, ...noIss } = c.claims();
      const tokens = [...c.wrongIssuers().map((iss) => ({ label: iss, payload: { ...c.claims(), iss } })), { label: 'iss missing', payload: noIss }];
      for (const { label, payload } of tokens) {
        const res = await get(base, await sign(payload));
        expect({ label, ...(await outcome(res)) }).toEqual({ label, ...invalidToken(TOKEN_MESSAGES.issuer) });
      }
    });

    it('A10 exp = now-120 is expired (401); exp = now-5 is within the default 30 s skew (200)', async () => {
      const expired = await get(base, await sign({ ...c.claims(), iat: now() - 3600, exp: now() - 120 }));
      expect(await outcome(expired)).toEqual(invalidToken(TOKEN_MESSAGES.expired));
      const withinSkew = await get(base, await sign({ ...c.claims(), iat: now() - 3600, exp: now() - 5 }));
      expect(withinSkew.status).toBe(200);
    });

    it('A4 alg none (any casing, with or without a signature): 401', async () => {
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const unsigned = `${b64url({ alg, typ: 'JWT' })}.${b64url(fresh(c.claims()))}.`;
        for (const token of [unsigned, `${unsigned}c2ln`]) {
          expect({ alg, ...(await outcome(await get(base, token))) }).toEqual({ alg, ...invalidToken() });
        }
      }
    });

    it('A8 HS256 signed with the RSA public key as the HMAC secret (PEM and JWK text): 401', async () => {
      for (const [form, secret] of Object.entries(publicKeyTexts(rsa.publicJwk))) {
        for (const kid of [rsa.kid, undefined]) {
          const token = handMadeHs256({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) }, fresh(c.claims()), secret);
          const label = `${form}, kid ${kid ?? 'absent'}`;
          expect({ label, ...(await outcome(await get(base, token))) }).toEqual({ label, ...invalidToken(TOKEN_MESSAGES.algorithm) });
        }
      }
    });

    it('A6 payload swapped under a valid signature: 401', async () => {
      const [h, , s] = (await sign(c.claims())).split('.');
      const swapped = `${h}.${b64url({ ...c.claims(), sub: 'admin' })}.${s}`;
      expect(await outcome(await get(base, swapped))).toEqual(invalidToken());
    });

    it('an unknown kid: 401', async () => {
      const stranger = { ...rsa, kid: 'not-in-the-jwks' };
      expect(await outcome(await get(base, await signWithKey(stranger, fresh(c.claims()))))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
    });

    it(`A9 an ES256 token signed by the published P-256 key: ${c.acceptsEs256 ? '200 (in the oidc default list)' : '401 (RS256 only)'}`, async () => {
      const res = await get(base, await signWithKey(ec, fresh(c.claims())));
      if (c.acceptsEs256) expect(res.status).toBe(200);
      else expect(await outcome(res)).toEqual(invalidToken(TOKEN_MESSAGES.algorithm));
    });

    extra?.(() => ({ app, base }));
  });
}

// ---------------------------------------------------------------------------------------------------
// Okta custom authorization server access token
// ---------------------------------------------------------------------------------------------------

const oktaClaims = (): JWTPayload => ({
  ver: 1,
  jti: `AT.${randomUUID()}`,
  iss: OKTA_ISS,
  aud: 'api://default',
  iat: now(),
  exp: now() + 3600,
  cid: OKTA_CID,
  uid: '00u1a2b3c4D5e6F7g8h9',
  scp: ['openid', 'mcp:read', 'mcp:write'],
  auth_time: now() - 60,
  sub: 'alice@example.com',
  groups: ['Everyone', 'mcp-users'],
});

describeProvider(
  {
    title: 'okta (custom authorization server, jwksUri override)',
    options: () => ({ provider: 'okta', issuer: OKTA_ISS, audience: 'api://default', jwksUri: server.jwksUri, serverUrl: SERVER_URL, scopes: SCOPES }),
    claims: oktaClaims,
    user: () => ({
      sub: 'alice@example.com',
      username: 'alice@example.com',
      email: undefined,
      scopes: ['openid', 'mcp:read', 'mcp:write'],
      groups: ['Everyone', 'mcp-users'],
      clientId: OKTA_CID,
      issuer: OKTA_ISS,
      provider: 'okta',
    }),
    wrongIssuers: () => [
      `${OKTA_ISS}/`,
      'http://dev-123.okta.com/oauth2/default',
      'https://DEV-123.okta.com/oauth2/default',
      'https://dev-123.okta.com.evil.com/oauth2/default',
    ],
    wrongAudiences: ['api://other', 'https://dev-123.okta.com', OKTA_CID, [], 'api://default.evil.com'],
    acceptsEs256: false,
  },
  (ctx) => {
    it('A15 a token from the Okta org authorization server or another custom server: 401', async () => {
      for (const iss of ['https://dev-123.okta.com', 'https://dev-123.okta.com/oauth2/ausOTHER', 'https://dev-456.okta.com/oauth2/default']) {
        const res = await get(ctx().base, await signWithKey(rsa, fresh({ ...oktaClaims(), iss })));
        expect({ iss, ...(await outcome(res)) }).toEqual({ iss, ...invalidToken(TOKEN_MESSAGES.issuer) });
      }
    });

    it('A12 aud as an array that contains the configured audience: 200', async () => {
      const res = await get(ctx().base, await signWithKey(rsa, fresh({ ...oktaClaims(), aud: ['api://other', 'api://default'] })));
      expect(res.status).toBe(200);
    });
  },
);

// ---------------------------------------------------------------------------------------------------
// Google ID token
// ---------------------------------------------------------------------------------------------------

const googleClaims = (iss = GOOGLE_ISS): JWTPayload => ({
  iss,
  azp: GOOGLE_CLIENT,
  aud: GOOGLE_CLIENT,
  sub: '110169484474386276334',
  hd: 'example.com',
  email: 'alice@example.com',
  email_verified: true,
  at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
  name: 'Alice Example',
  picture: 'https://lh3.googleusercontent.com/a/ACg8ocK',
  given_name: 'Alice',
  family_name: 'Example',
  iat: now(),
  exp: now() + 3600,
});

const googleOptions = (issuer?: string): OAuthMcpModuleOptions => ({
  provider: 'google',
  ...(issuer !== undefined ? { issuer } : {}),
  audience: GOOGLE_CLIENT,
  jwksUri: server.jwksUri,
  serverUrl: SERVER_URL,
  scopes: SCOPES,
});

describeProvider({
  title: 'google (ID token, issuer https://accounts.google.com, jwksUri override)',
  options: () => googleOptions(GOOGLE_ISS),
  claims: () => googleClaims(),
  user: () => ({
    sub: '110169484474386276334',
    username: 'alice@example.com',
    email: 'alice@example.com',
    name: 'Alice Example',
    scopes: [],
    groups: [],
    clientId: GOOGLE_CLIENT,
    issuer: GOOGLE_ISS,
    provider: 'google',
  }),
  wrongIssuers: () => [
    `${GOOGLE_ISS}/`,
    'http://accounts.google.com',
    'https://ACCOUNTS.google.com',
    'https://accounts.google.com.evil.com',
    'https://accounts.google.com/o/oauth2',
  ],
  wrongAudiences: ['456-other.apps.googleusercontent.com', `${GOOGLE_CLIENT}.evil.com`, [], 'https://www.googleapis.com/oauth2/v4/token'],
  acceptsEs256: false,
});

describe('google issuer forms (A15: accept each form only as configured)', () => {
  const tryIssuers = async (issuer: string | undefined) => {
    const app = await createTestApp(googleOptions(issuer));
    try {
      const base = await appUrl(app);
      const statusOf = async (iss: string) => (await get(base, await signWithKey(rsa, fresh(googleClaims(iss))))).status;
      return { https: await statusOf(GOOGLE_ISS), bare: await statusOf('accounts.google.com') };
    } finally {
      await app.close();
    }
  };

  it('issuer https://accounts.google.com: the https form is accepted, the bare form refused', async () => {
    expect(await tryIssuers(GOOGLE_ISS)).toEqual({ https: 200, bare: 401 });
  });

  it('issuer accounts.google.com (bare): the bare form is accepted, the https form refused', async () => {
    expect(await tryIssuers('accounts.google.com')).toEqual({ https: 401, bare: 200 });
  });

  // Documented: "Google defaults to https://accounts.google.com" and GOOGLE_ISSUERS "both are accepted
  // only when none is configured" (src/config/provider-defaults.ts, oauth-mcp-options.interface.ts).
  it('no issuer configured: the module boots and accepts both forms Google uses', async () => {
    expect(await tryIssuers(undefined)).toEqual({ https: 200, bare: 200 });
  });
});

// ---------------------------------------------------------------------------------------------------
// Azure (Microsoft Entra ID) v2 access token
// ---------------------------------------------------------------------------------------------------

const azureClaims = (tid = TENANT, aud: string = APP_ID): JWTPayload => ({
  aud,
  iss: azureIss(tid),
  iat: now(),
  nbf: now(),
  exp: now() + 3600,
  aio: 'AXQAi/8UAAAAr0Xyz',
  azp: AZURE_CLIENT,
  azpacr: '0',
  name: 'Alice Example',
  oid: 'b0e3c5f8-2a4d-4c3b-9e1f-7d6a5b4c3d2e',
  preferred_username: 'alice@contoso.com',
  rh: '0.AXEAv4j5cvGGr0GRqy180BHbR0dOoKqSC7xKn8rcFZCQFPJxAAk.',
  roles: ['Mcp.Admin'],
  scp: 'access_as_user mcp.read',
  sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  tid,
  uti: 'fqiBqXLPj0eQa82S-IYFAA',
  ver: '2.0',
});

const azureUser = (tid = TENANT) => ({
  sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  username: 'alice@contoso.com',
  email: undefined,
  name: 'Alice Example',
  scopes: ['access_as_user', 'mcp.read'],
  groups: ['Mcp.Admin'],
  clientId: AZURE_CLIENT,
  issuer: azureIss(tid),
  provider: 'azure',
});

const azureWrongIssuers = (tid: string) => [
  `${azureIss(tid)}/`,
  `http://login.microsoftonline.com/${tid}/v2.0`,
  `https://LOGIN.microsoftonline.com/${tid}/v2.0`,
  `https://login.microsoftonline.com.evil.com/${tid}/v2.0`,
  `https://login.microsoftonline.com/${tid.toUpperCase()}/v2.0`,
];

describeProvider(
  {
    title: 'azure single tenant (v2 access token, jwksUri override)',
    options: () => ({
      provider: 'azure',
      issuer: azureIss(TENANT),
      audience: [APP_ID, `api://${APP_ID}`],
      jwksUri: server.jwksUri,
      serverUrl: SERVER_URL,
      scopes: SCOPES,
    }),
    claims: () => azureClaims(),
    user: () => azureUser(),
    wrongIssuers: () => azureWrongIssuers(TENANT),
    wrongAudiences: ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000', AZURE_CLIENT, `api://${APP_ID}/other`, []],
    acceptsEs256: false,
  },
  (ctx) => {
    it('aud in the api:// App ID URI form (also configured): 200', async () => {
      expect((await get(ctx().base, await signWithKey(rsa, fresh(azureClaims(TENANT, `api://${APP_ID}`))))).status).toBe(200);
    });

    it('A14 another tenant, the v1 issuer https://sts.windows.net/<tid>/, the "common" literal: 401', async () => {
      const cases: [string, JWTPayload][] = [
        ['another tenant', azureClaims(EVIL_TENANT)],
        ['v1 issuer, same tenant', { ...azureClaims(), iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0' }],
        ['common literal', { ...azureClaims(), iss: azureIss('common') }],
        ['{tenantid} template', { ...azureClaims(), iss: azureIss('{tenantid}') }],
      ];
      for (const [label, claims] of cases) {
        const res = await get(ctx().base, await signWithKey(rsa, fresh(claims)));
        expect({ label, ...(await outcome(res)) }).toEqual({ label, ...invalidToken(TOKEN_MESSAGES.issuer) });
      }
    });

    it('A14 a tid claim that does not match the tenant in iss: 401', async () => {
      const res = await get(ctx().base, await signWithKey(rsa, fresh({ ...azureClaims(), tid: EVIL_TENANT })));
      expect(await outcome(res)).toEqual(invalidToken(TOKEN_MESSAGES.issuer));
    });
  },
);

describeProvider(
  {
    title: 'azure multi-tenant ("common" with AZURE_ALLOWED_TENANTS)',
    options: () => ({
      provider: 'azure',
      issuer: azureIss('common'),
      azureAllowedTenants: [TENANT, TENANT_B],
      audience: APP_ID,
      jwksUri: server.jwksUri,
      serverUrl: SERVER_URL,
      scopes: SCOPES,
    }),
    claims: () => azureClaims(),
    user: () => azureUser(),
    wrongIssuers: () => azureWrongIssuers(TENANT),
    wrongAudiences: [`api://${APP_ID}`, 'https://graph.microsoft.com', []],
    acceptsEs256: false,
  },
  (ctx) => {
    it('every allowlisted tenant is accepted', async () => {
      for (const tid of [TENANT, TENANT_B]) {
        const res = await get(ctx().base, await signWithKey(rsa, fresh(azureClaims(tid))));
        expect({ tid, status: res.status }).toEqual({ tid, status: 200 });
        expect(((await res.json()) as { user: { issuer: string } }).user.issuer).toBe(azureIss(tid));
      }
    });

    it('A14 a tenant not on the allowlist, the v1 issuer, the common/organizations literals: 401', async () => {
      const cases: [string, JWTPayload][] = [
        ['attacker tenant', azureClaims(EVIL_TENANT)],
        ['v1 issuer of an allowlisted tenant', { ...azureClaims(), iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0' }],
        ['common literal', { ...azureClaims(), iss: azureIss('common') }],
        ['organizations literal', { ...azureClaims(), iss: azureIss('organizations') }],
        ['{tenantid} template', { ...azureClaims(), iss: azureIss('{tenantid}') }],
      ];
      for (const [label, claims] of cases) {
        const res = await get(ctx().base, await signWithKey(rsa, fresh(claims)));
        expect({ label, ...(await outcome(res)) }).toEqual({ label, ...invalidToken(TOKEN_MESSAGES.issuer) });
      }
    });

    it('A14 iss of one allowlisted tenant with the tid of another (or of an attacker): 401', async () => {
      for (const tid of [TENANT_B, EVIL_TENANT]) {
        const res = await get(ctx().base, await signWithKey(rsa, fresh({ ...azureClaims(TENANT), tid })));
        expect({ tid, ...(await outcome(res)) }).toEqual({ tid, ...invalidToken(TOKEN_MESSAGES.issuer) });
      }
    });
  },
);

// ---------------------------------------------------------------------------------------------------
// Generic OIDC: fixed jwksUri, and discovery
// ---------------------------------------------------------------------------------------------------

const oidcClaims = (iss: string): JWTPayload => ({
  iss,
  sub: 'user-42',
  aud: RESOURCE,
  client_id: 'mcp-inspector',
  scope: 'mcp:read mcp:write',
  preferred_username: 'alice',
  email: 'alice@example.com',
  groups: ['admins'],
  iat: now(),
  exp: now() + 600,
});

const oidcUser = (iss: string) => ({
  sub: 'user-42',
  username: 'alice',
  email: 'alice@example.com',
  scopes: ['mcp:read', 'mcp:write'],
  groups: ['admins'],
  clientId: 'mcp-inspector',
  issuer: iss,
  provider: 'oidc',
});

describeProvider(
  {
    title: 'oidc with a jwksUri override (no discovery)',
    options: () => ({ provider: 'oidc', issuer: OIDC_ISS, audience: RESOURCE, jwksUri: server.jwksUri, serverUrl: SERVER_URL, scopes: SCOPES }),
    claims: () => oidcClaims(OIDC_ISS),
    user: () => oidcUser(OIDC_ISS),
    wrongIssuers: () => [`${OIDC_ISS}/`, 'http://idp.example.com', 'https://IDP.example.com', 'https://idp.example.com.evil.com'],
    wrongAudiences: [`${RESOURCE}/other`, 'http://127.0.0.1:9', `${RESOURCE}.evil.com`, 'https://graph.microsoft.com', []],
    acceptsEs256: true,
  },
  (ctx) => {
    it('the discovery document is never fetched when jwksUri is set', () => {
      expect(server.discoveryRequests).toBe(0);
    });

    it('C33 no kid, exactly one published key fits the alg (one RSA, one P-256 key): 200 for RS256 and ES256', async () => {
      const claims = oidcClaims(OIDC_ISS);
      expect((await get(ctx().base, handMadeJws({ alg: 'RS256', typ: 'JWT' }, fresh(claims), rsa))).status).toBe(200);
      expect((await get(ctx().base, handMadeJws({ alg: 'ES256', typ: 'JWT' }, fresh(claims), ec))).status).toBe(200);
    });

    it('A13 typ at+jwt is accepted, an unknown typ is refused', async () => {
      const claims = oidcClaims(OIDC_ISS);
      expect((await get(ctx().base, await signWithKey(rsa, fresh(claims), { typ: 'at+jwt' }))).status).toBe(200);
      expect(await outcome(await get(ctx().base, await signWithKey(rsa, fresh(claims), { typ: 'JWE' })))).toEqual(invalidToken());
    });
  },
);

describe('oidc via discovery (issuer = the JwksServer, no jwksUri)', () => {
  let discoveryBefore: number;
  let jwksBefore: number;
  beforeAll(() => {
    discoveryBefore = server.discoveryRequests;
    jwksBefore = server.jwksRequests;
  });

  describeProvider(
    {
      title: 'oidc discovery provider',
      options: () => ({ provider: 'oidc', issuer: server.issuer, audience: RESOURCE, serverUrl: SERVER_URL, scopes: SCOPES }),
      claims: () => oidcClaims(server.issuer),
      user: () => oidcUser(server.issuer),
      wrongIssuers: () => [
        `${server.issuer}/`,
        server.issuer.replace('http://', 'https://'),
        server.issuer.replace('http://', 'HTTP://'),
        server.issuer.replace('127.0.0.1', 'localhost'),
        server.issuer.replace('127.0.0.1', '127.0.0.1.evil.com'),
      ],
      wrongAudiences: [OIDC_ISS, `${RESOURCE}/`, []],
      acceptsEs256: true,
    },
    () => {
      it('discovery was fetched once at bootstrap and its jwks_uri used', () => {
        expect(server.discoveryRequests - discoveryBefore).toBe(1);
        expect(server.jwksRequests - jwksBefore).toBeGreaterThanOrEqual(1);
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Malformed credentials, hostile headers, key rotation and JWKS failures (oidc, fixed jwksUri)
// ---------------------------------------------------------------------------------------------------

describe('JWKS handling (oidc, jwks.cooldownMs 0, jwks.timeoutMs 300)', () => {
  let idp: JwksServer;
  let elsewhere: JwksServer;
  let app: INestApplication;
  let base: string;
  let k2: TestKey;
  let kNew: TestKey;
  let attacker: TestKey;
  const claims = () => fresh(oidcClaims(OIDC_ISS));

  beforeAll(async () => {
    [k2, kNew, attacker] = await Promise.all([generateTestKey('RS256', 'rsa-2'), generateTestKey('RS256', 'rsa-new'), generateTestKey('RS256', 'attacker')]);
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk, ec.publicJwk];
    elsewhere = await new JwksServer().start();
    elsewhere.keys = [kNew.publicJwk, rsa.publicJwk];
    app = await createTestApp({
      provider: 'oidc',
      issuer: OIDC_ISS,
      audience: RESOURCE,
      jwksUri: idp.jwksUri,
      serverUrl: SERVER_URL,
      scopes: SCOPES,
      jwks: { cooldownMs: 0, timeoutMs: 300 },
    });
    base = await appUrl(app);
  });
  afterAll(async () => {
    await app.close();
    await idp.stop();
    await elsewhere.stop();
  });
  afterEach(() => {
    idp.jwksResponse = undefined;
  });

  it('A2 malformed Authorization headers: 401 invalid_token, never 5xx', async () => {
    const headers = ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearertoken', 'Bearer\ta.b.c', 'Token a.b.c', 'Bearer "a.b.c"'];
    for (const authorization of headers) {
      const res = await get(base, undefined, { authorization });
      expect({ authorization, ...(await outcome(res)) }).toEqual({ authorization, ...invalidToken() });
    }
  });

  it('A2 the auth scheme is case-insensitive: "bearer" and "BEARER" with a valid token are accepted', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await get(base, undefined, { authorization: `${scheme} ${await signWithKey(rsa, claims())}` });
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 200 });
    }
  });

  it('A18 malformed structure: 401 invalid_token, never 5xx', async () => {
    const valid = await signWithKey(rsa, claims());
    const [h, p, s] = valid.split('.');
    const nonAscii = Buffer.from(`${h}.${p}.${s}é€`, 'utf8').toString('latin1');
    const tokens: Record<string, string> = {
      'a.b': 'a.b',
      'a.b.c.d': 'a.b.c.d',
      '5-part JWE': `${b64url({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: rsa.kid })}.${'A'.repeat(342)}.${'B'.repeat(16)}.${'C'.repeat(40)}.${'D'.repeat(22)}`,
      '= padding': `${h}.${p}.${s}==`,
      '= padding in the header': `${h}=.${p}.${s}`,
      '+ and /': `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+/`,
      'non-ASCII': nonAscii,
      'header not JSON': `${b64url('not json')}.${p}.${s}`,
      'header a JSON array': `${b64url([{ alg: 'RS256' }])}.${p}.${s}`,
      'payload W10 ([]), validly signed': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: rsa.kid }, [], rsa),
      'payload null, wrong signature': `${b64url({ alg: 'RS256', typ: 'JWT', kid: rsa.kid })}.${b64url(null)}.${s}`,
      'payload a JSON string, validly signed': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: rsa.kid }, '"x"', rsa),
      'payload not JSON, validly signed': (() => {
        const input = `${b64url({ alg: 'RS256', typ: 'JWT', kid: rsa.kid })}.${b64url('not json')}`;
        return `${input}.${cryptoSign('sha256', Buffer.from(input), KeyObject.from(rsa.privateKey)).toString('base64url')}`;
      })(),
      'empty segments': '..',
      'signature stripped': `${h}.${p}.`,
    };
    expect(b64url([])).toBe('W10');
    for (const [label, token] of Object.entries(tokens)) {
      const res = await get(base, token);
      expect({ label, ...(await outcome(res)) }).toEqual({ label, ...invalidToken() });
    }
  });

  it('A16 crit naming an unknown extension, and b64:false: 401, correctly signed or not', async () => {
    const headers = [
      { alg: 'RS256', kid: rsa.kid, crit: ['x-evil'], 'x-evil': 1 },
      { alg: 'RS256', kid: rsa.kid, b64: false, crit: ['b64'] },
      { alg: 'RS256', kid: rsa.kid, crit: [] },
    ];
    for (const header of headers) {
      const res = await get(base, handMadeJws(header, claims(), rsa));
      expect({ header, ...(await outcome(res)) }).toEqual({ header, ...invalidToken(TOKEN_MESSAGES.unsupportedHeader) });
    }
  });

  it('A17 embedded-key headers (jwk, jku, x5u, x5c): 401 with zero outbound requests', async () => {
    const selfSignedX5c = Buffer.from('30820122300d06092a864886f70d01010105000382010f00', 'hex').toString('base64');
    const headers = [
      { alg: 'RS256', kid: attacker.kid, jwk: attacker.publicJwk },
      { alg: 'RS256', jwk: attacker.publicJwk },
      { alg: 'RS256', kid: attacker.kid, jku: elsewhere.jwksUri },
      { alg: 'RS256', kid: attacker.kid, x5u: `${elsewhere.url}/cert.pem` },
      { alg: 'RS256', kid: attacker.kid, x5c: [selfSignedX5c] },
    ];
    const before = { idp: idp.jwksRequests, elsewhere: elsewhere.jwksRequests };
    for (const header of headers) {
      const res = await get(base, handMadeJws({ typ: 'JWT', ...header }, claims(), attacker));
      expect({ header: Object.keys(header), ...(await outcome(res)) }).toEqual({
        header: Object.keys(header),
        ...invalidToken(TOKEN_MESSAGES.unsupportedHeader),
      });
    }
    expect({ idp: idp.jwksRequests, elsewhere: elsewhere.jwksRequests }).toEqual(before);
    // Control: the same unknown kid without the embedded key does trigger a refetch (cooldown 0).
    expect((await get(base, handMadeJws({ alg: 'RS256', typ: 'JWT', kid: attacker.kid }, claims(), attacker))).status).toBe(401);
    expect(idp.jwksRequests).toBe(before.idp + 1);
  });

  it('A9 an HS256 token in JWKS mode: 401 before any key lookup', async () => {
    const before = idp.jwksRequests;
    const res = await get(base, handMadeHs256({ alg: 'HS256', typ: 'JWT', kid: 'hs' }, claims(), 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe'));
    expect(await outcome(res)).toEqual(invalidToken(TOKEN_MESSAGES.algorithm));
    expect(idp.jwksRequests).toBe(before);
  });

  it('C31 key rotation: a k2-signed token causes one refetch and is accepted, with no restart', async () => {
    expect((await get(base, await signWithKey(k2, claims()))).status).toBe(401);
    idp.keys = [rsa.publicJwk, ec.publicJwk, k2.publicJwk];
    const before = idp.jwksRequests;
    const res = await get(base, await signWithKey(k2, claims()));
    expect(res.status).toBe(200);
    expect(idp.jwksRequests).toBe(before + 1);
    expect((await get(base, await signWithKey(k2, claims()))).status).toBe(200);
    expect((await get(base, await signWithKey(rsa, claims()))).status).toBe(200);
    expect(idp.jwksRequests).toBe(before + 1);
  });

  describe('C32 JWKS failures: uncached kids get 401, already cached keys keep working', () => {
    beforeAll(() => {
      idp.keys = [rsa.publicJwk, ec.publicJwk, k2.publicJwk, kNew.publicJwk];
    });

    const failures: Record<string, (res: import('node:http').ServerResponse) => void> = {
      'HTTP 500': (res) => {
        res.statusCode = 500;
        res.end('{"error":"internal"}');
      },
      'an HTML page': (res) => {
        res.setHeader('content-type', 'text/html');
        res.end('<!doctype html><html><body>Maintenance</body></html>');
      },
      '{"keys":"x"}': (res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"keys":"x"}');
      },
      'invalid JSON': (res) => {
        res.setHeader('content-type', 'application/json');
        res.end(`{"keys":[${JSON.stringify(kNew.publicJwk)}`);
      },
      'a JSON array': (res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify([kNew.publicJwk]));
      },
      'an empty key list': (res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"keys":[]}');
      },
      'a hang (timeoutMs 300)': () => undefined,
    };

    for (const [label, respond] of Object.entries(failures)) {
      it(`the JWKS returns ${label}`, async () => {
        idp.jwksResponse = (_req, res) => respond(res);
        const before = idp.jwksRequests;
        const started = Date.now();
        expect(await outcome(await get(base, await signWithKey(kNew, claims())))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
        expect(Date.now() - started).toBeLessThan(3000);
        expect(idp.jwksRequests).toBeGreaterThan(before);
        expect((await get(base, await signWithKey(rsa, claims()))).status).toBe(200);
        expect((await get(base, await signWithKey(ec, claims()))).status).toBe(200);
      });
    }

    it('C38 a 302 redirect is not followed (the target is never asked)', async () => {
      idp.jwksResponse = (_req, res) => {
        res.statusCode = 302;
        res.setHeader('location', elsewhere.jwksUri);
        res.end();
      };
      const before = elsewhere.jwksRequests;
      expect(await outcome(await get(base, await signWithKey(kNew, claims())))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
      expect(elsewhere.jwksRequests).toBe(before);
      expect((await get(base, await signWithKey(rsa, claims()))).status).toBe(200);
    });

    it('C38 a body over 1 MB (with and without content-length) is refused even though it holds the key', async () => {
      const big = JSON.stringify({ keys: [rsa.publicJwk, kNew.publicJwk], padding: 'x'.repeat(1_100_000) });
      idp.jwksResponse = (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(big);
      };
      expect(await outcome(await get(base, await signWithKey(kNew, claims())))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
      idp.jwksResponse = (_req, res) => {
        res.setHeader('content-type', 'application/json');
        for (let i = 0; i < big.length; i += 65536) res.write(big.slice(i, i + 65536));
        res.end();
      };
      expect(await outcome(await get(base, await signWithKey(kNew, claims())))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
      expect((await get(base, await signWithKey(rsa, claims()))).status).toBe(200);
    });

    it('control: once the JWKS answers normally again, the new key is fetched and accepted', async () => {
      idp.jwksResponse = undefined;
      expect((await get(base, await signWithKey(kNew, claims()))).status).toBe(200);
    });
  });
});

describe('C30 random-kid flood (jwks.cooldownMs 30000)', () => {
  let idp: JwksServer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    app = await createTestApp({
      provider: 'oidc',
      issuer: OIDC_ISS,
      audience: RESOURCE,
      jwksUri: idp.jwksUri,
      serverUrl: SERVER_URL,
      jwks: { cooldownMs: 30_000 },
    });
    base = await appUrl(app);
  });
  afterAll(async () => {
    await app.close();
    await idp.stop();
  });

  it('200 concurrent requests with random kids: all 401, at most one JWKS fetch', async () => {
    const before = idp.jwksRequests;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        get(base, handMadeJws({ alg: 'RS256', typ: 'JWT', kid: randomUUID() }, fresh(oidcClaims(OIDC_ISS)), rsa)).then((r) => r.status),
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(idp.jwksRequests - before).toBeLessThanOrEqual(1);
    expect((await get(base, await signWithKey(rsa, fresh(oidcClaims(OIDC_ISS))))).status).toBe(200);
  });
});

describe('C30 concurrent unknown-kid misses share one in-flight fetch (cooldownMs 1000, slow JWKS)', () => {
  let idp: JwksServer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    app = await createTestApp({
      provider: 'oidc',
      issuer: OIDC_ISS,
      audience: RESOURCE,
      jwksUri: idp.jwksUri,
      serverUrl: SERVER_URL,
      jwks: { cooldownMs: 1000 },
    });
    base = await appUrl(app);
  });
  afterAll(async () => {
    await app.close();
    await idp.stop();
  });

  it('after the cooldown, 200 concurrent random kids cause exactly one fetch', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    idp.jwksResponse = (_req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: idp.keys }));
      }, 150);
    };
    const before = idp.jwksRequests;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        get(base, handMadeJws({ alg: 'RS256', typ: 'JWT', kid: randomUUID() }, fresh(oidcClaims(OIDC_ISS)), rsa)).then((r) => r.status),
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(idp.jwksRequests - before).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// Which published keys may verify (C33, C34, C35)
// ---------------------------------------------------------------------------------------------------

describe('C34/C35 key attributes and strength (a JWKS full of unusable keys)', () => {
  let idp: JwksServer;
  let app: INestApplication;
  let base: string;
  let misused: TestKey;
  let weak: KeyObject;
  const OCT_SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

  beforeAll(async () => {
    misused = await generateTestKey('RS256', 'misused');
    const weakPair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    weak = weakPair.privateKey;
    const { use: _use, alg: _alg, kid: _kid, ...material } = misused.publicJwk;
    idp = await new JwksServer().start();
    idp.keys = [
      rsa.publicJwk,
      ec.publicJwk,
      { ...material, kid: 'enc', alg: 'RS256', use: 'enc' },
      { ...material, kid: 'encrypt-ops', alg: 'RS256', key_ops: ['encrypt'] },
      { ...material, kid: 'rs384', alg: 'RS384', use: 'sig' },
      { kty: 'oct', kid: 'oct', alg: 'HS256', use: 'sig', k: Buffer.from(OCT_SECRET).toString('base64url') },
      { kty: 'oct', kid: 'oct-rs', alg: 'RS256', use: 'sig', k: Buffer.from(OCT_SECRET).toString('base64url') },
      { ...(weakPair.publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak-1024', alg: 'RS256', use: 'sig' },
    ];
    app = await createTestApp({
      provider: 'oidc',
      issuer: OIDC_ISS,
      audience: RESOURCE,
      jwksUri: idp.jwksUri,
      serverUrl: SERVER_URL,
      jwks: { cooldownMs: 0 },
    });
    base = await appUrl(app);
  });
  afterAll(async () => {
    await app.close();
    await idp.stop();
  });

  const claims = () => fresh(oidcClaims(OIDC_ISS));

  it('control: the good RSA key verifies', async () => {
    expect((await get(base, await signWithKey(rsa, claims()))).status).toBe(200);
  });

  it('C34 use:"enc", key_ops:["encrypt"], alg:"RS384" (for an RS256 token), kty:"oct": 401', async () => {
    const cases: [string, string, string][] = [
      ['use enc', handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'enc' }, claims(), misused), TOKEN_MESSAGES.unknownKey],
      ['key_ops encrypt', handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'encrypt-ops' }, claims(), misused), TOKEN_MESSAGES.unknownKey],
      ['alg RS384 key, RS256 token', handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'rs384' }, claims(), misused), TOKEN_MESSAGES.unknownKey],
      ['kty oct, RS256 token', handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'oct-rs' }, claims(), misused), TOKEN_MESSAGES.unknownKey],
      ['kty oct, HS256 token with its k', handMadeHs256({ alg: 'HS256', typ: 'JWT', kid: 'oct' }, claims(), OCT_SECRET), TOKEN_MESSAGES.algorithm],
    ];
    for (const [label, token, description] of cases) {
      expect({ label, ...(await outcome(await get(base, token))) }).toEqual({ label, ...invalidToken(description) });
    }
  });

  it('C35 a 1024-bit RSA key published in the JWKS: its tokens get 401', async () => {
    const token = handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'weak-1024' }, claims(), weak);
    const [h, p, sig] = token.split('.');
    expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), createPublicKey(weak), Buffer.from(sig, 'base64url'))).toBe(true);
    expect(await outcome(await get(base, token))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
  });

  it('C33 no kid: the only RSA key that is usable for RS256 is chosen (200)', async () => {
    expect((await get(base, handMadeJws({ alg: 'RS256', typ: 'JWT' }, claims(), rsa))).status).toBe(200);
    expect(await outcome(await get(base, handMadeJws({ alg: 'RS256', typ: 'JWT' }, claims(), misused)))).toEqual(invalidToken());
  });
});

describe('C33 missing kid with two RSA keys', () => {
  let idp: JwksServer;
  let app: INestApplication;
  let base: string;
  let rsaB: TestKey;

  beforeAll(async () => {
    rsaB = await generateTestKey('RS256', 'rsa-b');
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk, rsaB.publicJwk, ec.publicJwk];
    app = await createTestApp({ provider: 'oidc', issuer: OIDC_ISS, audience: RESOURCE, jwksUri: idp.jwksUri, serverUrl: SERVER_URL });
    base = await appUrl(app);
  });
  afterAll(async () => {
    await app.close();
    await idp.stop();
  });

  it('RS256 without kid: 401 (ambiguous), with kid: 200; ES256 without kid: 200 (one P-256 key)', async () => {
    const claims = () => fresh(oidcClaims(OIDC_ISS));
    for (const key of [rsa, rsaB]) {
      expect(await outcome(await get(base, handMadeJws({ alg: 'RS256', typ: 'JWT' }, claims(), key)))).toEqual(invalidToken(TOKEN_MESSAGES.unknownKey));
      expect((await get(base, await signWithKey(key, claims()))).status).toBe(200);
    }
    expect((await get(base, handMadeJws({ alg: 'ES256', typ: 'JWT' }, claims(), ec))).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------
// Validated-token cache (B25, B27)
// ---------------------------------------------------------------------------------------------------

describe('validated-token cache (clockSkewSeconds 0, so only the cache could let an expired token in)', () => {
  let idp: JwksServer;
  let app: INestApplication;
  let base: string;
  let cache: TokenCache;
  let forger: TestKey;

  beforeAll(async () => {
    forger = await generateTestKey('RS256', rsa.kid);
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    app = await createTestApp({
      provider: 'oidc',
      issuer: OIDC_ISS,
      audience: RESOURCE,
      jwksUri: idp.jwksUri,
      serverUrl: SERVER_URL,
      clockSkewSeconds: 0,
    });
    base = await appUrl(app);
    cache = app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE);
  });
  afterAll(async () => {
    await app.close();
    await idp.stop();
  });

  it('B25 a cached token with exp = now+2 is refused once exp has passed', async () => {
    const token = await signWithKey(rsa, fresh({ ...oidcClaims(OIDC_ISS), exp: now() + 2 }));
    const size = cache.size;
    expect((await get(base, token)).status).toBe(200);
    expect(cache.size).toBe(size + 1);
    expect((await get(base, token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await outcome(await get(base, token))).toEqual(invalidToken(TOKEN_MESSAGES.expired));
  });

  it('B27 distinct invalid tokens are all refused and never cached; a valid token still works', async () => {
    const size = cache.size;
    const jwksBefore = idp.jwksRequests;
    const statuses: number[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const tokens = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? signWithKey(forger, fresh(oidcClaims(OIDC_ISS)))
            : signWithKey(rsa, fresh({ ...oidcClaims(OIDC_ISS), aud: `https://other-${batch}-${i}.example` })),
        ),
      );
      statuses.push(...(await Promise.all(tokens.map((t) => get(base, t).then((r) => r.status)))));
    }
    expect(statuses).toHaveLength(300);
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(cache.size).toBe(size);
    expect(idp.jwksRequests).toBe(jwksBefore);
    const valid = await get(base, await signWithKey(rsa, fresh(oidcClaims(OIDC_ISS))));
    expect(valid.status).toBe(200);
    expect(cache.size).toBe(size + 1);
  });
});

// ---------------------------------------------------------------------------------------------------
// A validly signed `null` payload (A18). In its own app and describe: jsonwebtoken throws a TypeError
// inside the key callback (src/strategies/jwt-strategy-options.ts calls `done` within a promise
// `.then`), the rejection is unhandled, and Jest charges an unhandled error to every test of the
// enclosing describe. The fetch is aborted after 3 s so the failure is fast.
// ---------------------------------------------------------------------------------------------------

describe('A18 a validly signed payload of null', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await createTestApp({ provider: 'oidc', issuer: OIDC_ISS, audience: RESOURCE, jwksUri: server.jwksUri, serverUrl: SERVER_URL });
    base = await appUrl(app);
  });
  afterAll(() => app.close());

  it('is answered with 401 invalid_token (no hang, no unhandled rejection)', async () => {
    const token = handMadeJws({ alg: 'RS256', typ: 'JWT', kid: rsa.kid }, null, rsa);
    const res = await fetch(`${base}/protected`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    }).catch((err: Error) => err);
    expect(res instanceof Response ? await outcome(res) : `no answer: ${res.name}`).toEqual(invalidToken());
  });
});

// ---------------------------------------------------------------------------------------------------
// Two module instances in one process (B28 context isolation)
// ---------------------------------------------------------------------------------------------------

describe('B28 two applications in one process keep their own validation context', () => {
  let appA: INestApplication;
  let appB: INestApplication;

  beforeAll(async () => {
    const options = { provider: 'oidc' as const, issuer: OIDC_ISS, jwksUri: server.jwksUri, serverUrl: SERVER_URL };
    appA = await createTestApp({ ...options, audience: 'https://a.example/mcp' });
    appB = await createTestApp({ ...options, audience: 'https://b.example/mcp' });
  });
  afterAll(async () => {
    await appA.close();
    await appB.close();
  });

  it('app A accepts its own audience and refuses the audience of app B (and vice versa)', async () => {
    const [a, b] = [await appUrl(appA), await appUrl(appB)];
    const tokenFor = (aud: string) => signWithKey(rsa, fresh({ ...oidcClaims(OIDC_ISS), aud }));
    const statuses = {
      'A with aud A': (await get(a, await tokenFor('https://a.example/mcp'))).status,
      'A with aud B': (await get(a, await tokenFor('https://b.example/mcp'))).status,
      'B with aud B': (await get(b, await tokenFor('https://b.example/mcp'))).status,
      'B with aud A': (await get(b, await tokenFor('https://a.example/mcp'))).status,
    };
    expect(statuses).toEqual({ 'A with aud A': 200, 'A with aud B': 401, 'B with aud B': 200, 'B with aud A': 401 });
  });
});

// ---------------------------------------------------------------------------------------------------
// Discovery issuer mismatch (C39)
// ---------------------------------------------------------------------------------------------------

describe('C39 discovery issuer mismatch stops the application', () => {
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
  });
  afterAll(() => idp.stop());

  for (const [label, override] of [
    ['another issuer', () => 'https://evil.example'],
    ['the issuer with a trailing slash', () => `${idp.issuer}/`],
  ] as const) {
    it(`the discovery document names ${label}: bootstrap rejects, naming OIDC_ISSUER`, async () => {
      idp.issuerOverride = override();
      await expect(createTestApp({ provider: 'oidc', issuer: idp.issuer, audience: RESOURCE, serverUrl: SERVER_URL, scopes: SCOPES })).rejects.toThrow(
        /OIDC_ISSUER/,
      );
      expect(idp.discoveryRequests).toBeGreaterThan(0);
    });
  }

  it('control: a matching discovery issuer boots', async () => {
    idp.issuerOverride = undefined;
    const app = await createTestApp({ provider: 'oidc', issuer: idp.issuer, audience: RESOURCE, serverUrl: SERVER_URL });
    await app.close();
  });
});
