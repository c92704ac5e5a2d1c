import type { IdJagIssuerOptions, OAuthMcpModuleOptions, OAuthMode, OAuthProviderName, StaticClientOptions } from './oauth-mcp-options.interface.js';
import type { AccessRules } from './access-policy.interface.js';

/** A plain env record (`process.env`) or anything with `get(key)`, such as `@nestjs/config`'s ConfigService. */
export type EnvSource = Readonly<Record<string, string | undefined>> | { get(key: string): unknown };

function reader(env: EnvSource): (key: string) => string | undefined {
  const get =
    typeof (env as { get?: unknown }).get === 'function'
      ? (key: string) => (env as { get(key: string): unknown }).get(key)
      : (key: string) => (env as Record<string, string | undefined>)[key];
  return (key) => {
    const value = get(key);
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
}

function list(value: string | undefined, separator: string | RegExp): string[] | undefined {
  return value === undefined ? undefined : value.split(separator).map((v) => v.trim());
}

/** `off`, or `token=50/900,register=20/3600`; anything unparseable is passed on for the schema to refuse. */
function rateLimits(value: string | undefined): OAuthMcpModuleOptions['rateLimits'] {
  if (value === undefined) return undefined;
  if (value === 'off') return false;
  const out: Record<string, { limit: number; windowSeconds: number }> = {};
  for (const part of value.split(',')) {
    const m = /^\s*(\w+)=(\d+)\/(\d+)\s*$/.exec(part);
    out[m?.[1] ?? part] = m ? { limit: Number(m[2]), windowSeconds: Number(m[3]) } : { limit: Number.NaN, windowSeconds: Number.NaN };
  }
  return out as OAuthMcpModuleOptions['rateLimits'];
}

/** `off`, or `limit/windowSeconds[/blockSeconds]`; anything unparseable is passed on for the schema to refuse. */
function failedAuthThrottle(value: string | undefined): OAuthMcpModuleOptions['failedAuthThrottle'] {
  if (value === undefined) return undefined;
  if (value === 'off') return false;
  const m = /^\s*(\d+)\/(\d+)(?:\/(\d+))?\s*$/.exec(value);
  if (!m) return { limit: Number.NaN };
  return { limit: Number(m[1]), windowSeconds: Number(m[2]), ...(m[3] === undefined ? {} : { blockSeconds: Number(m[3]) }) };
}

/** Invalid JSON is passed on as the raw string, for the schema to refuse with the variable's name. */
function json(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * `OAUTH_ID_JAG_ISSUERS`: comma-separated issuer URLs (keys found through each one's discovery), or a
 * JSON array of `{ issuer, jwksUri?, algorithms? }`; anything else is passed on for the schema to refuse.
 */
function idJag(issuers: string | undefined, maxLifetimeSeconds: number | undefined): OAuthMcpModuleOptions['idJag'] {
  if (issuers === undefined && maxLifetimeSeconds === undefined) return undefined;
  const entries = issuers?.trimStart().startsWith('[') ? json(issuers) : list(issuers, ',')?.map((issuer) => ({ issuer }));
  return { issuers: entries as IdJagIssuerOptions[], maxLifetimeSeconds };
}

/** `OAUTH_POLICY_*`: the access rules the environment sets, or undefined when it sets none. */
function accessRules(read: (key: string) => string | undefined): AccessRules | undefined {
  const rules: AccessRules = {
    allowedEmailDomains: list(read('OAUTH_POLICY_EMAIL_DOMAINS'), ','),
    requiredGroups: list(read('OAUTH_POLICY_REQUIRED_GROUPS'), ','),
    forbiddenGroups: list(read('OAUTH_POLICY_FORBIDDEN_GROUPS'), ','),
    groupScopes: json(read('OAUTH_POLICY_GROUP_SCOPES')) as AccessRules['groupScopes'],
    clientScopes: json(read('OAUTH_POLICY_CLIENT_SCOPES')) as AccessRules['clientScopes'],
  };
  const set = Object.entries(rules).filter(([, v]) => v !== undefined);
  return set.length === 0 ? undefined : (Object.fromEntries(set) as AccessRules);
}

/** MCP_URL from the listen address, written the canonical way (`https://localhost:443` is `https://localhost`). */
function defaultServerUrl(https: boolean, host: string, port: string): string {
  const raw = `${https ? 'https' : 'http'}://${host}:${port}`;
  try {
    return new URL(raw).href.replace(/\/$/, '');
  } catch {
    return raw;
  }
}

/** `true`/`false`; anything else is passed on for the schema to refuse with the variable's name. */
function bool(value: string | undefined): boolean | string | undefined {
  return value === 'true' ? true : value === 'false' ? false : value;
}

function int(value: string | undefined): number | undefined {
  return value === undefined ? undefined : /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
}

/**
 * Maps the environment variables (the Go library's names, kept for its users) to module options.
 * Nothing is validated here: `OAuthMcpConfigService` does that at bootstrap, naming each variable.
 * @publicApi
 * @example OAuthMcpModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: oauthMcpOptionsFromEnv })
 */
export function oauthMcpOptionsFromEnv(env: EnvSource): OAuthMcpModuleOptions {
  const read = reader(env);
  const https = Boolean(read('HTTPS_CERT_FILE') && read('HTTPS_KEY_FILE'));
  // The default names the address the example listens on (MCP_HOST, default 127.0.0.1): clients must use
  // exactly this URL, which the metadata advertises as the resource.
  const host = read('MCP_HOST') ?? '127.0.0.1';
  const serverUrl = read('MCP_URL') ?? defaultServerUrl(https, host.includes(':') ? `[${host}]` : host, read('MCP_PORT') ?? '8080');
  const audience = list(read('OIDC_AUDIENCE'), ',');
  return {
    mode: read('OAUTH_MODE') as OAuthMode | undefined,
    provider: read('OAUTH_PROVIDER') as OAuthProviderName,
    issuer: read('OIDC_ISSUER'),
    audience: audience && audience.length === 1 ? audience[0] : audience,
    clientId: read('OIDC_CLIENT_ID'),
    clientSecret: read('OIDC_CLIENT_SECRET'),
    jwksUri: read('OIDC_JWKS_URI'),
    redirectUris: list(read('OAUTH_REDIRECT_URIS'), ','),
    scopes: list(read('OAUTH_SCOPES'), /\s+/)?.filter(Boolean),
    jwtSecret: read('JWT_SECRET'),
    jwtSecretPrevious: read('JWT_SECRET_PREVIOUS'),
    serverUrl,
    production: read('NODE_ENV') === 'production',
    algorithms: list(read('OAUTH_ALGORITHMS'), ','),
    clockSkewSeconds: int(read('OAUTH_CLOCK_SKEW_SECONDS')),
    azureAllowedTenants: list(read('AZURE_ALLOWED_TENANTS'), ','),
    maxTokenBytes: int(read('OAUTH_MAX_TOKEN_BYTES')),
    requireAccessTokenType: bool(read('OAUTH_REQUIRE_AT_JWT')) as boolean | undefined,
    resourceName: read('OAUTH_RESOURCE_NAME'),
    cache: { maxEntries: int(read('OAUTH_CACHE_MAX_ENTRIES')), maxTtlSeconds: int(read('OAUTH_CACHE_TTL_SECONDS')) },
    upstreamScopes: list(read('OAUTH_UPSTREAM_SCOPES'), /\s+/)?.filter(Boolean),
    signingKeys: read('OAUTH_SIGNING_JWKS'),
    signingAlgorithm: read('OAUTH_SIGNING_ALG') as OAuthMcpModuleOptions['signingAlgorithm'],
    accessTokenTtlSeconds: int(read('OAUTH_ACCESS_TOKEN_TTL_SECONDS')),
    refreshTokenTtlSeconds: int(read('OAUTH_REFRESH_TOKEN_TTL_SECONDS')),
    staticClients: json(read('OAUTH_STATIC_CLIENTS')) as StaticClientOptions[] | undefined,
    allowedRedirectSchemes: list(read('OAUTH_ALLOWED_CLIENT_REDIRECT_SCHEMES'), ','),
    clientIdMetadataDocuments: bool(read('OAUTH_CIMD')) as boolean | undefined,
    allowPrivateNetworkFetch: bool(read('OAUTH_ALLOW_PRIVATE_NETWORK_FETCH')) as boolean | undefined,
    consentRememberDays: int(read('OAUTH_CONSENT_REMEMBER_DAYS')),
    connectedAppsScope: read('OAUTH_CONNECTED_APPS_SCOPE'),
    redisUrl: read('REDIS_URL'),
    redisKeyPrefix: read('REDIS_KEY_PREFIX'),
    rateLimits: rateLimits(read('OAUTH_RATE_LIMITS')),
    failedAuthThrottle: failedAuthThrottle(read('OAUTH_FAILED_AUTH_THROTTLE')),
    trustProxyHops: int(read('TRUST_PROXY_HOPS')),
    storeUnavailable: read('OAUTH_STORE_UNAVAILABLE') as OAuthMcpModuleOptions['storeUnavailable'],
    dpopRequired: bool(read('OAUTH_DPOP_REQUIRED')) as boolean | undefined,
    dpopNonce: bool(read('OAUTH_DPOP_NONCE')) as boolean | undefined,
    dpopProofMaxAgeSeconds: int(read('OAUTH_DPOP_PROOF_MAX_AGE_SECONDS')),
    allowedOrigins: list(read('OAUTH_ALLOWED_ORIGINS'), ','),
    maxRegisteredClients: int(read('OAUTH_MAX_CLIENTS')),
    idJag: idJag(read('OAUTH_ID_JAG_ISSUERS'), int(read('OAUTH_ID_JAG_MAX_LIFETIME_SECONDS'))),
    accessRules: accessRules(read),
    // Either mode's shape, decided by OAUTH_MODE (or OIDC_CLIENT_ID) at run time and checked at bootstrap.
  } as OAuthMcpModuleOptions;
}
