import { createHash, randomBytes } from 'node:crypto';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { parseSigningKeys } from '../../config/signing-key-rules.js';
import { staticClientAuthMethod } from '../../config/static-client-rules.js';
import { checkServerUrl, discoveryUrlOf, isLoopbackHostname, parseUrlStrict } from '../../config/url-rules.js';
import { readPrefix } from '../../resource-server/verification/safe-fetch.js';
import { checkClock, checkDiscoveryTargets } from './identity-provider.checks.js';
import { type DoctorReport, q } from './report.js';

/** Proxy mode: this server's own authorization-server settings, and the upstream IdP it signs users in with. */
/**
 * Proxy mode: this server is the authorization server, so the checks are its own settings (callback
 * URL, client redirect allowlist, signing keys, static clients) and the upstream IdP it signs users in
 * with (discovery, PKCE, whether it accepts our client with the callback URL, clock). No JWKS: this
 * server verifies the tokens it signs itself.
 */
export async function checkProxy(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): Promise<void> {
  checkCallback(config, report);
  checkProxyRedirects(config, report);
  report.ok('audience', `proxy mode: this server issues its own tokens for ${config.resource} (OIDC_AUDIENCE is not used)`);
  checkStore(config, report);
  checkSigningKeys(config, env, report);
  checkStaticClients(config, report);
  const upstream = config.upstream;
  if (!upstream) {
    report.fail('discovery', 'proxy mode without an upstream identity provider');
    return;
  }
  const url = discoveryUrlOf(upstream.issuer);
  const { doc } = await checkDiscoveryTargets(config, [{ issuer: upstream.issuer, url, forKeys: false }], report, false);
  if (doc) {
    const authorizationEndpoint = checkUpstreamMetadata(config, doc, report);
    if (authorizationEndpoint) await checkUpstreamClient(config, upstream, authorizationEndpoint, report);
  } else {
    report.fail('upstream', 'not checked: the upstream OpenID configuration is needed (see discovery above)');
  }
  report.ok('jwks', 'not needed (proxy mode: this server verifies the tokens it signs itself)');
  await checkClock(config, url, report);
}

/**
 * The upstream IdP sends the browser back to `${MCP_URL}/oauth/callback`: it must be https (or loopback
 * http in development), and MCP_URL must be an origin (a path would move every endpoint and the issuer).
 */
function checkCallback(config: ResolvedOAuthMcpConfig, report: DoctorReport): void {
  const server = parseUrlStrict(config.serverUrl);
  if (!server || (server.pathname !== '/' && server.pathname !== '')) {
    report.fail('callback', `MCP_URL ${q(config.serverUrl)} must be an origin without a path in proxy mode (the issuer and every endpoint hang off it)`);
    return;
  }
  const callback = parseUrlStrict(config.callbackUrl);
  const loopback = callback?.protocol === 'http:' && isLoopbackHostname(callback.hostname);
  if (!callback || (callback.protocol !== 'https:' && !loopback)) {
    report.fail('callback', `${config.callbackUrl} must use https (loopback http only in development): IdPs refuse other redirect URIs`);
    return;
  }
  report.ok(
    'callback',
    `the IdP sends users back to ${config.callbackUrl}: register exactly this redirect URI for OIDC_CLIENT_ID (a confidential web application)${loopback ? '; loopback http is for development only' : ''}`,
  );
}

/** OAUTH_REDIRECT_URIS restricts the MCP clients' redirect URIs; the upstream callback does not belong there. */
function checkProxyRedirects(config: ResolvedOAuthMcpConfig, report: DoctorReport): void {
  const uris = config.redirectUris;
  if (uris.includes(config.callbackUrl)) {
    report.warn(
      'redirects',
      `OAUTH_REDIRECT_URIS contains ${config.callbackUrl}, which is where the upstream IdP returns to this server, not an MCP client's redirect URI; list the clients' redirect URIs (e.g. http://localhost:6274/oauth/callback for the MCP Inspector)`,
    );
  } else if (uris.length > 0) {
    report.ok('redirects', `MCP clients may only use ${uris.length} redirect URI(s) (OAUTH_REDIRECT_URIS; exact match, loopback port may vary)`);
  } else {
    report.ok('redirects', 'MCP clients may register any https or loopback redirect URI (set OAUTH_REDIRECT_URIS to restrict them)');
  }
}

/**
 * Where proxy mode keeps clients, grants, codes and keys: Redis (REDIS_URL, shown without credentials) or
 * the in-memory store, which production should not rely on. (A `store` passed in code is not visible here.)
 */
function checkStore(config: ResolvedOAuthMcpConfig, report: DoctorReport): void {
  if (config.redisUrl) {
    const url = parseUrlStrict(config.redisUrl);
    const where = url ? `${url.protocol}//${url.host}` : 'REDIS_URL';
    report.ok('store', `Redis at ${where} (REDIS_URL): state is shared by replicas and survives restarts`);
    return;
  }
  const text =
    'in memory (REDIS_URL not set): clients, grants and keys are lost on restart and not shared between replicas, unless the application passes its own store';
  if (config.production) report.warn('store', `${text}; set REDIS_URL for production`);
  else report.ok('store', text);
}

/** `OAUTH_SIGNING_JWKS`, parsed with the startup rules; without it a key is generated and kept in the store. */
function checkSigningKeys(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): void {
  const raw = env.OAUTH_SIGNING_JWKS;
  if (!raw) {
    report.ok(
      'signing',
      `OAUTH_SIGNING_JWKS not set: one ${config.signingAlgorithm} key is generated and kept (sealed with JWT_SECRET) in the store${config.redisUrl ? '' : '; with the in-memory store it changes at every restart and differs between replicas, which invalidates issued tokens'}`,
    );
    return;
  }
  try {
    const keys = parseSigningKeys(raw);
    const list = keys.map((k) => `${q(k.kid)} ${k.alg}`).join(', ');
    report.ok(
      'signing',
      `OAUTH_SIGNING_JWKS: ${keys.length} usable private key(s) (${list}); ${q(keys[0].kid)} signs, all are published at ${config.serverUrl}/.well-known/jwks.json`,
    );
  } catch (err) {
    report.fail('signing', `OAUTH_SIGNING_JWKS ${(err as Error).message}`);
  }
}

/** Static clients were validated with the startup rules (redirect URIs, secrets); this line says what clients can use. */
function checkStaticClients(config: ResolvedOAuthMcpConfig, report: DoctorReport): void {
  const statics = config.staticClients;
  const registration = `dynamic registration at ${config.serverUrl}/oauth/register${config.clientIdMetadataDocuments ? ', Client ID Metadata Documents' : ''}`;
  if (statics.length === 0) {
    report.ok('clients', `MCP clients use ${registration}; no static clients (OAUTH_STATIC_CLIENTS)`);
    return;
  }
  const describe = (c: (typeof statics)[number]) => {
    const method = staticClientAuthMethod(c);
    const kind = method === 'none' ? 'public' : method === 'private_key_jwt' ? 'confidential, private_key_jwt' : 'confidential';
    const grants = c.grant_types ? `, grants ${c.grant_types.join(' ')}` : '';
    return `${q(c.client_id)} (${kind}${grants}, ${c.redirect_uris?.length ?? 0} redirect URI(s))`;
  };
  report.ok('clients', `${statics.length} valid static client(s): ${statics.map(describe).join(', ')}; other MCP clients use ${registration}`);
}

/**
 * What this server needs from the upstream's OpenID configuration: authorization and token endpoints
 * (https, or loopback http outside production), and PKCE S256, which this server always sends.
 * Returns the authorization endpoint when it is usable.
 */
function checkUpstreamMetadata(config: ResolvedOAuthMcpConfig, doc: Record<string, unknown>, report: DoctorReport): string | undefined {
  const endpoint = (name: string): string | undefined => {
    const value = doc[name];
    return typeof value === 'string' && checkServerUrl(value, config.production) === undefined ? value : undefined;
  };
  const authorization = endpoint('authorization_endpoint');
  const token = endpoint('token_endpoint');
  if (!authorization || !token) {
    const missing = [!authorization && '"authorization_endpoint"', !token && '"token_endpoint"'].filter(Boolean).join(' and ');
    report.fail('upstream', `the upstream OpenID configuration has no usable https ${missing}: users cannot sign in`);
    return undefined;
  }
  const methods = doc.code_challenge_methods_supported;
  if (Array.isArray(methods) && methods.includes('S256')) {
    report.ok('upstream', 'authorization and token endpoints published; PKCE S256 advertised (this server always uses it upstream)');
  } else {
    report.warn(
      'upstream',
      `the upstream metadata does not advertise PKCE S256 (code_challenge_methods_supported${Array.isArray(methods) ? `: ${methods.join(', ') || 'empty'}` : ' missing'}): this server always sends S256 to it; fine if the IdP supports PKCE without saying so (Entra ID), otherwise the code exchange fails`,
    );
  }
  return authorization;
}

/** Error markers of IdP error pages answered with 200 (Entra) or a 4xx HTML page (Google, Okta, Keycloak). */
const IDP_ERROR_MARKERS = [
  'redirect_uri_mismatch',
  'invalid_redirect_uri',
  'AADSTS50011',
  'must be a Login redirect URI',
  'AADSTS700016',
  'AADSTS900971',
  'invalid_client',
  'unauthorized_client',
  'invalid_scope',
];

/**
 * Asks the upstream authorization endpoint for a sign-in with OIDC_CLIENT_ID and the callback URL, the
 * way this server will (PKCE S256, state, nonce), without following the answer: a redirect to a login
 * page means the client and redirect URI are accepted; an error (status, JSON `error`, a redirect back
 * with `error`, a known error code on the page) names the mismatch before a user meets it.
 */
async function checkUpstreamClient(
  config: ResolvedOAuthMcpConfig,
  upstream: NonNullable<ResolvedOAuthMcpConfig['upstream']>,
  authorizationEndpoint: string,
  report: DoctorReport,
): Promise<void> {
  const url = new URL(authorizationEndpoint);
  const random = () => randomBytes(16).toString('base64url');
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', upstream.clientId);
  url.searchParams.set('redirect_uri', config.callbackUrl);
  url.searchParams.set('scope', (upstream.scopes ?? ['openid']).join(' '));
  url.searchParams.set('state', random());
  url.searchParams.set('nonce', random());
  url.searchParams.set('code_challenge', createHash('sha256').update(random()).digest('base64url'));
  url.searchParams.set('code_challenge_method', 'S256');
  const who = `OIDC_CLIENT_ID ${q(upstream.clientId)} with redirect URI ${config.callbackUrl}`;
  report.progress(`asking ${url.origin}${url.pathname} whether it accepts ${who}`);
  let res: Response;
  let body = '';
  try {
    res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(config.fetchTimeoutMs) });
    body = await readPrefix(res, 256 * 1024);
  } catch {
    report.warn('upstream-client', `not checked: ${url.origin}${url.pathname} did not answer`);
    return;
  }
  const location = res.headers.get('location');
  if (res.status >= 300 && res.status < 400 && location) {
    const next = new URL(location, url);
    const back = next.origin === new URL(config.callbackUrl).origin && next.pathname === new URL(config.callbackUrl).pathname;
    const error = back ? next.searchParams.get('error') : null;
    if (error) {
      report.fail(
        'upstream-client',
        `the IdP accepted the redirect URI but answered error=${error}${describeError(next.searchParams.get('error_description'))} for ${who}`,
      );
    } else {
      report.ok('upstream-client', `the IdP accepts ${who} (it answered with its sign-in page)`);
    }
    return;
  }
  const marker = IDP_ERROR_MARKERS.find((m) => body.toLowerCase().includes(m.toLowerCase()));
  if (res.status >= 400) {
    const error = jsonError(body) ?? marker;
    report.fail(
      'upstream-client',
      `the IdP refused ${who}: HTTP ${res.status}${error ? ` (${error})` : ''}; register the redirect URI exactly (scheme, host, port, path) for this client at the IdP, and check OIDC_CLIENT_ID`,
    );
    return;
  }
  if (marker) {
    report.warn(
      'upstream-client',
      `the IdP answered HTTP ${res.status} with a page mentioning ${q(marker)} for ${who}: open ${config.serverUrl}/mcp in an MCP client to see the page`,
    );
    return;
  }
  report.ok('upstream-client', `the IdP answered HTTP ${res.status} with a page and no known error for ${who}`);
}

/** A short, printable `error_description` (the IdP's own words, bounded). */
function describeError(description: string | null): string {
  if (!description) return '';
  const clean = description.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200);
  return ` (${clean})`;
}

function jsonError(body: string): string | undefined {
  try {
    const doc = JSON.parse(body) as { error?: unknown };
    return typeof doc.error === 'string' ? doc.error.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}
