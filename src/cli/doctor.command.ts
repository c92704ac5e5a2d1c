import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { oauthMcpOptionsFromEnv } from '../config/options-from-env.js';
import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import { parseSigningKeys } from '../config/signing-key-rules.js';
import { staticClientAuthMethod } from '../config/static-client-rules.js';
import { checkServerUrl, parseUrlStrict } from '../config/url-rules.js';
import { configWarnings } from '../config/config-warnings.js';
import { OAuthMcpConfigError } from '../errors/config.errors.js';
import { countUsableKeys } from '../health/idp-keys.js';
import { fetchJsonObject } from '../resource-server/verification/safe-fetch.js';
import { TlsCertificateError } from '../errors/tls.errors.js';
import { certificateProblems } from '../tls/certificate-rules.js';
import { readTlsCertificate, type TlsCertificate } from '../tls/tls-certificate.js';
import { loadEnv, type ResolvedCliContext } from './cli-context.js';

export const DOCTOR_USAGE = `Usage: nestjs-oauth-mcp doctor

Reads the same configuration as the application (the environment, then .env in the current
directory) and checks it, one line per check:
  ✔ fine   ⚠ works, but look at it   ✘ will fail: the exit code is 1 when any line is ✘

Checks: configuration (the startup rules), https, the TLS certificate (HTTPS_CERT_FILE/HTTPS_KEY_FILE:
the key belongs to it, its names cover MCP_URL's host, its expiry), audience vs. the MCP resource, redirect URIs,
issuer discovery (reachable, "issuer" byte-identical), JWKS (reachable, usable keys), clock skew
against the IdP's Date header. Proxy mode: the callback URL (MCP_URL + /oauth/callback), the
signing keys (OAUTH_SIGNING_JWKS), static clients, the upstream IdP's discovery (issuer, endpoints,
PKCE S256), whether its authorization endpoint accepts OIDC_CLIENT_ID with the callback URL (one
GET, no sign-in happens), and its clock; the store (REDIS_URL) is named, not contacted. Progress goes
to stderr.`;

type Mark = '✔' | '⚠' | '✘';

/** Collects check lines (stdout) and progress (stderr); counts problems and warnings. */
class DoctorReport {
  failures = 0;
  warnings = 0;

  constructor(private readonly context: ResolvedCliContext) {}

  ok(check: string, text: string): void {
    this.line('✔', check, text);
  }

  warn(check: string, text: string): void {
    this.warnings++;
    this.line('⚠', check, text);
  }

  fail(check: string, text: string): void {
    this.failures++;
    this.line('✘', check, text);
  }

  progress(text: string): void {
    this.context.stderr.write(`… ${text}\n`);
  }

  private line(mark: Mark, check: string, text: string): void {
    this.context.stdout.write(`${mark} ${check}: ${text}\n`);
  }
}

const q = (value: unknown): string => JSON.stringify(value);
const trimSlash = (url: string): string => url.replace(/\/$/, '');

/** `nestjs-oauth-mcp doctor` */
export async function doctorCommand(args: string[], context: ResolvedCliContext): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  const env = loadEnv(context);
  const report = new DoctorReport(context);

  let config: ResolvedOAuthMcpConfig;
  try {
    config = OAuthMcpConfigService.resolve(oauthMcpOptionsFromEnv(env));
    report.ok('config', `valid (mode ${config.mode}, provider ${config.provider}, MCP endpoint ${config.resource})`);
  } catch (err) {
    if (err instanceof OAuthMcpConfigError) for (const problem of err.problems) report.fail('config', problem);
    else report.fail('config', (err as Error).message);
    context.stdout.write('The application would refuse to start; fix the configuration first (the other checks need it).\n');
    return summary(report, context);
  }

  checkHttps(config, env, report);
  checkCertificate(config, env, report);
  if (config.mode === 'proxy') {
    await checkProxy(config, env, report);
    return summary(report, context);
  }
  checkAudience(config, report);
  checkRedirects(env, report);
  if (config.provider === 'hmac') {
    report.ok('discovery', 'not needed (provider hmac: there is no identity provider)');
    report.ok('jwks', `not needed (provider hmac: tokens are verified with JWT_SECRET${config.hmacSecrets.length > 1 ? ' and JWT_SECRET_PREVIOUS' : ''}, ${config.algorithms.join(', ')})`);
    report.ok('clock', 'not checked (provider hmac: no identity provider to compare with)');
  } else {
    const discovered = await checkDiscovery(config, env, report);
    const jwksUri = config.jwksUri ?? discovered.jwksUri;
    await checkJwks(config, jwksUri, report);
    await checkClock(config, config.discoveryUrl ?? jwksUri, report);
  }
  return summary(report, context);
}

function summary(report: DoctorReport, context: ResolvedCliContext): number {
  context.stdout.write(
    report.failures > 0
      ? `${report.failures} problem(s), ${report.warnings} warning(s): fix every ✘ line.\n`
      : `No problems${report.warnings > 0 ? `, ${report.warnings} warning(s)` : ''}.\n`,
  );
  return report.failures > 0 ? 1 : 0;
}

/** Loopback http is allowed outside production (the startup rules refuse the rest); TLS settings must agree with MCP_URL. */
function checkHttps(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): void {
  const cert = Boolean(env.HTTPS_CERT_FILE);
  const key = Boolean(env.HTTPS_KEY_FILE);
  if (cert !== key) {
    report.fail('https', 'HTTPS_CERT_FILE and HTTPS_KEY_FILE must be set together: with only one, the server speaks plain http');
    return;
  }
  if (cert && config.resourceUrl.protocol === 'http:') {
    report.fail('https', 'HTTPS_CERT_FILE and HTTPS_KEY_FILE are set (the server speaks TLS) but MCP_URL is http://: the metadata would name the wrong resource');
    return;
  }
  const urls: [string, string | undefined][] = [
    ['MCP_URL', config.serverUrl],
    ['OIDC_ISSUER', config.mode === 'proxy' ? config.upstream?.issuer : config.issuers.find((i) => parseUrlStrict(i)?.protocol === 'http:')],
    ['OIDC_JWKS_URI', config.jwksUri],
  ];
  const loopbackHttp = urls.filter(([, url]) => url !== undefined && parseUrlStrict(url)?.protocol === 'http:').map(([name]) => name);
  const warnings = configWarnings(config);
  if (loopbackHttp.length > 0) {
    report.warn(
      'https',
      `${loopbackHttp.join(', ')} use${loopbackHttp.length === 1 ? 's' : ''} http on loopback: fine for local development only; NODE_ENV=production refuses http, and MCP clients on other machines cannot use it`,
    );
  } else if (!warnings.some((w) => w.check === 'https')) {
    report.ok('https', 'MCP_URL and the identity provider URLs use https');
  }
  // O3: the startup warnings, on their own lines.
  for (const warning of warnings) report.warn(warning.check, warning.text);
}

const RENEW_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * The pair the server would serve: ✘ when it cannot start with it (unreadable, key of another certificate;
 * in production also expired or not covering MCP_URL's host, which only warn in development), ⚠ when it
 * expires within 14 days, otherwise its names and expiry.
 */
function checkCertificate(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): void {
  const certFile = env.HTTPS_CERT_FILE;
  const keyFile = env.HTTPS_KEY_FILE;
  if (!certFile || !keyFile) return;
  let pair: TlsCertificate;
  try {
    pair = readTlsCertificate({ certFile, keyFile });
  } catch (err) {
    const problems = err instanceof TlsCertificateError ? err.problems : [(err as Error).message];
    for (const problem of problems) report.fail('certificate', `${problem}: the server would not start`);
    return;
  }
  const names = pair.certificate.subjectAltName ?? 'no subjectAltName';
  const days = Math.floor((pair.validTo.getTime() - Date.now()) / DAY_MS);
  const problems = certificateProblems(pair.certificate, { hostname: config.resourceUrl.hostname });
  if (problems.length > 0) {
    const text = `${certFile}: ${problems.join('; ')}: clients refuse it`;
    if (config.production) report.fail('certificate', `${text}, and NODE_ENV=production does not start with it`);
    else report.warn('certificate', `${text} (a warning in development; NODE_ENV=production does not start with it)`);
    return;
  }
  const summary = `${certFile}: ${names}, valid until ${pair.validTo.toISOString()} (${days} day(s) left)`;
  if (days < RENEW_DAYS) {
    report.warn(
      'certificate',
      `${summary}: renew it now; a server that watches the files (watchTlsCertificate, as the example does) picks the new pair up without a restart`,
    );
  } else {
    report.ok('certificate', `${summary}; the key belongs to it and the names cover ${config.resourceUrl.hostname}`);
  }
}

/** The same URL up to case, default port and trailing slashes, but not byte-identical. */
function nearMiss(candidate: string, resource: string): boolean {
  const url = parseUrlStrict(candidate);
  if (!url || candidate === resource) return false;
  const normal = (u: string) => new URL(u).href.toLowerCase().replace(/\/+$/, '');
  return normal(url.href) === normal(resource);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Audience vs. the RFC 8707 resource MCP clients request (`${MCP_URL}/mcp`).
 * ✘ when tokens for that resource can never match: a near miss of the resource URL (trailing slash,
 *   case, default port), or a URL audience with Google (its tokens carry the OAuth client id).
 * ⚠ when it works only if the IdP is set up for it: another audience for okta/oidc, a non-GUID
 *   audience for Azure (v2 access tokens carry the API's application id), Google (never bound to this server).
 */
function checkAudience(config: ResolvedOAuthMcpConfig, report: DoctorReport): void {
  const { resource, audiences } = config;
  const list = audiences.join(', ');
  if (config.provider === 'hmac') {
    report.ok('audience', `tokens must carry aud ${audiences.map(q).join(' or ')} (hmac: you mint them, e.g. nestjs-oauth-mcp token --aud ${audiences[0]})`);
    return;
  }
  const near = audiences.find((a) => nearMiss(a, resource));
  if (near) {
    report.fail(
      'audience',
      `OIDC_AUDIENCE ${q(near)} is almost the MCP endpoint ${q(resource)} but not byte-identical: tokens issued for the resource MCP clients request carry exactly ${q(resource)}; set OIDC_AUDIENCE=${resource}`,
    );
    return;
  }
  if (config.provider === 'google') {
    if (audiences.some((a) => parseUrlStrict(a) !== undefined)) {
      report.fail('audience', `Google ID tokens carry your OAuth client id (…apps.googleusercontent.com) as aud, never a URL: set OIDC_AUDIENCE to the client id (now: ${list})`);
    } else {
      report.warn('audience', `Google tokens are issued for the OAuth client id ${list}, not for ${resource}: any holder of a Google ID token for that client is accepted (proxy mode, OAUTH_MODE=proxy, binds tokens to this server)`);
    }
    return;
  }
  if (audiences.includes(resource)) {
    report.ok('audience', `OIDC_AUDIENCE contains the MCP endpoint ${resource}, the RFC 8707 resource MCP clients request`);
    return;
  }
  if (config.provider === 'azure') {
    const appId = audiences.find((a) => GUID.test(a));
    if (appId) {
      report.ok('audience', `application id ${appId}: Entra ID v2 access tokens carry the API's application (client) id as aud`);
    } else {
      report.warn('audience', `Entra ID v2 access tokens carry the API's application (client) id (a GUID) as aud, also when the scope is requested through an api:// App ID URI; ${list} matches only v1-style audiences, which this module does not accept (v2 issuer only)`);
    }
    return;
  }
  report.warn(
    'audience',
    `OIDC_AUDIENCE (${list}) is not the MCP endpoint ${resource}: MCP clients request resource=${resource} (RFC 8707); this works only if the IdP puts ${list} in the tokens it issues for that request (e.g. Okta's authorization server audience). Where the IdP lets you choose the audience, use ${resource}`,
  );
}

/**
 * Proxy mode: this server is the authorization server, so the checks are its own settings (callback
 * URL, client redirect allowlist, signing keys, static clients) and the upstream IdP it signs users in
 * with (discovery, PKCE, whether it accepts our client with the callback URL, clock). No JWKS: this
 * server verifies the tokens it signs itself.
 */
async function checkProxy(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): Promise<void> {
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
  const url = `${trimSlash(upstream.issuer)}/.well-known/openid-configuration`;
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
  const loopback = callback?.protocol === 'http:' && LOOPBACK.has(callback.hostname);
  if (!callback || (callback.protocol !== 'https:' && !loopback)) {
    report.fail('callback', `${config.callbackUrl} must use https (loopback http only in development): IdPs refuse other redirect URIs`);
    return;
  }
  report.ok(
    'callback',
    `the IdP sends users back to ${config.callbackUrl}: register exactly this redirect URI for OIDC_CLIENT_ID (a confidential web application)${loopback ? '; loopback http is for development only' : ''}`,
  );
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

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
    report.ok('signing', `OAUTH_SIGNING_JWKS: ${keys.length} usable private key(s) (${list}); ${q(keys[0].kid)} signs, all are published at ${config.serverUrl}/.well-known/jwks.json`);
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
    body = await readText(res, 256 * 1024);
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
      report.fail('upstream-client', `the IdP accepted the redirect URI but answered error=${error}${describeError(next.searchParams.get('error_description'))} for ${who}`);
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
    report.warn('upstream-client', `the IdP answered HTTP ${res.status} with a page mentioning ${q(marker)} for ${who}: open ${config.serverUrl}/mcp in an MCP client to see the page`);
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

/** The response body as text, at most `maxBytes` (the rest is dropped). */
async function readText(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    if (total >= maxBytes) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
}

/** Native mode has no redirect URIs of its own: clients register theirs with the IdP. */
function checkRedirects(env: Record<string, string | undefined>, report: DoctorReport): void {
  if (env.OAUTH_REDIRECT_URIS) {
    report.warn('redirects', 'OAUTH_REDIRECT_URIS is set but only proxy mode uses it; in native mode, MCP clients register their redirect URIs with the IdP');
  } else {
    report.ok('redirects', 'not used in native mode (MCP clients register their redirect URIs with the IdP)');
  }
}

/**
 * Issuer discovery: the module's own (okta, oidc) or, for google and azure, the one MCP clients run
 * on `authorization_servers`. Returns the discovered `jwks_uri` (when the module uses it) and document.
 */
async function checkDiscovery(
  config: ResolvedOAuthMcpConfig,
  env: Record<string, string | undefined>,
  report: DoctorReport,
): Promise<DiscoveryResult> {
  if (env.OIDC_JWKS_URI) {
    report.ok('discovery', 'not needed (OIDC_JWKS_URI is set: nothing else is fetched from the issuer)');
    return {};
  }
  const targets = config.discoveryUrl
    ? [{ issuer: config.issuers[0], url: config.discoveryUrl, forKeys: true }]
    : config.authorizationServers.map((issuer) => ({ issuer, url: `${trimSlash(issuer)}/.well-known/openid-configuration`, forKeys: false }));
  return checkDiscoveryTargets(config, targets, report, true);
}

interface DiscoveryResult {
  /** The discovered `jwks_uri`, when the module takes its keys from discovery. */
  jwksUri?: string;
  /** The first discovery document whose issuer matched. */
  doc?: Record<string, unknown>;
}

interface DiscoveryTarget {
  issuer: string;
  url: string;
  /** The module takes its JWKS URI from this document. */
  forKeys: boolean;
}

async function checkDiscoveryTargets(
  config: ResolvedOAuthMcpConfig,
  targets: DiscoveryTarget[],
  report: DoctorReport,
  clientFacing: boolean,
): Promise<DiscoveryResult> {
  let jwksUri: string | undefined;
  let clientView: Record<string, unknown> | undefined;
  for (const target of targets) {
    report.progress(`checking discovery at ${target.url}`);
    let doc: Record<string, unknown>;
    try {
      doc = await fetchJsonObject(target.url, { timeoutMs: config.fetchTimeoutMs, maxBytes: config.fetchMaxBytes });
    } catch (err) {
      report.fail('discovery', `${target.url}: ${(err as Error).message}; the issuer's OpenID configuration must be reachable`);
      continue;
    }
    if (doc.issuer !== target.issuer) {
      report.fail(
        'discovery',
        `the IdP publishes issuer ${q(doc.issuer)} but OIDC_ISSUER is ${q(target.issuer)}: they must be byte-identical (trailing slash included); set OIDC_ISSUER=${typeof doc.issuer === 'string' ? doc.issuer : '<the published issuer>'}`,
      );
      continue;
    }
    if (target.forKeys) {
      if (typeof doc.jwks_uri !== 'string' || checkServerUrl(doc.jwks_uri, config.production) !== undefined) {
        report.fail('discovery', `${target.url}: the discovery document has no usable https "jwks_uri"`);
        continue;
      }
      jwksUri = doc.jwks_uri;
    }
    report.ok('discovery', `${target.url}: issuer ${q(target.issuer)} matches byte for byte`);
    clientView ??= doc;
  }
  if (clientView && clientFacing) checkClientView(clientView, report);
  return { jwksUri, doc: clientView };
}

/** What MCP clients need from the IdP's metadata in native mode (they talk to the IdP directly). */
function checkClientView(doc: Record<string, unknown>, report: DoctorReport): void {
  const pkce = Array.isArray(doc.code_challenge_methods_supported) && doc.code_challenge_methods_supported.includes('S256');
  if (!pkce) {
    report.warn('clients', 'the IdP metadata does not advertise PKCE S256 (code_challenge_methods_supported): strict MCP clients (claude.ai) refuse to sign in; proxy mode (OAUTH_MODE=proxy) fixes this');
  }
  if (typeof doc.registration_endpoint !== 'string') {
    report.warn('clients', 'the IdP has no registration_endpoint: MCP clients cannot register themselves (dynamic client registration) and need a pre-registered client id; proxy mode (OAUTH_MODE=proxy) fixes this');
  }
  if (pkce && typeof doc.registration_endpoint === 'string') {
    report.ok('clients', 'the IdP advertises PKCE S256 and dynamic client registration');
  }
}

async function checkJwks(config: ResolvedOAuthMcpConfig, jwksUri: string | undefined, report: DoctorReport): Promise<void> {
  if (!jwksUri) {
    report.fail('jwks', 'not checked: the JWKS URI comes from discovery, which failed above');
    return;
  }
  report.progress(`checking JWKS at ${jwksUri}`);
  const algorithms = config.algorithms.join(', ');
  try {
    const doc = await fetchJsonObject(jwksUri, { timeoutMs: config.fetchTimeoutMs, maxBytes: config.fetchMaxBytes });
    const { usable, total } = countUsableKeys(doc, config.algorithms);
    if (usable === 0) {
      report.fail(
        'jwks',
        `${jwksUri} has no key usable for ${algorithms} (${total} key(s) published): the module uses public RSA (≥ 2048 bits) or EC signature keys whose type, curve and alg fit OAUTH_ALGORITHMS`,
      );
    } else {
      report.ok('jwks', `${jwksUri}: ${usable} usable key(s) for ${algorithms}${total > usable ? ` (${total - usable} other key(s) ignored)` : ''}`);
    }
  } catch (err) {
    report.fail('jwks', `${jwksUri}: ${(err as Error).message}; tokens are refused until the keys can be fetched`);
  }
}

/**
 * Compares this host's clock with the IdP's `Date` header (one-second resolution, so the uncertainty
 * is half a second plus half the round trip). ✘ beyond OAUTH_CLOCK_SKEW_SECONDS, ⚠ beyond 2 s.
 */
async function checkClock(config: ResolvedOAuthMcpConfig, url: string | undefined, report: DoctorReport): Promise<void> {
  if (!url) {
    report.warn('clock', 'not checked: no identity provider URL answered');
    return;
  }
  report.progress(`checking the IdP clock (Date header of ${url})`);
  let dateHeader: string | null;
  const sent = Date.now();
  let received: number;
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(config.fetchTimeoutMs) });
    received = Date.now();
    dateHeader = res.headers.get('date');
    await res.body?.cancel().catch(() => undefined);
  } catch {
    report.warn('clock', `not checked: ${url} did not answer`);
    return;
  }
  const idpTime = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  if (Number.isNaN(idpTime)) {
    report.warn('clock', `not checked: ${url} sent no usable Date header`);
    return;
  }
  const skewMs = idpTime + 500 - (sent + received) / 2;
  const certainMs = Math.max(0, Math.abs(skewMs) - (500 + (received - sent) / 2));
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  const direction = skewMs > 0 ? 'behind' : 'ahead of';
  const allowed = config.clockSkewSeconds;
  if (certainMs > allowed * 1000) {
    report.fail(
      'clock',
      `this host's clock is ${direction} the IdP's by about ${seconds} s, more than OAUTH_CLOCK_SKEW_SECONDS (${allowed}): fresh tokens will be refused as not yet valid, or expire early; synchronise the clock (NTP)`,
    );
  } else if (certainMs > 2000) {
    report.warn('clock', `this host's clock is ${direction} the IdP's by about ${seconds} s (tolerated up to ${allowed} s); synchronise the clock (NTP)`);
  } else {
    report.ok('clock', `within about a second of the IdP's clock (Date header; tolerance ${allowed} s)`);
  }
}
