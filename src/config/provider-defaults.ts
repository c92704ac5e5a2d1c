import type { OAuthProviderName } from './oauth-mcp-options.interface.js';

/** Google signs ID tokens with either issuer form; both are accepted only when none is configured. */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];
export const GOOGLE_JWKS_URI = 'https://www.googleapis.com/oauth2/v3/certs';
export const AZURE_MULTI_TENANTS = ['common', 'organizations', 'consumers'];

const AZURE_V2_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([A-Za-z0-9.-]+)\/v2\.0$/;

export function azureTenantOf(issuer: unknown): string | undefined {
  return typeof issuer === 'string' ? AZURE_V2_ISSUER.exec(issuer)?.[1] : undefined;
}

export function azureIssuer(tenant: string): string {
  return `https://login.microsoftonline.com/${tenant}/v2.0`;
}

export function azureJwksUri(tenant: string): string {
  return `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`;
}

/**
 * Browser origins allowed on the MCP endpoint in development (a loopback MCP_URL, not production) when
 * none are configured: the MCP Inspector's web UI, so its direct mode works against a local server.
 */
export const DEVELOPMENT_ORIGINS: readonly string[] = ['http://localhost:6274', 'http://127.0.0.1:6274'];

export const DEFAULT_ALGORITHMS: Record<OAuthProviderName, string[]> = {
  hmac: ['HS256'],
  okta: ['RS256'],
  google: ['RS256'],
  azure: ['RS256'],
  oidc: ['RS256', 'ES256'],
};

/** Environment variable behind each option, used to name the setting in bootstrap errors. */
export const OPTION_ENV_NAMES: Record<string, string> = {
  mode: 'OAUTH_MODE',
  provider: 'OAUTH_PROVIDER',
  issuer: 'OIDC_ISSUER',
  audience: 'OIDC_AUDIENCE',
  clientId: 'OIDC_CLIENT_ID',
  clientSecret: 'OIDC_CLIENT_SECRET',
  jwksUri: 'OIDC_JWKS_URI',
  redirectUris: 'OAUTH_REDIRECT_URIS',
  scopes: 'OAUTH_SCOPES',
  jwtSecret: 'JWT_SECRET',
  jwtSecretPrevious: 'JWT_SECRET_PREVIOUS',
  serverUrl: 'MCP_URL',
  production: 'NODE_ENV',
  algorithms: 'OAUTH_ALGORITHMS',
  clockSkewSeconds: 'OAUTH_CLOCK_SKEW_SECONDS',
  azureAllowedTenants: 'AZURE_ALLOWED_TENANTS',
  maxTokenBytes: 'OAUTH_MAX_TOKEN_BYTES',
  cacheMaxEntries: 'OAUTH_CACHE_MAX_ENTRIES',
  cacheMaxTtlSeconds: 'OAUTH_CACHE_TTL_SECONDS',
  upstreamScopes: 'OAUTH_UPSTREAM_SCOPES',
  signingKeys: 'OAUTH_SIGNING_JWKS',
  signingAlgorithm: 'OAUTH_SIGNING_ALG',
  accessTokenTtlSeconds: 'OAUTH_ACCESS_TOKEN_TTL_SECONDS',
  refreshTokenTtlSeconds: 'OAUTH_REFRESH_TOKEN_TTL_SECONDS',
  staticClients: 'OAUTH_STATIC_CLIENTS',
  allowedRedirectSchemes: 'OAUTH_ALLOWED_CLIENT_REDIRECT_SCHEMES',
  consentRememberDays: 'OAUTH_CONSENT_REMEMBER_DAYS',
  redisUrl: 'REDIS_URL',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  rateLimits: 'OAUTH_RATE_LIMITS',
  trustProxyHops: 'TRUST_PROXY_HOPS',
  storeUnavailable: 'OAUTH_STORE_UNAVAILABLE',
  dpopRequired: 'OAUTH_DPOP_REQUIRED',
  dpopNonce: 'OAUTH_DPOP_NONCE',
  dpopProofMaxAgeSeconds: 'OAUTH_DPOP_PROOF_MAX_AGE_SECONDS',
  allowedOrigins: 'OAUTH_ALLOWED_ORIGINS',
  maxRegisteredClients: 'OAUTH_MAX_CLIENTS',
  allowPrivateNetworkFetch: 'OAUTH_ALLOW_PRIVATE_NETWORK_FETCH',
  idJagIssuers: 'OAUTH_ID_JAG_ISSUERS',
  idJagMaxLifetimeSeconds: 'OAUTH_ID_JAG_MAX_LIFETIME_SECONDS',
  allowedEmailDomains: 'OAUTH_POLICY_EMAIL_DOMAINS',
  requiredGroups: 'OAUTH_POLICY_REQUIRED_GROUPS',
  forbiddenGroups: 'OAUTH_POLICY_FORBIDDEN_GROUPS',
  groupScopes: 'OAUTH_POLICY_GROUP_SCOPES',
  clientScopes: 'OAUTH_POLICY_CLIENT_SCOPES',
};
