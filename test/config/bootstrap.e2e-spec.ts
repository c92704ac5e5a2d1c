import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { OAuthMcpConfigError, OAuthMcpConfigService, OAuthMcpModule, oauthMcpOptionsFromEnv, type OAuthMcpModuleOptions } from '../../src/index.js';
import { anyMode, type AnyModeOptions } from '../support/any-mode-options.js';

/*
 * Startup rules (security-cases.md group N): an unsafe or incomplete configuration stops the Nest
 * application at bootstrap with an OAuthMcpConfigError that names each setting and its environment
 * variable, lists every problem at once, and never echoes a secret.
 */

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const AUD = 'https://mcp.example.com/mcp';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

const hmac = (extra: AnyModeOptions = {}): OAuthMcpModuleOptions =>
  anyMode({
    provider: 'hmac',
    jwtSecret: SECRET,
    audience: AUD,
    serverUrl: 'http://127.0.0.1:9',
    ...extra,
  });

const oidc = (extra: AnyModeOptions = {}): OAuthMcpModuleOptions =>
  anyMode({
    provider: 'oidc',
    issuer: 'https://idp.example.com',
    audience: AUD,
    serverUrl: 'http://127.0.0.1:9',
    ...extra,
  });

/** Production settings that are otherwise valid (https everywhere). */
const prod = (extra: AnyModeOptions = {}): OAuthMcpModuleOptions => oidc({ production: true, serverUrl: 'https://mcp.example.com', ...extra });

/** Compiles a Nest module importing OAuthMcpModule.forRoot(options); resolves with the error, if any. */
async function bootstrap(options: OAuthMcpModuleOptions): Promise<unknown> {
  try {
    const moduleRef = await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot(options)] }).compile();
    await moduleRef.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** A setting as the error must name it: the option (path or pattern) and its environment variable. */
type Named = [setting: string | RegExp, env: string];

/**
 * Bootstrap must throw OAuthMcpConfigError; its message names every expected setting and env var,
 * every listed problem is about one of them (nothing unrelated), and no secret value appears.
 */
async function expectRefused(options: OAuthMcpModuleOptions, named: Named[], secrets: string[] = []): Promise<OAuthMcpConfigError> {
  const err = await bootstrap(options);
  expect(err).toBeInstanceOf(OAuthMcpConfigError);
  const error = err as OAuthMcpConfigError;
  for (const [setting, env] of named) {
    if (typeof setting === 'string') expect(error.message).toContain(setting);
    else expect(error.message).toMatch(setting);
    expect(error.message).toContain(env);
  }
  for (const problem of error.problems) {
    expect({ problem, aboutAnExpectedSetting: named.some(([, env]) => problem.includes(env)) }).toEqual({
      problem,
      aboutAnExpectedSetting: true,
    });
  }
  for (const secret of [options.jwtSecret, options.jwtSecretPrevious, options.clientSecret, ...secrets]) {
    if (typeof secret === 'string' && secret.length > 0) expect(error.message).not.toContain(secret);
  }
  return error;
}

async function expectBoots(options: OAuthMcpModuleOptions): Promise<void> {
  expect(await bootstrap(options)).toBeUndefined();
}

describe('bootstrap rules (OAuthMcpModule.forRoot)', () => {
  it('control: valid hmac and oidc settings boot', async () => {
    await expectBoots(hmac());
    await expectBoots(oidc());
    await expectBoots(prod({ jwksUri: 'https://idp.example.com/jwks.json' }));
  });

  describe('N131 short HS256 secret', () => {
    it.each([
      ['empty', ''],
      ['"secret"', 'secret'],
      ['31 bytes', SECRET.slice(0, 31)],
      ['31 bytes of UTF-8 in 27 characters', 'Zq8éàüöWm3Xv7Nk2Lp9Rt4Ys6Hd'],
    ])('%s: refused, naming jwtSecret (JWT_SECRET)', async (_label, jwtSecret) => {
      const error = await expectRefused(hmac({ jwtSecret }), [['jwtSecret', 'JWT_SECRET']]);
      expect(error.message).toMatch(/32 bytes/);
    });

    it('a missing secret for the hmac provider: refused, naming JWT_SECRET', async () => {
      await expectRefused(hmac({ jwtSecret: undefined }), [['jwtSecret', 'JWT_SECRET']]);
    });

    it('32 bytes: boots (counted in UTF-8 bytes, not characters)', async () => {
      expect(Buffer.byteLength(SECRET)).toBe(32);
      await expectBoots(hmac({ jwtSecret: SECRET }));
      // 24 characters, 32 bytes (8 of them two bytes long), random enough for the entropy rule (O9).
      const twoByteChars = 'éàüöñçøåk7Vq2mZp9XwR4tYb';
      expect([twoByteChars.length, Buffer.byteLength(twoByteChars)]).toEqual([24, 32]);
      await expectBoots(hmac({ jwtSecret: twoByteChars }));
    });

    it('a short JWT_SECRET_PREVIOUS: refused, naming jwtSecretPrevious (JWT_SECRET_PREVIOUS)', async () => {
      await expectRefused(hmac({ jwtSecretPrevious: 'Pq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5J' }), [['jwtSecretPrevious', 'JWT_SECRET_PREVIOUS']]);
    });
  });

  describe('N132 placeholder and low-entropy secrets', () => {
    it.each([
      ['changeme…', 'changeme-changeme-changeme-0123456789'],
      ['CHANGEME in capitals', 'CHANGEME_Zq8Wm3Xv7Nk2Lp9Rt4Ys6Hd1F'],
      ['your-secret…', 'your-secret-goes-here-Zq8Wm3Xv7Nk2Lp9'],
      ['one repeated character', 'a'.repeat(48)],
      ['two alternating characters', 'ab'.repeat(24)],
    ])('%s: refused, naming jwtSecret (JWT_SECRET), never echoing it', async (_label, jwtSecret) => {
      await expectRefused(hmac({ jwtSecret }), [['jwtSecret', 'JWT_SECRET']]);
    });

    it('a placeholder JWT_SECRET_PREVIOUS: refused, naming JWT_SECRET_PREVIOUS', async () => {
      await expectRefused(hmac({ jwtSecretPrevious: 'changeme-changeme-changeme-0123456789' }), [['jwtSecretPrevious', 'JWT_SECRET_PREVIOUS']]);
    });
  });

  describe('N133 issuer', () => {
    it('http issuer with production:true: refused, naming issuer (OIDC_ISSUER)', async () => {
      await expectRefused(prod({ issuer: 'http://idp.example.com', jwksUri: 'https://idp.example.com/jwks.json' }), [['issuer', 'OIDC_ISSUER']]);
    });

    it('http://localhost issuer: allowed in development, refused with production:true', async () => {
      await expectBoots(oidc({ issuer: 'http://localhost:3000' }));
      await expectBoots(hmac({ issuer: 'http://localhost:3000' }));
      for (const issuer of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
        await expectRefused(prod({ issuer, jwksUri: 'https://idp.example.com/jwks.json' }), [['issuer', 'OIDC_ISSUER']]);
      }
      await expectRefused(hmac({ issuer: 'http://localhost:3000', production: true, serverUrl: 'https://mcp.example.com' }), [['issuer', 'OIDC_ISSUER']]);
    });

    it.each([
      ['a #fragment', 'https://idp.example.com#frag'],
      ['an empty #', 'https://idp.example.com#'],
      ['a ?query', 'https://idp.example.com?q=1'],
      ['an empty ?', 'https://idp.example.com?'],
      ['non-loopback http', 'http://idp.example.com'],
      ['loopback look-alike http://127.0.0.1.nip.io', 'http://127.0.0.1.nip.io'],
      ['credentials', 'https://user:pass@idp.example.com'],
      ['not a URL', 'idp.example.com'],
      ['a non-http scheme', 'ftp://idp.example.com'],
      ['a wildcard', 'https://*.example.com'],
    ])('issuer with %s: refused, naming OIDC_ISSUER (development too)', async (_label, issuer) => {
      await expectRefused(oidc({ issuer }), [['issuer', 'OIDC_ISSUER']]);
    });

    it('a JWKS provider without an issuer: refused, naming OIDC_ISSUER', async () => {
      for (const provider of ['okta', 'oidc', 'azure'] as const) {
        await expectRefused(oidc({ provider, issuer: undefined, jwksUri: 'https://idp.example.com/jwks.json' }), [['issuer', 'OIDC_ISSUER']]);
      }
    });
  });

  describe('N134 upstream and public URLs', () => {
    it('http jwksUri in production (even on loopback): refused, naming jwksUri (OIDC_JWKS_URI)', async () => {
      await expectRefused(prod({ jwksUri: 'http://localhost:8080/jwks.json' }), [['jwksUri', 'OIDC_JWKS_URI']]);
      await expectRefused(prod({ jwksUri: 'http://idp.example.com/jwks.json' }), [['jwksUri', 'OIDC_JWKS_URI']]);
    });

    it('non-loopback http jwksUri in development: refused; loopback http: boots', async () => {
      await expectRefused(oidc({ jwksUri: 'http://idp.example.com/jwks.json' }), [['jwksUri', 'OIDC_JWKS_URI']]);
      await expectBoots(oidc({ jwksUri: 'http://127.0.0.1:8080/jwks.json' }));
    });

    it('MCP_URL over http on a non-loopback host: refused, naming serverUrl (MCP_URL)', async () => {
      await expectRefused(oidc({ serverUrl: 'http://mcp.example.com' }), [['serverUrl', 'MCP_URL']]);
      await expectRefused(prod({ serverUrl: 'http://localhost:8080' }), [['serverUrl', 'MCP_URL']]);
      await expectRefused(oidc({ serverUrl: 'https://mcp.example.com?x=1' }), [['serverUrl', 'MCP_URL']]);
      await expectRefused(oidc({ serverUrl: 'https://mcp.example.com#x' }), [['serverUrl', 'MCP_URL']]);
    });
  });

  describe('N135 algorithm sets', () => {
    it.each([
      ['containing none', oidc({ algorithms: ['RS256', 'none'] })],
      ['containing NONE', oidc({ algorithms: ['NONE'] })],
      ['containing None for hmac', hmac({ algorithms: ['HS256', 'None'] })],
      ['mixing HS256 and RS256', oidc({ algorithms: ['HS256', 'RS256'] })],
      ['mixing HS256 and ES256 for hmac', hmac({ algorithms: ['HS256', 'ES256'] })],
      ['empty', oidc({ algorithms: [] })],
      ['HS256 for a JWKS provider', oidc({ provider: 'okta', algorithms: ['HS256'] })],
      ['RS256 for hmac', hmac({ algorithms: ['RS256'] })],
      ['an unknown name', oidc({ algorithms: ['rs256'] })],
      ['a JWE algorithm', oidc({ algorithms: ['RSA-OAEP'] })],
    ])('%s: refused, naming algorithms (OAUTH_ALGORITHMS)', async (_label, options) => {
      await expectRefused(options, [['algorithms', 'OAUTH_ALGORITHMS']]);
    });

    it('control: HS384+HS512 for hmac and PS256+ES384 for oidc boot', async () => {
      await expectBoots(hmac({ algorithms: ['HS384', 'HS512'] }));
      await expectBoots(oidc({ algorithms: ['PS256', 'ES384'] }));
    });
  });

  describe('N136 audience', () => {
    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['an empty list', []],
      ['a wildcard', '*'],
      ['a list with an empty entry', [AUD, '']],
    ])('%s: refused, naming audience (OIDC_AUDIENCE)', async (_label, audience) => {
      await expectRefused(oidc({ audience: audience as string | string[] | undefined }), [['audience', 'OIDC_AUDIENCE']]);
      await expectRefused(hmac({ audience: audience as string | string[] | undefined }), [['audience', 'OIDC_AUDIENCE']]);
    });
  });

  describe('N137 redirect allowlist', () => {
    it.each([
      ['a wildcard host', 'https://*.example.com/cb'],
      ['a wildcard path', 'https://app.example.com/*'],
      ['a fragment', 'https://app.example.com/cb#frag'],
      ['non-loopback http', 'http://app.example.com/cb'],
      ['a loopback look-alike', 'http://127.0.0.1.nip.io/cb'],
      ['an unparseable entry', 'not a uri'],
      ['a relative path', '/callback'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/html,hi'],
    ])('an entry with %s: refused, naming redirectUris (OAUTH_REDIRECT_URIS)', async (_label, entry) => {
      await expectRefused(hmac({ redirectUris: ['https://app.example.com/callback', entry] }), [['redirectUris', 'OAUTH_REDIRECT_URIS']]);
    });

    it('control: https and loopback http entries boot', async () => {
      await expectBoots(
        hmac({ redirectUris: ['https://app.example.com/callback', 'http://127.0.0.1/callback', 'http://localhost:3000/cb', 'http://[::1]/cb'] }),
      );
    });
  });

  describe('N138 Azure multi-tenant endpoints need a tenant allowlist', () => {
    const azure = (extra: AnyModeOptions = {}) => oidc({ provider: 'azure', issuer: 'https://login.microsoftonline.com/common/v2.0', ...extra });

    it.each(['common', 'organizations', 'consumers'])(
      '"%s" without AZURE_ALLOWED_TENANTS: refused, naming OIDC_ISSUER and AZURE_ALLOWED_TENANTS',
      async (tenant) => {
        const issuer = `https://login.microsoftonline.com/${tenant}/v2.0`;
        await expectRefused(azure({ issuer }), [
          ['issuer', 'OIDC_ISSUER'],
          ['AZURE_ALLOWED_TENANTS', 'AZURE_ALLOWED_TENANTS'],
        ]);
        await expectRefused(azure({ issuer, azureAllowedTenants: [] }), [['issuer', 'AZURE_ALLOWED_TENANTS']]);
      },
    );

    it('tenants that are not GUIDs: refused, naming AZURE_ALLOWED_TENANTS', async () => {
      await expectRefused(azure({ azureAllowedTenants: ['contoso.onmicrosoft.com'] }), [['issuer', 'AZURE_ALLOWED_TENANTS']]);
    });

    it('an issuer that is not an Azure v2 issuer: refused, naming OIDC_ISSUER', async () => {
      await expectRefused(azure({ issuer: `https://sts.windows.net/${TENANT}/` }), [['issuer', 'OIDC_ISSUER']]);
    });

    it('control: common with GUID tenants, and a single tenant, boot', async () => {
      await expectBoots(azure({ azureAllowedTenants: [TENANT] }));
      await expectBoots(azure({ issuer: `https://login.microsoftonline.com/${TENANT}/v2.0` }));
    });
  });

  describe('N140 excessive tolerances', () => {
    it.each([61, -1, 1.5, Number.NaN])('clockSkewSeconds %p: refused, naming OAUTH_CLOCK_SKEW_SECONDS', async (clockSkewSeconds) => {
      await expectRefused(hmac({ clockSkewSeconds }), [['clockSkewSeconds', 'OAUTH_CLOCK_SKEW_SECONDS']]);
    });

    // The option is written `cache: { maxTtlSeconds }`; the message must use that path.
    it('cache.maxTtlSeconds 301: refused, naming cache.maxTtlSeconds (OAUTH_CACHE_TTL_SECONDS)', async () => {
      await expectRefused(hmac({ cache: { maxTtlSeconds: 301 } }), [['cache.maxTtlSeconds', 'OAUTH_CACHE_TTL_SECONDS']]);
    });

    it.each([-1, 3600, 1.5])('cache.maxTtlSeconds %p: refused, naming OAUTH_CACHE_TTL_SECONDS', async (maxTtlSeconds) => {
      await expectRefused(hmac({ cache: { maxTtlSeconds } }), [[/maxTtlSeconds/i, 'OAUTH_CACHE_TTL_SECONDS']]);
    });

    it('cache.maxEntries 0: refused, naming OAUTH_CACHE_MAX_ENTRIES', async () => {
      await expectRefused(hmac({ cache: { maxEntries: 0 } }), [[/maxEntries/i, 'OAUTH_CACHE_MAX_ENTRIES']]);
    });

    it('control: a 60 s skew and a 300 s cache TTL boot', async () => {
      await expectBoots(hmac({ clockSkewSeconds: 60, cache: { maxTtlSeconds: 300 } }));
    });
  });

  describe('provider and mode', () => {
    it('an unknown provider: refused, naming provider (OAUTH_PROVIDER)', async () => {
      await expectRefused(oidc({ provider: 'keycloak' as never }), [['provider', 'OAUTH_PROVIDER']]);
    });

    it('an unknown mode: refused, naming mode (OAUTH_MODE)', async () => {
      await expectRefused(hmac({ mode: 'hybrid' as never }), [['mode', 'OAUTH_MODE']]);
    });
  });

  it('every problem is listed at once, each setting named with its env var, no secret echoed', async () => {
    const jwtSecret = 'Zq8Wm3Xv7Nk2Lp9';
    const error = await expectRefused(hmac({ jwtSecret, clockSkewSeconds: 61, audience: undefined, algorithms: ['none'] }), [
      ['jwtSecret', 'JWT_SECRET'],
      ['clockSkewSeconds', 'OAUTH_CLOCK_SKEW_SECONDS'],
      ['audience', 'OIDC_AUDIENCE'],
      ['algorithms', 'OAUTH_ALGORITHMS'],
    ]);
    expect(error.message).toMatch(/4 configuration problem/);
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual(expect.arrayContaining(['jwtSecret', 'clockSkewSeconds', 'audience', 'algorithms']));
  });
});

// ---------------------------------------------------------------------------------------------------
// oauthMcpOptionsFromEnv
// ---------------------------------------------------------------------------------------------------

describe('oauthMcpOptionsFromEnv()', () => {
  const ENV = {
    OAUTH_MODE: 'native',
    OAUTH_PROVIDER: 'okta',
    OIDC_ISSUER: 'https://dev-123.okta.com/oauth2/default',
    OIDC_AUDIENCE: 'api://default',
    OIDC_JWKS_URI: 'https://dev-123.okta.com/oauth2/default/v1/keys',
    OAUTH_REDIRECT_URIS: 'https://app.example.com/callback, http://127.0.0.1/callback',
    OAUTH_SCOPES: 'mcp:read  mcp:write\tmcp:admin ',
    JWT_SECRET: SECRET,
    JWT_SECRET_PREVIOUS: 'Pq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Ba',
    MCP_URL: 'https://mcp.example.com',
    NODE_ENV: 'production',
    OAUTH_ALGORITHMS: 'RS256, ES256',
    OAUTH_CLOCK_SKEW_SECONDS: '45',
    AZURE_ALLOWED_TENANTS: `${TENANT},9188040d-6c67-4c5b-b112-36a304b66dad`,
    OAUTH_MAX_TOKEN_BYTES: '16384',
    OAUTH_REQUIRE_AT_JWT: 'true',
    OAUTH_RESOURCE_NAME: 'Example MCP',
    OAUTH_CACHE_MAX_ENTRIES: '500',
    OAUTH_CACHE_TTL_SECONDS: '120',
  };

  const EXPECTED = {
    mode: 'native',
    provider: 'okta',
    issuer: 'https://dev-123.okta.com/oauth2/default',
    audience: 'api://default',
    jwksUri: 'https://dev-123.okta.com/oauth2/default/v1/keys',
    redirectUris: ['https://app.example.com/callback', 'http://127.0.0.1/callback'],
    scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
    jwtSecret: SECRET,
    jwtSecretPrevious: 'Pq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Ba',
    serverUrl: 'https://mcp.example.com',
    production: true,
    algorithms: ['RS256', 'ES256'],
    clockSkewSeconds: 45,
    azureAllowedTenants: [TENANT, '9188040d-6c67-4c5b-b112-36a304b66dad'],
    maxTokenBytes: 16384,
    requireAccessTokenType: true,
    resourceName: 'Example MCP',
    cache: { maxEntries: 500, maxTtlSeconds: 120 },
  };

  it('maps a plain env record (process.env shape)', () => {
    expect(oauthMcpOptionsFromEnv(ENV)).toMatchObject(EXPECTED);
  });

  it('maps a { get(key) } source the same way', () => {
    const map = new Map<string, unknown>(Object.entries(ENV));
    expect(oauthMcpOptionsFromEnv({ get: (key: string) => map.get(key) })).toMatchObject(EXPECTED);
  });

  it("maps @nestjs/config's ConfigService", () => {
    const { NODE_ENV: _nodeEnv, ...rest } = ENV;
    const options = oauthMcpOptionsFromEnv(new ConfigService(rest));
    expect(options).toMatchObject({ ...EXPECTED, production: process.env.NODE_ENV === 'production' });
  });

  it('comma lists: several audiences become a list, one stays a string; entries are trimmed', () => {
    expect(oauthMcpOptionsFromEnv({ ...ENV, OIDC_AUDIENCE: 'api://a, api://b' }).audience).toEqual(['api://a', 'api://b']);
    expect(oauthMcpOptionsFromEnv({ ...ENV, OIDC_AUDIENCE: 'api://a' }).audience).toBe('api://a');
  });

  it('true/false variables: anything else is refused naming the variable (a typo never silently keeps the default)', async () => {
    const { NODE_ENV: _prod, ...dev } = ENV;
    for (const variable of ['OAUTH_REQUIRE_AT_JWT', 'OAUTH_CIMD', 'OAUTH_DPOP_REQUIRED']) {
      await expectRefused(oauthMcpOptionsFromEnv({ ...dev, [variable]: 'off' }), [[/must be true or false/, variable]]);
    }
    expect(oauthMcpOptionsFromEnv({ ...ENV, OAUTH_REQUIRE_AT_JWT: 'false', OAUTH_CIMD: 'false' })).toMatchObject({
      requireAccessTokenType: false,
      clientIdMetadataDocuments: false,
    });
  });

  it('a number variable that is not a whole number is refused as such (not as out of range)', async () => {
    const { NODE_ENV: _prod, ...dev } = ENV;
    const err = await expectRefused(oauthMcpOptionsFromEnv({ ...dev, OAUTH_CLOCK_SKEW_SECONDS: '1.5', OAUTH_MAX_TOKEN_BYTES: 'x' }), [
      [/clockSkewSeconds.*whole number/, 'OAUTH_CLOCK_SKEW_SECONDS'],
      [/maxTokenBytes.*whole number/, 'OAUTH_MAX_TOKEN_BYTES'],
    ]);
    expect(err.message).not.toMatch(/at most|at least/);
  });

  it('OAUTH_SCOPES is space-separated (any whitespace, no empty entries)', () => {
    expect(oauthMcpOptionsFromEnv({ ...ENV, OAUTH_SCOPES: ' openid\n mcp:read   mcp:write ' }).scopes).toEqual(['openid', 'mcp:read', 'mcp:write']);
  });

  it('MCP_URL, when absent, is derived from MCP_HOST/MCP_PORT, the address the example listens on (https when a cert and key are set)', () => {
    const { MCP_URL: _url, ...noUrl } = ENV;
    expect(oauthMcpOptionsFromEnv(noUrl).serverUrl).toBe('http://127.0.0.1:8080');
    expect(oauthMcpOptionsFromEnv({ ...noUrl, MCP_HOST: '::1' }).serverUrl).toBe('http://[::1]:8080');
    expect(oauthMcpOptionsFromEnv({ ...noUrl, MCP_HOST: 'mcp.internal', MCP_PORT: '3000' }).serverUrl).toBe('http://mcp.internal:3000');
    expect(
      oauthMcpOptionsFromEnv({ ...noUrl, MCP_HOST: 'mcp.example.com', MCP_PORT: '8443', HTTPS_CERT_FILE: '/c.pem', HTTPS_KEY_FILE: '/k.pem' }).serverUrl,
    ).toBe('https://mcp.example.com:8443');
    expect(oauthMcpOptionsFromEnv({ ...noUrl, MCP_HOST: 'h', MCP_PORT: '1', HTTPS_CERT_FILE: '/c.pem' }).serverUrl).toBe('http://h:1');
    expect(oauthMcpOptionsFromEnv({ ...ENV, MCP_HOST: 'ignored', MCP_PORT: '1' }).serverUrl).toBe('https://mcp.example.com');
  });

  it('NODE_ENV=production means production: true; anything else false', () => {
    expect(oauthMcpOptionsFromEnv({ ...ENV, NODE_ENV: 'production' }).production).toBe(true);
    expect(oauthMcpOptionsFromEnv({ ...ENV, NODE_ENV: 'development' }).production).toBe(false);
    const { NODE_ENV: _n, ...noNodeEnv } = ENV;
    expect(oauthMcpOptionsFromEnv(noNodeEnv).production).toBe(false);
  });

  it('empty variables count as unset', () => {
    const options = oauthMcpOptionsFromEnv({ OAUTH_PROVIDER: 'hmac', JWT_SECRET: '', OIDC_AUDIENCE: '', OAUTH_SCOPES: '', MCP_URL: '' });
    expect(options).toMatchObject({ provider: 'hmac', serverUrl: 'http://127.0.0.1:8080' });
    expect(options.jwtSecret).toBeUndefined();
    expect(options.audience).toBeUndefined();
    expect(options.scopes).toBeUndefined();
  });

  it('a non-numeric number is refused at bootstrap, naming its variable', async () => {
    const options = oauthMcpOptionsFromEnv({ ...ENV, OAUTH_PROVIDER: 'hmac', OAUTH_ALGORITHMS: 'HS256', OAUTH_CLOCK_SKEW_SECONDS: '30s' });
    expect(options.clockSkewSeconds).toBeNaN();
    await expectRefused(options, [['clockSkewSeconds', 'OAUTH_CLOCK_SKEW_SECONDS']]);
  });

  it('env → options → resolved config end to end', () => {
    const { config } = new OAuthMcpConfigService(oauthMcpOptionsFromEnv(ENV));
    expect(config).toMatchObject({
      mode: 'native',
      provider: 'okta',
      production: true,
      issuers: ['https://dev-123.okta.com/oauth2/default'],
      audiences: ['api://default'],
      algorithms: ['RS256', 'ES256'],
      jwksUri: 'https://dev-123.okta.com/oauth2/default/v1/keys',
      resource: 'https://mcp.example.com/mcp',
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
      clockSkewSeconds: 45,
      cacheMaxEntries: 500,
      cacheMaxTtlMs: 120_000,
      maxTokenBytes: 16384,
      requireAccessTokenType: true,
    });
  });

  it('NODE_ENV=production with the derived http://127.0.0.1:8080 MCP_URL is refused, naming MCP_URL', async () => {
    const { MCP_URL: _url, ...noUrl } = ENV;
    await expectRefused(oauthMcpOptionsFromEnv(noUrl), [['serverUrl', 'MCP_URL']]);
  });

  it('OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are mapped; an empty OAUTH_MODE stays unset (the mode is implied at bootstrap)', () => {
    const clientSecret = 'Cs9Xq2Wm7Nz4Lp8Rt3Ys6Hd1Fg5Jc0Bv';
    const options = oauthMcpOptionsFromEnv({ ...ENV, OAUTH_MODE: '', OIDC_CLIENT_ID: 'mcp-client', OIDC_CLIENT_SECRET: clientSecret });
    expect(options).toMatchObject({ mode: undefined, clientId: 'mcp-client', clientSecret });
  });
});
