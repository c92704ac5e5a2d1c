import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { OAuthMcpConfigError, OAuthMcpModule, type OAuthMcpModuleOptions, oauthMcpOptionsFromEnv } from '../../src/index.js';
import { SECRET, SERVER_URL } from './guard-helpers.js';
import { anyMode } from '../support/any-mode-options.js';

/*
 * security-cases.md group P, P25: the enterprise settings are checked once, at bootstrap, as operators
 * write them (environment variables through oauthMcpOptionsFromEnv): an unsafe machine client, ID-JAG
 * issuer or access rule stops the module from compiling, naming the variable and never echoing a
 * secret or key material.
 */

type Env = Record<string, string>;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CI_SECRET = 'Ci4Hn8Qw2Zt6Lk9Rb3Vx7Md1Gs5Pf0Ja';
const PROXY_ENV: Env = {
  OAUTH_MODE: 'proxy',
  OAUTH_PROVIDER: 'oidc',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'mcp-proxy',
  OIDC_CLIENT_SECRET: 'Cs9Xq2Wm7Nz4Lp8Rt3Ys6Hd1Fg5Jc0Bv',
  JWT_SECRET: SECRET,
  MCP_URL: SERVER_URL,
  OAUTH_SCOPES: 'mcp:read mcp:write mcp:admin',
};
const NATIVE_ENV: Env = {
  OAUTH_PROVIDER: 'oidc',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_JWKS_URI: 'https://idp.example.com/jwks',
  OIDC_AUDIENCE: `${SERVER_URL}/mcp`,
  MCP_URL: SERVER_URL,
};

const jwk = (type: 'rsa' | 'ec', opts: object, extra: object = {}): Record<string, unknown> => ({
  ...(generateKeyPairSync as (t: string, o: object) => { privateKey: KeyObject })(type, opts).privateKey.export({ format: 'jwk' }),
  ...extra,
});
const publicOf = (k: Record<string, unknown>) => Object.fromEntries(Object.entries(k).filter(([m]) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(m)));
const RSA = jwk('rsa', { modulusLength: 2048 }, { kid: 'ci-1', alg: 'RS256' });
const EC = jwk('ec', { namedCurve: 'P-256' }, { kid: 'ci-2', alg: 'ES256' });

async function compile(options: OAuthMcpModuleOptions): Promise<unknown> {
  try {
    const moduleRef = await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot(options)] }).compile();
    await moduleRef.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Refused with OAuthMcpConfigError naming `variable`, and no value of `secrets` in the message. */
async function expectRefused(env: Env, variable: string, secrets: string[] = []): Promise<string> {
  const err = await compile(oauthMcpOptionsFromEnv(env));
  expect(err).toBeInstanceOf(OAuthMcpConfigError);
  const message = (err as OAuthMcpConfigError).message;
  expect({ variable, message }).toEqual({ variable, message: expect.stringContaining(variable) });
  for (const secret of [env.JWT_SECRET, env.OIDC_CLIENT_SECRET, ...secrets]) if (secret) expect(message).not.toContain(secret);
  return message;
}

const clients = (...list: object[]) => JSON.stringify(list);

describe('P25 enterprise settings are checked at bootstrap', () => {
  it('P25 control: machine clients with a secret, inline keys and a jwks_uri, trusted ID-JAG issuers and access rules boot', async () => {
    const env: Env = {
      ...PROXY_ENV,
      OAUTH_STATIC_CLIENTS: clients(
        { client_id: 'ci', client_secret: CI_SECRET, grant_types: ['client_credentials'], scope: 'mcp:read' },
        { client_id: 'ci-jwt', jwks: { keys: [publicOf(RSA), publicOf(EC)] }, grant_types: ['client_credentials'] },
        {
          client_id: 'ci-uri',
          jwks_uri: 'https://ci.example.com/jwks.json',
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['client_credentials', JWT_BEARER],
        },
        { client_id: 'agent', client_secret: CI_SECRET.replace('C', 'D'), token_endpoint_auth_method: 'client_secret_post', grant_types: [JWT_BEARER] },
      ),
      OAUTH_ID_JAG_ISSUERS: JSON.stringify([
        { issuer: 'https://acme.okta.com', jwksUri: 'https://acme.okta.com/oauth2/v1/keys' },
        { issuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0', algorithms: ['RS256'] },
      ]),
      OAUTH_ID_JAG_MAX_LIFETIME_SECONDS: '600',
      OAUTH_POLICY_EMAIL_DOMAINS: 'corp.example,eu.corp.example',
      OAUTH_POLICY_REQUIRED_GROUPS: 'mcp-users',
      OAUTH_POLICY_FORBIDDEN_GROUPS: 'contractors',
      OAUTH_POLICY_GROUP_SCOPES: JSON.stringify({ engineering: ['mcp:read', 'mcp:write'] }),
      OAUTH_POLICY_CLIENT_SCOPES: JSON.stringify({ ci: ['mcp:read'] }),
    };
    expect(await compile(oauthMcpOptionsFromEnv(env))).toBeUndefined();
    expect(await compile(oauthMcpOptionsFromEnv({ ...PROXY_ENV, OAUTH_ID_JAG_ISSUERS: 'https://acme.okta.com,https://other.example.com' }))).toBeUndefined();
  });

  it.each<[string, object, string]>([
    ['a public client with client_credentials', { client_id: 'pub', grant_types: ['client_credentials'] }, 'is a public client: client_credentials'],
    [
      'a public client with the jwt-bearer grant',
      { client_id: 'pub', redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code', JWT_BEARER] },
      'is a public client: urn:ietf:params:oauth:grant-type:jwt-bearer',
    ],
    [
      'private_key_jwt without keys',
      { client_id: 'k', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'] },
      'give exactly one of jwks and jwks_uri',
    ],
    [
      'both jwks and jwks_uri',
      { client_id: 'k', jwks: { keys: [publicOf(RSA)] }, jwks_uri: 'https://ci.example.com/jwks.json', grant_types: ['client_credentials'] },
      'give exactly one of jwks and jwks_uri',
    ],
    [
      'private_key_jwt with a client_secret',
      {
        client_id: 'k',
        client_secret: CI_SECRET,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicOf(RSA)] },
        grant_types: ['client_credentials'],
      },
      'must not have a client_secret',
    ],
    [
      'jwks on a client_secret_basic client',
      { client_id: 'k', client_secret: CI_SECRET, jwks: { keys: [publicOf(RSA)] }, grant_types: ['client_credentials'] },
      'which only private_key_jwt uses',
    ],
    [
      'client_secret_post without a secret',
      { client_id: 'k', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'] },
      'needs a client_secret',
    ],
    [
      'an unknown auth method',
      { client_id: 'k', token_endpoint_auth_method: 'client_secret_jwt', client_secret: CI_SECRET, grant_types: ['client_credentials'] },
      'token_endpoint_auth_method must be one of',
    ],
    ['a private key in jwks', { client_id: 'k', jwks: { keys: [RSA] }, grant_types: ['client_credentials'] }, 'must be a public key'],
    [
      'an RSA key under 2048 bits',
      { client_id: 'k', jwks: { keys: [publicOf(jwk('rsa', { modulusLength: 1024 }, { kid: 'weak' }))] }, grant_types: ['client_credentials'] },
      'at least 2048 bits',
    ],
    [
      'a symmetric key',
      { client_id: 'k', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', kid: 'hs' }] }, grant_types: ['client_credentials'] },
      'must be an RSA or EC key',
    ],
    [
      'a secp256k1 key',
      { client_id: 'k', jwks: { keys: [publicOf(jwk('ec', { namedCurve: 'secp256k1' }, { kid: 'k1' }))] }, grant_types: ['client_credentials'] },
      'P-256, P-384 or P-521',
    ],
    [
      'a key whose alg does not fit it',
      { client_id: 'k', jwks: { keys: [{ ...publicOf(EC), alg: 'RS256' }] }, grant_types: ['client_credentials'] },
      'alg that fits its key type',
    ],
    [
      'a duplicate kid',
      { client_id: 'k', jwks: { keys: [publicOf(RSA), { ...publicOf(EC), kid: 'ci-1' }] }, grant_types: ['client_credentials'] },
      'must not repeat a kid',
    ],
    ['an empty key set', { client_id: 'k', jwks: { keys: [] }, grant_types: ['client_credentials'] }, 'with at least one key'],
    [
      'an http jwks_uri off loopback',
      { client_id: 'k', jwks_uri: 'http://ci.example.com/jwks.json', grant_types: ['client_credentials'] },
      'jwks_uri that must use https',
    ],
    [
      'an http loopback jwks_uri on a server that does not fetch from private networks',
      { client_id: 'k', jwks_uri: 'http://127.0.0.1:9999/jwks.json', grant_types: ['client_credentials'] },
      'jwks_uri that must use https',
    ],
    [
      'a jwks_uri with credentials',
      { client_id: 'k', jwks_uri: 'https://user:pw@ci.example.com/jwks.json', grant_types: ['client_credentials'] },
      'must not contain credentials',
    ],
    [
      'a scope this server does not support',
      { client_id: 'k', client_secret: CI_SECRET, grant_types: ['client_credentials'], scope: 'mcp:read mcp:root' },
      'scope this server does not support',
    ],
    ['an unknown grant', { client_id: 'k', client_secret: CI_SECRET, grant_types: ['password'] }, 'grant_types must list some of'],
    [
      'refresh_token without authorization_code',
      { client_id: 'k', client_secret: CI_SECRET, grant_types: ['client_credentials', 'refresh_token'] },
      'refresh_token without authorization_code',
    ],
    ['authorization_code without redirect_uris', { client_id: 'k', client_secret: CI_SECRET, grant_types: ['authorization_code'] }, 'needs redirect_uris'],
  ])('P25 OAUTH_STATIC_CLIENTS with %s: refused for that reason, never echoing keys or secrets', async (_label, client, reason) => {
    const json = JSON.stringify(client);
    const keyMaterial = [...json.matchAll(/"(?:d|p|q|k|n)":"([^"]{20,})"/g)].map((m) => m[1]);
    // ID-JAG issuers are trusted, so each refusal is the client's own problem.
    const message = await expectRefused(
      { ...PROXY_ENV, OAUTH_ID_JAG_ISSUERS: 'https://idp.corp.example', OAUTH_STATIC_CLIENTS: clients(client) },
      'OAUTH_STATIC_CLIENTS',
      [CI_SECRET, ...keyMaterial],
    );
    expect(message).toContain(reason);
  });

  it('P25 the jwt-bearer grant for a client while no ID-JAG issuer is trusted: refused', async () => {
    const message = await expectRefused(
      { ...PROXY_ENV, OAUTH_STATIC_CLIENTS: clients({ client_id: 'agent', client_secret: CI_SECRET, grant_types: [JWT_BEARER] }) },
      'OAUTH_STATIC_CLIENTS',
      [CI_SECRET],
    );
    expect(message).toContain('OAUTH_ID_JAG_ISSUERS');
  });

  it.each<[string, Env, string]>([
    ['an http issuer off loopback', { OAUTH_ID_JAG_ISSUERS: 'http://idp.corp.example' }, 'issuer that must use https'],
    ['an issuer with a query', { OAUTH_ID_JAG_ISSUERS: 'https://idp.corp.example?tenant=1' }, 'must not contain a query'],
    ['the same issuer twice', { OAUTH_ID_JAG_ISSUERS: 'https://idp.corp.example,https://idp.corp.example' }, 'must not repeat an issuer'],
    ['this server as an issuer', { OAUTH_ID_JAG_ISSUERS: SERVER_URL }, 'names this server'],
    ['alg none', { OAUTH_ID_JAG_ISSUERS: JSON.stringify([{ issuer: 'https://idp.corp.example', algorithms: ['none'] }]) }, 'never none or HS*'],
    ['HS256', { OAUTH_ID_JAG_ISSUERS: JSON.stringify([{ issuer: 'https://idp.corp.example', algorithms: ['HS256'] }]) }, 'never none or HS*'],
    [
      'an http jwksUri off loopback',
      { OAUTH_ID_JAG_ISSUERS: JSON.stringify([{ issuer: 'https://idp.corp.example', jwksUri: 'http://idp.corp.example/keys' }]) },
      'jwksUri that must use https',
    ],
    [
      'an unknown member',
      { OAUTH_ID_JAG_ISSUERS: JSON.stringify([{ issuer: 'https://idp.corp.example', audience: 'x' }]) },
      'may only have issuer, jwksUri and algorithms',
    ],
    ['JSON that does not parse', { OAUTH_ID_JAG_ISSUERS: '[{"issuer":' }, 'or a JSON array'],
    ['an empty list', { OAUTH_ID_JAG_ISSUERS: '[]' }, 'at least one trusted issuer'],
  ])('P25 OAUTH_ID_JAG_ISSUERS with %s: refused for that reason', async (_label, env, reason) => {
    expect(await expectRefused({ ...PROXY_ENV, ...env }, 'OAUTH_ID_JAG_ISSUERS')).toContain(reason);
  });

  it.each<[string, string]>([
    ['over an hour', '7200'],
    ['under 30 s', '5'],
    ['not a number', 'five minutes'],
  ])('P25 OAUTH_ID_JAG_MAX_LIFETIME_SECONDS %s: refused', async (_label, value) => {
    await expectRefused(
      { ...PROXY_ENV, OAUTH_ID_JAG_ISSUERS: 'https://idp.corp.example', OAUTH_ID_JAG_MAX_LIFETIME_SECONDS: value },
      'OAUTH_ID_JAG_MAX_LIFETIME_SECONDS',
    );
  });

  it.each<[string, Env, string]>([
    ['an @ before the domain', { OAUTH_POLICY_EMAIL_DOMAINS: '@corp.example' }, 'OAUTH_POLICY_EMAIL_DOMAINS'],
    ['a wildcard domain', { OAUTH_POLICY_EMAIL_DOMAINS: '*.corp.example' }, 'OAUTH_POLICY_EMAIL_DOMAINS'],
    ['an upper-case domain', { OAUTH_POLICY_EMAIL_DOMAINS: 'Corp.Example' }, 'OAUTH_POLICY_EMAIL_DOMAINS'],
    ['an empty entry', { OAUTH_POLICY_EMAIL_DOMAINS: 'corp.example,' }, 'OAUTH_POLICY_EMAIL_DOMAINS'],
    [
      'a group both required and forbidden',
      { OAUTH_POLICY_REQUIRED_GROUPS: 'mcp-users', OAUTH_POLICY_FORBIDDEN_GROUPS: 'mcp-users' },
      'OAUTH_POLICY_FORBIDDEN_GROUPS',
    ],
    ['a group with a control character', { OAUTH_POLICY_REQUIRED_GROUPS: 'mcp\u0007users' }, 'OAUTH_POLICY_REQUIRED_GROUPS'],
    ['group scopes that are not JSON', { OAUTH_POLICY_GROUP_SCOPES: 'engineering=mcp:read' }, 'OAUTH_POLICY_GROUP_SCOPES'],
    ['group scopes naming an unsupported scope', { OAUTH_POLICY_GROUP_SCOPES: '{"engineering":["mcp:root"]}' }, 'OAUTH_POLICY_GROUP_SCOPES'],
    ['group scopes as a list', { OAUTH_POLICY_GROUP_SCOPES: '["mcp:read"]' }, 'OAUTH_POLICY_GROUP_SCOPES'],
    ['client scopes naming an unsupported scope', { OAUTH_POLICY_CLIENT_SCOPES: '{"ci":["mcp:read","mcp:root"]}' }, 'OAUTH_POLICY_CLIENT_SCOPES'],
  ])('P25 access rules with %s: refused', async (_label, env, variable) => {
    await expectRefused({ ...PROXY_ENV, ...env }, variable);
  });

  it('P25 ID-JAG issuers and access rules in native mode (where this server makes no grant): refused, not silently ignored', async () => {
    await expectRefused({ ...NATIVE_ENV, OAUTH_ID_JAG_ISSUERS: 'https://idp.corp.example' }, 'OAUTH_ID_JAG_ISSUERS');
    await expectRefused({ ...NATIVE_ENV, OAUTH_POLICY_EMAIL_DOMAINS: 'corp.example' }, 'OAUTH_POLICY_EMAIL_DOMAINS');
    const err = await compile(anyMode({ ...oauthMcpOptionsFromEnv(NATIVE_ENV), accessPolicy: () => true }));
    expect((err as OAuthMcpConfigError).message).toContain('accessPolicy is only used in proxy mode');
    const notAFunction = await compile({ ...oauthMcpOptionsFromEnv(PROXY_ENV), accessPolicy: 'allow' as never });
    expect((notAFunction as OAuthMcpConfigError).message).toContain('accessPolicy must be a function');
  });
});
