import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { AuditEvent, IdJagIssuerOptions, OAuthMcpProxyOptions, StaticClientOptions } from '../../src/index.js';
import { EnterpriseIdp } from '../support/enterprise-idp.js';
import { startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import type { AdapterName } from '../support/adapters.js';

/*
 * Shared by the group P specs (issue 14): a proxy fixture that trusts a stand-in enterprise IdP for
 * ID-JAGs and knows confidential, public and private_key_jwt clients; assertion builders that change one
 * thing at a time; and the token-endpoint error checks every refusal must pass (RFC 6749 §5.2 body, no
 * caching, nothing stored).
 */

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const AGENT_SECRET = 'Ag7Kq2Wz9Lm4Xr8Tb3Nv6Hd1Pc5Jy0Fs';
export const CI_SECRET = 'Ci4Hn8Qw2Zt6Lk9Rb3Vx7Md1Gs5Pf0Ja';
export const WEB_SECRET = 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb';

/** A private_key_jwt client's key pair (RS256) and its public JWK. */
export interface ClientKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function clientKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<ClientKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
}

export interface EnterpriseFixture {
  f: ProxyFixture;
  idp: EnterpriseIdp;
  /** The key of `agent-jwt` and `ci-jwt` (private_key_jwt clients). */
  key: ClientKey;
  audit: AuditEvent[];
  close(): Promise<void>;
}

/** The clients every group P spec uses; `extra` adds or replaces by client_id. */
export function enterpriseClients(key: ClientKey, extra: StaticClientOptions[] = []): StaticClientOptions[] {
  const base: StaticClientOptions[] = [
    { client_id: 'agent', client_secret: AGENT_SECRET, grant_types: [JWT_BEARER] },
    { client_id: 'agent-jwt', jwks: { keys: [key.publicJwk as Record<string, unknown>] }, grant_types: [JWT_BEARER, 'client_credentials'] },
    { client_id: 'ci', client_secret: CI_SECRET, grant_types: ['client_credentials'], scope: 'mcp:read mcp:write' },
    { client_id: 'ci-jwt', jwks: { keys: [key.publicJwk as Record<string, unknown>] }, grant_types: ['client_credentials'], scope: 'mcp:read' },
    { client_id: 'web-app', client_secret: WEB_SECRET, redirect_uris: ['https://app.example.com/callback'] },
    { client_id: 'native-app', redirect_uris: ['http://127.0.0.1/callback'] },
  ];
  const ids = new Set(extra.map((c) => c.client_id));
  return [...base.filter((c) => !ids.has(c.client_id)), ...extra];
}

export async function startEnterpriseFixture(
  overrides: Partial<OAuthMcpProxyOptions> = {},
  extraClients: StaticClientOptions[] = [],
  moreIssuers: IdJagIssuerOptions[] = [],
  adapter: AdapterName = 'express',
): Promise<EnterpriseFixture> {
  const idp = await new EnterpriseIdp().start();
  const key = await clientKey('client-key-1');
  const audit: AuditEvent[] = [];
  const f = await startProxyFixture(
    {
      idJag: { issuers: [{ issuer: idp.issuer, jwksUri: `${idp.issuer}/jwks` }, ...moreIssuers] },
      staticClients: enterpriseClients(key, extraClients),
      auditSink: { emit: (e) => void audit.push(e) },
      ...overrides,
    },
    undefined,
    adapter,
  );
  return { f, idp, key, audit, close: async () => (await f.close(), await idp.stop()) };
}

/** A valid ID-JAG for `agent` at this server, with one change (`undefined` removes a claim). */
export function idJag(e: EnterpriseFixture, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key?: CryptoKey): Promise<string> {
  return e.idp.mintIdJag(
    {
      sub: 'ent-alice',
      aud: e.f.base,
      client_id: 'agent',
      resource: e.f.resource,
      scope: 'mcp:read mcp:write',
      email: 'alice@corp.example',
      email_verified: true,
      groups: ['engineering'],
      ...claims,
    },
    header,
    key,
  );
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The jwt-bearer grant from `agent` (client_secret_basic). */
export function jwtBearer(
  f: ProxyFixture,
  assertion: string,
  params: Record<string, string> = {},
  client: [string, string] = ['agent', AGENT_SECRET],
): Promise<Response> {
  return tokenRequest(f, { grant_type: JWT_BEARER, assertion, ...params }, { authorization: basic(...client) });
}

/** client_credentials with client_secret_basic. */
export function clientCredentials(f: ProxyFixture, id: string, secret: string, params: Record<string, string> = {}): Promise<Response> {
  return tokenRequest(f, { grant_type: 'client_credentials', ...params }, { authorization: basic(id, secret) });
}

/** An RFC 7523 §2.2 client assertion for `clientId`, valid unless the overrides change it (`undefined` removes a claim). */
export async function clientAssertion(
  f: ProxyFixture,
  clientId: string,
  key: CryptoKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: clientId, sub: clientId, aud: f.base, iat: now, exp: now + 120, jti: randomUUID(), ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header } as never).sign(key);
}

/** A token request authenticated by a client assertion (no client_id unless given, as the SDK sends it). */
export function withAssertion(f: ProxyFixture, assertion: string, params: Record<string, string>): Promise<Response> {
  return tokenRequest(f, { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...params });
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

export async function read(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the assertions say so
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const storeKeys = (f: ProxyFixture) => [...f.store.keys()].sort();

/** Sends a token request and checks the exact OAuth error, its hygiene, and that the store did not change. */
export async function expectRefused(f: ProxyFixture, send: () => Promise<Response>, status: number | number[], error: string): Promise<Reply> {
  const before = storeKeys(f);
  const res = await read(await send());
  const statuses = Array.isArray(status) ? status : [status];
  expect({ status: res.status, error: res.json.error, body: res.text.slice(0, 300) }).toEqual({
    status: statuses.includes(res.status) ? res.status : status,
    error,
    body: res.text.slice(0, 300), // shown in the diff, never compared
  });
  expect(Object.keys(res.json).sort()).toEqual(['error', 'error_description']);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(storeKeys(f)).toEqual(before);
  return res;
}

/** A 200 token response, read. */
export async function expectToken(
  res: Response,
): Promise<{ access_token: string; token_type: string; expires_in: number; scope?: string; refresh_token?: string }> {
  const reply = await read(res);
  expect({ status: reply.status, body: reply.text.slice(0, 300) }).toEqual({ status: 200, body: reply.text.slice(0, 300) });
  return reply.json as never;
}

export const mcpStatus = (f: ProxyFixture, token: string) =>
  fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
