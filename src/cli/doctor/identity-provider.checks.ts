import { countUsableKeys } from '../../health/idp-keys.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { checkServerUrl, discoveryUrlOf } from '../../config/url-rules.js';
import { fetchJsonObject } from '../../resource-server/verification/safe-fetch.js';
import { type DoctorReport, q } from './report.js';

/** The identity provider over the network: discovery, keys, clock. */
/**
 * Issuer discovery: the module's own (okta, oidc) or, for google and azure, the one MCP clients run
 * on `authorization_servers`. Returns the discovered `jwks_uri` (when the module uses it) and document.
 */
export async function checkDiscovery(config: ResolvedOAuthMcpConfig, env: Record<string, string | undefined>, report: DoctorReport): Promise<DiscoveryResult> {
  if (env.OIDC_JWKS_URI) {
    report.ok('discovery', 'not needed (OIDC_JWKS_URI is set: nothing else is fetched from the issuer)');
    return {};
  }
  const targets = config.discoveryUrl
    ? [{ issuer: config.issuers[0], url: config.discoveryUrl, forKeys: true }]
    : config.authorizationServers.map((issuer) => ({ issuer, url: discoveryUrlOf(issuer), forKeys: false }));
  return checkDiscoveryTargets(config, targets, report, true);
}

export interface DiscoveryResult {
  /** The discovered `jwks_uri`, when the module takes its keys from discovery. */
  jwksUri?: string;
  /** The first discovery document whose issuer matched. */
  doc?: Record<string, unknown>;
}

export interface DiscoveryTarget {
  issuer: string;
  url: string;
  /** The module takes its JWKS URI from this document. */
  forKeys: boolean;
}

export async function checkDiscoveryTargets(
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
    report.warn(
      'clients',
      'the IdP metadata does not advertise PKCE S256 (code_challenge_methods_supported): strict MCP clients (claude.ai) refuse to sign in; proxy mode (OAUTH_MODE=proxy) fixes this',
    );
  }
  if (typeof doc.registration_endpoint !== 'string') {
    report.warn(
      'clients',
      'the IdP has no registration_endpoint: MCP clients cannot register themselves (dynamic client registration) and need a pre-registered client id; proxy mode (OAUTH_MODE=proxy) fixes this',
    );
  }
  if (pkce && typeof doc.registration_endpoint === 'string') {
    report.ok('clients', 'the IdP advertises PKCE S256 and dynamic client registration');
  }
}

export async function checkJwks(config: ResolvedOAuthMcpConfig, jwksUri: string | undefined, report: DoctorReport): Promise<void> {
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
export async function checkClock(config: ResolvedOAuthMcpConfig, url: string | undefined, report: DoctorReport): Promise<void> {
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
