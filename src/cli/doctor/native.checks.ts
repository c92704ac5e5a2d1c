import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { parseUrlStrict } from '../../config/url-rules.js';
import { type DoctorReport, q } from './report.js';

/** Native mode: the audience MCP clients will get tokens for, and redirect URIs (the IdP's business). */
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
export function checkAudience(config: ResolvedOAuthMcpConfig, report: DoctorReport): void {
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
      report.fail(
        'audience',
        `Google ID tokens carry your OAuth client id (…apps.googleusercontent.com) as aud, never a URL: set OIDC_AUDIENCE to the client id (now: ${list})`,
      );
    } else {
      report.warn(
        'audience',
        `Google tokens are issued for the OAuth client id ${list}, not for ${resource}: any holder of a Google ID token for that client is accepted (proxy mode, OAUTH_MODE=proxy, binds tokens to this server)`,
      );
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
      report.warn(
        'audience',
        `Entra ID v2 access tokens carry the API's application (client) id (a GUID) as aud, also when the scope is requested through an api:// App ID URI; ${list} matches only v1-style audiences, which this module does not accept (v2 issuer only)`,
      );
    }
    return;
  }
  report.warn(
    'audience',
    `OIDC_AUDIENCE (${list}) is not the MCP endpoint ${resource}: MCP clients request resource=${resource} (RFC 8707); this works only if the IdP puts ${list} in the tokens it issues for that request (e.g. Okta's authorization server audience). Where the IdP lets you choose the audience, use ${resource}`,
  );
}

/** Native mode has no redirect URIs of its own: clients register theirs with the IdP. */
export function checkRedirects(env: Record<string, string | undefined>, report: DoctorReport): void {
  if (env.OAUTH_REDIRECT_URIS) {
    report.warn('redirects', 'OAUTH_REDIRECT_URIS is set but only proxy mode uses it; in native mode, MCP clients register their redirect URIs with the IdP');
  } else {
    report.ok('redirects', 'not used in native mode (MCP clients register their redirect URIs with the IdP)');
  }
}
