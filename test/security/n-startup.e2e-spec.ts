import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OAuthMcpConfigError, OAuthMcpModule, oauthMcpOptionsFromEnv } from '../../src/index.js';
import { signedIn, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { createTestApp, appUrl } from '../support/test-app.js';
import { signHmac } from '../support/tokens.js';
import { claimsFor, RESOURCE, SECRET, SERVER_URL } from './guard-helpers.js';

/*
 * security-cases.md group N: configuration checks at startup, written as operators write them (the
 * environment, through oauthMcpOptionsFromEnv). A refused setting stops the Nest module from
 * compiling with OAuthMcpConfigError; the message names each environment variable concerned and
 * never contains a secret value. test/config/bootstrap.e2e-spec.ts covers the same rules option by
 * option; this is the catalogue's audit trail.
 */

type Env = Record<string, string>;

const CLIENT_SECRET = 'Cs9Xq2Wm7Nz4Lp8Rt3Ys6Hd1Fg5Jc0Bv';
const HMAC_ENV: Env = { OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: RESOURCE, MCP_URL: SERVER_URL };
const OIDC_ENV: Env = {
  OAUTH_PROVIDER: 'oidc',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_JWKS_URI: 'https://idp.example.com/jwks',
  OIDC_AUDIENCE: RESOURCE,
  MCP_URL: SERVER_URL,
};
const PROXY_ENV: Env = {
  OAUTH_MODE: 'proxy',
  OAUTH_PROVIDER: 'oidc',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'mcp-proxy',
  OIDC_CLIENT_SECRET: CLIENT_SECRET,
  JWT_SECRET: SECRET,
  MCP_URL: SERVER_URL,
};
const SECRET_VARS = ['JWT_SECRET', 'JWT_SECRET_PREVIOUS', 'OIDC_CLIENT_SECRET'];

/** Compiles OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv(env)); the error, or undefined when it boots. */
async function compile(env: Env): Promise<unknown> {
  try {
    const moduleRef = await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv(env))] }).compile();
    await moduleRef.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Every listed variable is named, every problem is about one of them, and no secret value appears. */
async function expectRefused(env: Env, vars: string[], secrets: string[] = []): Promise<OAuthMcpConfigError> {
  const err = await compile(env);
  expect(err).toBeInstanceOf(OAuthMcpConfigError);
  const error = err as OAuthMcpConfigError;
  for (const v of vars) expect({ named: v, message: error.message }).toEqual({ named: v, message: expect.stringContaining(v) });
  for (const problem of error.problems) expect({ problem, aboutListed: vars.some((v) => problem.includes(v)) }).toEqual({ problem, aboutListed: true });
  for (const secret of [...SECRET_VARS.map((v) => env[v]), ...secrets]) {
    if (secret && secret.length >= 6) expect(error.message).not.toContain(secret);
  }
  return error;
}

async function expectBoots(env: Env): Promise<void> {
  expect(await compile(env)).toBeUndefined();
}

/**
 * Refused at compile time, or at least a warning logged while the app initialises (hmac and proxy
 * configurations only: they start without any network request).
 */
async function refusedOrWarned(env: Env): Promise<{ refused: boolean; warnings: string[] }> {
  const warnings: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: (m: unknown) => void warnings.push(String(m)),
    warn: (m: unknown) => void warnings.push(String(m)),
    debug: () => undefined,
    verbose: () => undefined,
  };
  try {
    const moduleRef = await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot({ ...oauthMcpOptionsFromEnv(env), logger })] }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    await app.close();
    return { refused: false, warnings };
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthMcpConfigError);
    return { refused: true, warnings };
  }
}

describe('group N', () => {
  it('control: hmac, oidc (fixed JWKS URI, production) and proxy settings boot', async () => {
    await expectBoots(HMAC_ENV);
    await expectBoots({ ...OIDC_ENV, NODE_ENV: 'production' });
    await expectBoots({ ...PROXY_ENV, NODE_ENV: 'production' });
  });

  it.each([
    ['empty', ''],
    ['"secret"', 'secret'],
    ['31 bytes', SECRET.slice(0, 31)],
  ])('N131 JWT_SECRET %s: refused, naming JWT_SECRET', async (_label, secret) => {
    await expectRefused({ ...HMAC_ENV, JWT_SECRET: secret }, ['JWT_SECRET']);
    await expectRefused({ ...PROXY_ENV, JWT_SECRET: secret }, ['JWT_SECRET']);
  });

  it.each([
    ['changeme', 'changeme-changeme-changeme-0123456789'],
    ['a placeholder phrase', 'your-secret-goes-here-Zq8Wm3Xv7Nk2Lp9'],
    ['aaaa…', 'a'.repeat(48)],
  ])('N132 a placeholder or low-entropy JWT_SECRET (%s): refused, naming JWT_SECRET', async (_label, secret) => {
    await expectRefused({ ...HMAC_ENV, JWT_SECRET: secret }, ['JWT_SECRET']);
    await expectRefused({ ...HMAC_ENV, JWT_SECRET_PREVIOUS: secret }, ['JWT_SECRET_PREVIOUS']);
  });

  // The module derives its other keys (upstream-token and signing-key encryption) from JWT_SECRET by
  // HKDF with a purpose label, and its state and consent values are random, so there is no separate
  // state-MAC or cookie key to reuse. What an operator can still do is put JWT_SECRET, which protects
  // this server's signing keys and the upstream tokens at rest, into a setting someone else also holds.
  it.each([
    ['OIDC_CLIENT_SECRET (shared with the IdP) equal to JWT_SECRET', { ...PROXY_ENV, OIDC_CLIENT_SECRET: SECRET }],
    [
      "a static client's client_secret (held by that client) equal to JWT_SECRET",
      {
        ...PROXY_ENV,
        OAUTH_STATIC_CLIENTS: JSON.stringify([{ client_id: 'web-app', client_secret: SECRET, redirect_uris: ['https://app.example.com/callback'] }]),
      },
    ],
  ])('N132 the same secret reused in two settings, %s: refused or at least a warning', async (_label, env) => {
    const { refused, warnings } = await refusedOrWarned(env);
    expect({ refused, warned: warnings.some((w) => /JWT_SECRET/.test(w)) }).not.toEqual({ refused: false, warned: false });
    expect(warnings.join('\n')).not.toContain(SECRET);
  });

  it('N133 an http issuer in production, a #fragment or ?query issuer: refused; http://localhost in development boots', async () => {
    await expectRefused({ ...OIDC_ENV, NODE_ENV: 'production', OIDC_ISSUER: 'http://idp.example.com' }, ['OIDC_ISSUER']);
    await expectRefused({ ...OIDC_ENV, NODE_ENV: 'production', OIDC_ISSUER: 'http://localhost:3000' }, ['OIDC_ISSUER']);
    for (const issuer of ['https://idp.example.com#frag', 'https://idp.example.com?tenant=1']) {
      await expectRefused({ ...OIDC_ENV, OIDC_ISSUER: issuer }, ['OIDC_ISSUER']);
    }
    await expectBoots({ ...OIDC_ENV, OIDC_ISSUER: 'http://localhost:3000' });
    await expectRefused({ ...HMAC_ENV, NODE_ENV: 'production', MCP_URL: 'http://mcp.example.com' }, ['MCP_URL']);
  });

  it('N134 an http JWKS URI or upstream issuer in production: refused (loopback included)', async () => {
    await expectRefused({ ...OIDC_ENV, NODE_ENV: 'production', OIDC_JWKS_URI: 'http://idp.example.com/jwks' }, ['OIDC_JWKS_URI']);
    await expectRefused({ ...OIDC_ENV, NODE_ENV: 'production', OIDC_JWKS_URI: 'http://127.0.0.1:8080/jwks' }, ['OIDC_JWKS_URI']);
    await expectRefused({ ...PROXY_ENV, NODE_ENV: 'production', OIDC_ISSUER: 'http://idp.example.com' }, ['OIDC_ISSUER']);
  });

  it.each([
    ['containing none', OIDC_ENV, 'RS256,none'],
    ['containing NONE', HMAC_ENV, 'HS256,NONE'],
    ['mixing HS256 and RS256', OIDC_ENV, 'HS256,RS256'],
    ['HS256 for a JWKS provider', OIDC_ENV, 'HS256'],
    ['empty entries', OIDC_ENV, ','],
  ])('N135 OAUTH_ALGORITHMS %s: refused, naming OAUTH_ALGORITHMS', async (_label, env, algorithms) => {
    await expectRefused({ ...env, OAUTH_ALGORITHMS: algorithms }, ['OAUTH_ALGORITHMS']);
  });

  it('N136 no OIDC_AUDIENCE in native mode (hmac and oidc): refused, naming OIDC_AUDIENCE', async () => {
    for (const env of [HMAC_ENV, OIDC_ENV]) {
      const { OIDC_AUDIENCE: _aud, ...noAudience } = env;
      await expectRefused(noAudience, ['OIDC_AUDIENCE']);
      await expectRefused({ ...env, OIDC_AUDIENCE: '*' }, ['OIDC_AUDIENCE']);
    }
  });

  it.each([
    ['a wildcard', 'https://*.example.com/callback'],
    ['a fragment', 'https://app.example.com/callback#x'],
    ['non-loopback http', 'http://app.example.com/callback'],
    ['an unparseable entry', 'not a uri'],
  ])('N137 OAUTH_REDIRECT_URIS with %s: refused, naming OAUTH_REDIRECT_URIS', async (_label, entry) => {
    await expectRefused({ ...PROXY_ENV, OAUTH_REDIRECT_URIS: `https://app.example.com/callback,${entry}` }, ['OAUTH_REDIRECT_URIS']);
  });

  it('N138 proxy mode without OIDC_CLIENT_ID, OIDC_CLIENT_SECRET or JWT_SECRET: refused, naming each one missing', async () => {
    for (const missing of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'JWT_SECRET']) {
      const { [missing]: _dropped, ...env } = PROXY_ENV;
      await expectRefused(env, [missing]);
    }
    const { OIDC_CLIENT_ID: _i, OIDC_CLIENT_SECRET: _s, JWT_SECRET: _j, ...bare } = PROXY_ENV;
    const error = await expectRefused(bare, ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'JWT_SECRET']);
    expect(error.problems).toHaveLength(3);
  });

  it('N138 Azure "common"/"organizations" without a tenant allowlist: refused (native), and never in proxy mode', async () => {
    for (const tenant of ['common', 'organizations']) {
      const azure = { ...OIDC_ENV, OAUTH_PROVIDER: 'azure', OIDC_ISSUER: `https://login.microsoftonline.com/${tenant}/v2.0` };
      await expectRefused(azure, ['AZURE_ALLOWED_TENANTS']);
      await expectBoots({ ...azure, AZURE_ALLOWED_TENANTS: '72f988bf-86f1-41af-91ab-2d7cd011db47' });
      await expectRefused(
        { ...PROXY_ENV, OAUTH_PROVIDER: 'azure', OIDC_ISSUER: azure.OIDC_ISSUER, AZURE_ALLOWED_TENANTS: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
        ['OAUTH_MODE'],
      );
    }
  });

  it.each(['11', '-1', '1.5', 'true', 'all'])('N139 TRUST_PROXY_HOPS=%s (out of range or not a hop count): refused, naming TRUST_PROXY_HOPS', async (hops) => {
    await expectRefused({ ...PROXY_ENV, TRUST_PROXY_HOPS: hops }, ['TRUST_PROXY_HOPS']);
  });

  it('N139 TRUST_PROXY_HOPS 0 and 10 boot', async () => {
    await expectBoots({ ...PROXY_ENV, TRUST_PROXY_HOPS: '0' });
    await expectBoots({ ...PROXY_ENV, TRUST_PROXY_HOPS: '10' });
  });

  it.each([
    ['OAUTH_CLOCK_SKEW_SECONDS', '61'],
    ['OAUTH_CLOCK_SKEW_SECONDS', '301'],
    ['OAUTH_CLOCK_SKEW_SECONDS', '-1'],
    ['OAUTH_CACHE_TTL_SECONDS', '301'],
    ['OAUTH_CACHE_TTL_SECONDS', '86400'],
  ])('N140 %s=%s (over the limit): refused, naming it', async (name, value) => {
    await expectRefused({ ...HMAC_ENV, [name]: value }, [name]);
  });

  it('N140 the limits themselves boot: 60 s skew, 300 s cache TTL', async () => {
    await expectBoots({ ...HMAC_ENV, OAUTH_CLOCK_SKEW_SECONDS: '60', OAUTH_CACHE_TTL_SECONDS: '300' });
  });

  describe('N141 weak or duplicate own signing keys (OAUTH_SIGNING_JWKS)', () => {
    const jwk = (type: 'rsa' | 'ec', opts: object, extra: object) => ({
      ...(generateKeyPairSync as (t: string, o: object) => { privateKey: KeyObject })(type, opts).privateKey.export({ format: 'jwk' }),
      ...extra,
    });
    const p256 = jwk('ec', { namedCurve: 'P-256' }, { kid: 'es-1', alg: 'ES256' });
    const rsa2048 = jwk('rsa', { modulusLength: 2048 }, { kid: 'rs-1', alg: 'RS256' });
    const keys = (...k: object[]) => JSON.stringify({ keys: k });
    const privateParts = (k: Record<string, unknown>) => ['d', 'p', 'q'].map((m) => k[m] as string).filter(Boolean);

    it('control: a P-256 ES256 key and a 2048-bit RS256 key boot', async () => {
      await expectBoots({ ...PROXY_ENV, OAUTH_SIGNING_JWKS: keys(p256, rsa2048) });
    });

    it.each([
      ['a duplicate kid', () => keys(p256, { ...jwk('ec', { namedCurve: 'P-256' }, {}), kid: 'es-1', alg: 'ES256' })],
      ['an RSA key under 2048 bits', () => keys(jwk('rsa', { modulusLength: 1024 }, { kid: 'rs-weak', alg: 'RS256' }))],
      ['an EC key on P-384 for ES256', () => keys(jwk('ec', { namedCurve: 'P-384' }, { kid: 'es-384', alg: 'ES256' }))],
      ['an EC key on P-384 without alg', () => keys(jwk('ec', { namedCurve: 'P-384' }, { kid: 'es-384' }))],
      ['a secp256k1 key', () => keys(jwk('ec', { namedCurve: 'secp256k1' }, { kid: 'k1', alg: 'ES256' }))],
      ['a public key only', () => keys({ ...p256, d: undefined })],
      ['not a JWKS', () => '{"keys":'],
    ])('%s: refused, naming OAUTH_SIGNING_JWKS, never echoing key material', async (_label, make) => {
      const value = make();
      const parsed = (() => {
        try {
          return (JSON.parse(value) as { keys: Record<string, unknown>[] }).keys;
        } catch {
          return [];
        }
      })();
      await expectRefused({ ...PROXY_ENV, OAUTH_SIGNING_JWKS: value }, ['OAUTH_SIGNING_JWKS'], parsed.flatMap(privateParts));
    });
  });
});

describe('N139 CORS: no response of the module pairs Access-Control-Allow-Credentials with a reflected or * origin', () => {
  const ORIGIN = 'https://evil.example';
  let f: ProxyFixture;
  let nativeBase: string;
  let closeNative: () => Promise<void>;

  beforeAll(async () => {
    f = await startProxyFixture();
    const app = await createTestApp({ provider: 'hmac', jwtSecret: SECRET, issuer: 'https://idp.example.com', audience: RESOURCE, serverUrl: SERVER_URL });
    nativeBase = await appUrl(app);
    closeNative = () => app.close();
  });
  afterAll(async () => {
    await f.close();
    await closeNative();
  });

  it('N139 every endpoint, preflight or not, success or error, with Origin: https://evil.example', async () => {
    const { tokens } = await signedIn(f);
    const nativeToken = await signHmac(SECRET, claimsFor());
    const json = { 'content-type': 'application/json' };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const preflight = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' };
    const requests: [string, string, RequestInit][] = [];
    for (const base of [f.base, nativeBase]) {
      for (const path of [
        '/.well-known/oauth-protected-resource',
        '/.well-known/oauth-protected-resource/mcp',
        '/.well-known/oauth-authorization-server',
        '/.well-known/openid-configuration',
        '/.well-known/jwks.json',
      ]) {
        requests.push([base, path, { method: 'GET' }], [base, path, { method: 'OPTIONS', headers: preflight }], [base, path, { method: 'POST' }]);
      }
      requests.push(
        [base, '/mcp', { method: 'POST' }],
        [base, '/mcp', { method: 'OPTIONS', headers: preflight }],
        [base, '/mcp', { method: 'POST', headers: { authorization: `Bearer ${base === f.base ? tokens.access_token : nativeToken}` } }],
        [base, '/mcp', { method: 'POST', headers: { authorization: 'Bearer a.b.c' } }],
      );
    }
    for (const path of ['/oauth/token', '/oauth/register', '/oauth/revoke']) {
      requests.push(
        [f.base, path, { method: 'OPTIONS', headers: preflight }],
        [f.base, path, { method: 'POST', headers: form, body: 'grant_type=password' }],
        [f.base, path, { method: 'POST', headers: json, body: '{not json' }],
        [f.base, path, { method: 'GET' }],
      );
    }
    requests.push(
      [f.base, '/oauth/token', { method: 'POST', headers: form, body: `grant_type=refresh_token&refresh_token=${tokens.refresh_token}&client_id=x` }],
      [
        f.base,
        '/oauth/register',
        { method: 'POST', headers: json, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }) },
      ],
      [f.base, '/oauth/authorize?client_id=native-app&response_type=code', { method: 'GET' }],
      [f.base, '/oauth/consent', { method: 'POST', headers: form, body: 'request_id=x&csrf_token=y&decision=approve' }],
      [f.base, '/oauth/consent', { method: 'OPTIONS', headers: preflight }],
      [f.base, '/oauth/callback?code=x&state=y', { method: 'GET' }],
    );
    const offenders: unknown[] = [];
    const statuses = new Set<number>();
    for (const [base, path, init] of requests) {
      for (const credentials of [false, true]) {
        const res = await fetch(`${base}${path}`, {
          ...init,
          redirect: 'manual',
          headers: { ...(init.headers as Record<string, string>), origin: ORIGIN, ...(credentials ? { cookie: 'session=x' } : {}) },
        });
        statuses.add(res.status);
        const acao = res.headers.get('access-control-allow-origin');
        const acac = res.headers.get('access-control-allow-credentials');
        if (acac !== null || (acao !== null && acao !== '*'))
          offenders.push({ method: init.method, url: `${base === f.base ? 'proxy' : 'native'}${path}`, status: res.status, acao, acac });
        await res.arrayBuffer();
      }
    }
    expect(offenders).toEqual([]);
    // The sweep covered successes, client errors, redirects and preflights.
    expect([...statuses].some((s) => s >= 200 && s < 300) && [...statuses].some((s) => s >= 400)).toBe(true);
  });
});
