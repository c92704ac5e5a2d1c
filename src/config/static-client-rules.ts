import type { StaticClientGrantType, StaticClientOptions } from './oauth-mcp-options.interface.js';
import { clientJwksProblem } from './client-jwks-rules.js';
import { clientNameProblem } from './client-name-rules.js';
import { redirectAllowlistProblem, redirectUriProblem } from './redirect-uri.policy.js';
import { SCOPE_TOKEN } from './scope-rules.js';
import { checkSecret, SECRET_PROBLEM_TEXT } from './secret-rules.js';
import { isLoopbackHostname, parseUrlStrict } from './url-rules.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GRANT_TYPES: readonly StaticClientGrantType[] = ['authorization_code', 'refresh_token', 'client_credentials', JWT_BEARER_GRANT];
const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
/** Grants a client must authenticate for (RFC 6749 §4.4.2; draft-ietf-oauth-identity-assertion-authz-grant §9.1). */
const CONFIDENTIAL_ONLY: readonly string[] = ['client_credentials', JWT_BEARER_GRANT];

/** The options the static-client rules read besides the clients themselves. */
export interface StaticClientRulesContext {
  redirectUris?: unknown;
  allowedRedirectSchemes?: string[];
  scopes?: unknown;
  serverUrl?: unknown;
  allowPrivateNetworkFetch?: unknown;
  /** Any `idJag` value: the jwt-bearer grant is only offered with trusted ID-JAG issuers. */
  idJag?: unknown;
}

/** `token_endpoint_auth_method` as configured, or what the credentials imply. */
export function staticClientAuthMethod(c: StaticClientOptions): (typeof AUTH_METHODS)[number] {
  if (c.token_endpoint_auth_method) return c.token_endpoint_auth_method;
  if (c.client_secret !== undefined) return 'client_secret_basic';
  return c.jwks !== undefined || c.jwks_uri !== undefined ? 'private_key_jwt' : 'none';
}

export function staticClientGrantTypes(c: StaticClientOptions): StaticClientGrantType[] {
  return c.grant_types ?? ['authorization_code', 'refresh_token'];
}

/**
 * Where a `jwks_uri` may point: the same reach as the fetch that reads it (the SSRF guard): https, or
 * http only where private-network fetches are allowed (`OAUTH_ALLOW_PRIVATE_NETWORK_FETCH`, on by default
 * for a loopback `MCP_URL`); never credentials, a fragment or a query.
 */
function jwksUriProblem(raw: unknown, o: StaticClientRulesContext): string | undefined {
  const url = parseUrlStrict(raw);
  if (!url || url.href !== raw) return 'must be an absolute URL, written canonically';
  if (url.username || url.password || url.hash || url.search) return 'must not contain credentials, a query or a fragment';
  const server = parseUrlStrict(o.serverUrl);
  const allowPrivate = o.allowPrivateNetworkFetch ?? (server !== undefined && isLoopbackHostname(server.hostname));
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowPrivate === true)) return undefined;
  return 'must use https (http only with OAUTH_ALLOW_PRIVATE_NETWORK_FETCH)';
}

function grantTypesProblem(c: StaticClientOptions, o: StaticClientRulesContext): string | undefined {
  if (c.grant_types === undefined) return undefined;
  const list = c.grant_types as unknown;
  if (!Array.isArray(list) || list.length === 0 || !list.every((g) => GRANT_TYPES.includes(g)))
    return `grant_types must list some of ${GRANT_TYPES.join(', ')}`;
  if (new Set(list).size !== list.length) return 'grant_types must not repeat a grant';
  if (list.includes('refresh_token') && !list.includes('authorization_code')) return 'grant_types lists refresh_token without authorization_code';
  if (list.includes(JWT_BEARER_GRANT) && o.idJag === undefined)
    return 'grant_types lists the jwt-bearer grant, but no ID-JAG issuer is trusted (OAUTH_ID_JAG_ISSUERS)';
  return undefined;
}

function credentialsProblem(c: StaticClientOptions, o: StaticClientRulesContext): string | undefined {
  const method = c.token_endpoint_auth_method;
  if (method !== undefined && !AUTH_METHODS.includes(method)) return `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`;
  const resolved = staticClientAuthMethod(c);
  const hasKeys = c.jwks !== undefined || c.jwks_uri !== undefined;
  if (resolved === 'private_key_jwt') {
    if (c.client_secret !== undefined) return 'uses private_key_jwt, so it must not have a client_secret';
    if ((c.jwks === undefined) === (c.jwks_uri === undefined)) return 'uses private_key_jwt: give exactly one of jwks and jwks_uri';
    if (c.jwks !== undefined) {
      const problem = clientJwksProblem(c.jwks);
      if (problem) return `has jwks that ${problem}`;
    }
    if (c.jwks_uri !== undefined) {
      const problem = jwksUriProblem(c.jwks_uri, o);
      if (problem) return `has a jwks_uri that ${problem}`;
    }
    return undefined;
  }
  if (hasKeys) return `has jwks or jwks_uri, which only private_key_jwt uses (token_endpoint_auth_method is ${resolved})`;
  if (resolved === 'none') {
    if (c.client_secret !== undefined) return 'is public (token_endpoint_auth_method none), so it must not have a client_secret';
    const confidentialGrant = staticClientGrantTypes(c).find((g) => CONFIDENTIAL_ONLY.includes(g));
    if (confidentialGrant) return `is a public client: ${confidentialGrant} is for confidential clients only (give it a client_secret or keys)`;
    return undefined;
  }
  if (c.client_secret === undefined) return `uses ${resolved}, so it needs a client_secret`;
  const weak = checkSecret(c.client_secret);
  return weak ? `has a client_secret that ${SECRET_PROBLEM_TEXT[weak]}` : undefined;
}

function redirectUrisProblem(c: StaticClientOptions, o: StaticClientRulesContext): string | undefined {
  const usesCode = staticClientGrantTypes(c).includes('authorization_code');
  if (c.redirect_uris === undefined) return usesCode ? 'needs redirect_uris (it uses the authorization code grant)' : undefined;
  if (!Array.isArray(c.redirect_uris) || (usesCode && c.redirect_uris.length === 0)) return 'needs redirect_uris';
  // O2: the allowlist limits pre-registered clients too (an invalid allowlist is reported on its own).
  const allowlist =
    Array.isArray(o.redirectUris) && redirectAllowlistProblem(o.redirectUris, o.allowedRedirectSchemes) === undefined ? (o.redirectUris as string[]) : [];
  const rules = { allowedSchemes: o.allowedRedirectSchemes ?? [], allowlist };
  const bad = c.redirect_uris.map((u) => redirectUriProblem(u, rules)).find(Boolean);
  return bad ? `has a redirect URI that ${bad}` : undefined;
}

function scopeProblem(c: StaticClientOptions, o: StaticClientRulesContext): string | undefined {
  if (c.scope === undefined) return undefined;
  const scopes = typeof c.scope === 'string' ? c.scope.split(' ') : [];
  if (scopes.length === 0 || !scopes.every((s) => SCOPE_TOKEN.test(s))) return 'has a scope that must be space-separated scope tokens';
  const supported = Array.isArray(o.scopes) ? o.scopes : [];
  return scopes.every((s) => supported.includes(s)) ? undefined : 'has a scope this server does not support (not in OAUTH_SCOPES)';
}

function nameProblem(c: StaticClientOptions): string | undefined {
  if (c.client_name === undefined) return undefined;
  if (typeof c.client_name !== 'string' || c.client_name.length > 200) return 'has a client_name that must be a string of at most 200 characters';
  const problem = clientNameProblem(c.client_name);
  return problem ? `has a client_name that ${problem}` : undefined;
}

/**
 * Pre-registered clients (`OAUTH_STATIC_CLIENTS`), checked at bootstrap: each rule names the client,
 * never a secret or key. Machine grants are for confidential clients only; `private_key_jwt` clients have
 * exactly one key source and no secret; every listed scope is one this server supports.
 */
export function staticClientsProblem(value: unknown, o: StaticClientRulesContext): string | undefined {
  if (!Array.isArray(value)) return 'must be a JSON array of clients';
  const ids = new Set<string>();
  for (const c of value as StaticClientOptions[]) {
    if (typeof c !== 'object' || c === null || typeof c.client_id !== 'string' || !/^[\x21-\x7E]{1,255}$/.test(c.client_id)) {
      return 'must give every client a client_id of printable ASCII';
    }
    if (ids.has(c.client_id)) return 'must not repeat a client_id';
    ids.add(c.client_id);
    const problem = grantTypesProblem(c, o) ?? credentialsProblem(c, o) ?? redirectUrisProblem(c, o) ?? scopeProblem(c, o) ?? nameProblem(c);
    if (problem) return `client ${c.client_id} ${problem}`;
  }
  return undefined;
}
