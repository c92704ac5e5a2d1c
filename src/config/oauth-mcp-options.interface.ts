import type { LoggerService } from '@nestjs/common';
import type { OAuthMcpStore } from '../store/oauth-mcp-store.interface.js';
import type { AuditSink } from '../audit/audit-event.interface.js';
import type { AccessPolicyHook, AccessRules } from './access-policy.interface.js';

/** The upstream identity provider whose tokens are accepted. @publicApi */
export type OAuthProviderName = 'hmac' | 'okta' | 'google' | 'azure' | 'oidc';

/** `native`: resource server only. `proxy`: this server is also the authorization server. @publicApi */
export type OAuthMode = 'native' | 'proxy';

export const OAUTH_PROVIDERS: readonly OAuthProviderName[] = ['hmac', 'okta', 'google', 'azure', 'oidc'];
export const OAUTH_MODES: readonly OAuthMode[] = ['native', 'proxy'];

/**
 * Options both modes read. @publicApi
 */
export interface OAuthMcpCommonOptions {
  /** Which provider issues the tokens. Env: `OAUTH_PROVIDER`. */
  provider: OAuthProviderName;
  /**
   * Issuer, compared byte for byte with the token's `iss`. Required for every provider but `hmac`
   * (Google defaults to `https://accounts.google.com`). Env: `OIDC_ISSUER`.
   */
  issuer?: string;
  /** Audience(s) the token's `aud` must contain. Required. Env: `OIDC_AUDIENCE`. */
  audience?: string | string[];
  /**
   * JWKS URI override. When set, nothing else is fetched from the issuer (no discovery), so the server
   * starts and validates offline. Env: `OIDC_JWKS_URI`.
   */
  jwksUri?: string;
  /** Scopes this server supports, published in the protected resource metadata. Env: `OAUTH_SCOPES`. */
  scopes?: string[];
  /** HMAC shared secret: at least 32 bytes and an estimated 128 bits of entropy. Env: `JWT_SECRET`. */
  jwtSecret?: string;
  /** The previous HMAC secret, still accepted during a rotation. Env: `JWT_SECRET_PREVIOUS`. */
  jwtSecretPrevious?: string;
  /**
   * Public base URL of this server, written canonically (what the WHATWG URL parser prints); the MCP
   * endpoint is `${serverUrl}${mcpPath}`. Env: `MCP_URL`.
   */
  serverUrl: string;
  /**
   * Path of the MCP endpoint.
   * @default '/mcp'
   */
  mcpPath?: string;
  /**
   * Production rules: `http://` is refused even on loopback. Env: `NODE_ENV=production`.
   * @default false
   */
  production?: boolean;
  /**
   * Accepted JWS algorithms. Never `none`; never HS* mixed with RS* or ES*.
   * @default ['HS256'] for hmac, ['RS256', 'ES256'] otherwise
   */
  algorithms?: string[];
  /**
   * Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (0–60). Env: `OAUTH_CLOCK_SKEW_SECONDS`.
   * @default 30
   */
  clockSkewSeconds?: number;
  /**
   * Azure multi-tenant (`common`/`organizations` issuer): the tenant ids whose tokens are accepted.
   * Env: `AZURE_ALLOWED_TENANTS` (comma-separated).
   */
  azureAllowedTenants?: string[];
  /**
   * Require the RFC 9068 `typ: at+jwt` header (set it when the IdP issues RFC 9068 access tokens).
   * @default false
   */
  requireAccessTokenType?: boolean;
  /**
   * Scope hierarchy: a broader scope implies narrower ones, e.g. `{ 'mcp:admin': ['mcp:read'] }`.
   * @default {}
   */
  impliedScopes?: Record<string, string[]>;
  /** Validated-token cache. */
  cache?: {
    /** @default 10000 */
    maxEntries?: number;
    /** Upper bound of an entry's life in seconds (never past the token's `exp`). @default 300 */
    maxTtlSeconds?: number;
  };
  /** JWKS and discovery fetching. */
  jwks?: {
    /** Minimum time between two refetches triggered by unknown `kid`s, ms. @default 30000 */
    cooldownMs?: number;
    /** Keys are refetched after this age even when known, ms (a removed key stops verifying by then). @default 300000 */
    maxAgeMs?: number;
    /** Abort a fetch after this long, ms. @default 5000 */
    timeoutMs?: number;
    /** Refuse responses larger than this, bytes. @default 1048576 */
    maxBytes?: number;
  };
  /**
   * Largest bearer token accepted, bytes; larger ones get 401 before any decoding or hashing.
   * @default 8192
   */
  maxTokenBytes?: number;
  /** Human-readable name published as `resource_name` in the protected resource metadata. */
  resourceName?: string;
  /** Logger used by the module; defaults to Nest's `Logger`. */
  logger?: LoggerService;
  /**
   * Passport strategies of the application, by name, tried after the module's own (in this order),
   * e.g. a JWT strategy with its own claims mapping or an opaque-token introspection strategy. Each
   * must succeed with an `OAuthMcpUser` (`sub`, `scopes`, `expiresAt` at least) and runs through the
   * same guards, validated-token cache, 401/403 challenges and `req.auth`. With one configured, any
   * RFC 6750 bearer token is accepted for verification, not only JWTs.
   */
  strategies?: Record<string, OAuthMcpPassportStrategy>;
  /**
   * `false`: only `strategies` verify tokens (native mode); the provider settings still describe the
   * authorization server published in the protected resource metadata.
   * @default true
   */
  builtInStrategies?: boolean;
  /** Where clients, codes, refresh tokens, consents and keys live. @default `RedisStore` with `redisUrl`, else a single-process `MemoryStore` */
  store?: OAuthMcpStore;
  /** Redis (`redis://` or `rediss://` for TLS) shared by every replica. Env: `REDIS_URL`. */
  redisUrl?: string;
  /** Prefix of every Redis key. Env: `REDIS_KEY_PREFIX`. @default 'oauth-mcp:' */
  redisKeyPrefix?: string;
  /**
   * Proxies in front of the app that append to `X-Forwarded-For`; the client IP is read that many hops
   * from the right. 0 = the socket peer (a client's own X-Forwarded-For is ignored). Env: `TRUST_PROXY_HOPS`.
   * @default 0
   */
  trustProxyHops?: number;
  /**
   * Failed-authentication throttling: after `limit` failed bearer verifications (or failed client
   * authentications / grants at the token endpoint) from one client IP (IPv6 by /64) within
   * `windowSeconds`, its requests that would need verification get 429 with `Retry-After` for
   * `blockSeconds`; a token already in the validated-token cache still passes. Counted in the store
   * (shared by replicas). `false` turns it off. Env: `OAUTH_FAILED_AUTH_THROTTLE` (`off`, or
   * `limit/windowSeconds[/blockSeconds]`, e.g. `100/60/60`). See docs/failed-auth-throttling.md.
   * @default { limit: 100, windowSeconds: 60, blockSeconds: 60 }
   */
  failedAuthThrottle?: false | Partial<{ limit: number; windowSeconds: number; blockSeconds: number }>;
  /**
   * When the store cannot be reached while checking whether a token's grant was revoked (proxy mode) or
   * whether the client IP is blocked by `failedAuthThrottle`: `deny` answers 503 (fail closed); `allow`
   * accepts the still-valid signed token (and skips the throttle check). Env: `OAUTH_STORE_UNAVAILABLE`.
   * @default 'deny'
   */
  storeUnavailable?: 'deny' | 'allow';
  /**
   * Browser origins (besides this server's own) allowed to call the MCP endpoint, e.g. the MCP
   * Inspector's `http://localhost:6274`. A request with another `Origin` is refused with 403 once
   * authenticated (DNS rebinding). Env: `OAUTH_ALLOWED_ORIGINS` (comma-separated).
   * @default the MCP Inspector's `http://localhost:6274` and `http://127.0.0.1:6274` when `serverUrl` is
   * loopback and not `production`; otherwise none
   */
  allowedOrigins?: string[];
  /**
   * DPoP (RFC 9449): refuse bearer tokens. The token endpoint (proxy mode) then requires a `DPoP` proof on
   * every grant, and the resource server accepts only DPoP-bound tokens presented with the `DPoP` scheme.
   * Without it a client that sends a proof gets (and must then present) a DPoP-bound token; one that
   * sends none keeps getting bearer tokens. Env: `OAUTH_DPOP_REQUIRED=true`.
   * @default false
   */
  dpopRequired?: boolean;
  /**
   * DPoP: require server-provided nonces (RFC 9449 §8–9) in every proof, at the token endpoint and the
   * resource server; a proof without a current one is answered `use_dpop_nonce` with a `DPoP-Nonce`.
   * Env: `OAUTH_DPOP_NONCE=true`.
   * @default false
   */
  dpopNonce?: boolean;
  /**
   * DPoP: how old (by its `iat`) a proof may be, in seconds (5–300); its `jti` is remembered that long.
   * Env: `OAUTH_DPOP_PROOF_MAX_AGE_SECONDS`.
   * @default 60
   */
  dpopProofMaxAgeSeconds?: number;
  /** Where audit events go. @default one JSON line per event through Nest's Logger */
  auditSink?: AuditSink;
}

/**
 * Options only proxy mode reads (this server is then the authorization server). @publicApi
 */
export interface OAuthMcpProxyOnlyOptions {
  /** Upstream OAuth client id (proxy mode). Env: `OIDC_CLIENT_ID`. */
  clientId?: string;
  /** Upstream OAuth client secret (proxy mode). Env: `OIDC_CLIENT_SECRET`. */
  clientSecret?: string;
  /** Allowlist of redirect URIs every client may use (proxy mode). Env: `OAUTH_REDIRECT_URIS` (comma-separated). */
  redirectUris?: string[];
  /**
   * Scopes requested from the upstream IdP. Env: `OAUTH_UPSTREAM_SCOPES`.
   * @default ['openid', 'email', 'profile'] plus `offline_access` when the IdP advertises it
   */
  upstreamScopes?: string[];
  /**
   * Private JWK Set (JSON) of this server's token-signing keys; the first signs, all are published.
   * Without it a key is generated and kept in the store. Env: `OAUTH_SIGNING_JWKS`.
   */
  signingKeys?: string;
  /** Algorithm of a generated signing key. Env: `OAUTH_SIGNING_ALG`. @default 'ES256' */
  signingAlgorithm?: 'ES256' | 'RS256';
  /** Access token lifetime, seconds (60–86400). Env: `OAUTH_ACCESS_TOKEN_TTL_SECONDS`. @default 3600 */
  accessTokenTtlSeconds?: number;
  /** Refresh token family lifetime, seconds (≤ 90 days). Env: `OAUTH_REFRESH_TOKEN_TTL_SECONDS`. @default 2592000 */
  refreshTokenTtlSeconds?: number;
  /** Pre-registered clients. Env: `OAUTH_STATIC_CLIENTS` (JSON array). */
  staticClients?: StaticClientOptions[];
  /** Private-use redirect URI schemes accepted for native apps (`cursor`, `vscode`). Env: `OAUTH_ALLOWED_CLIENT_REDIRECT_SCHEMES`. */
  allowedRedirectSchemes?: string[];
  /** Accept https `client_id` URLs (Client ID Metadata Documents). Env: `OAUTH_CIMD`. @default true */
  clientIdMetadataDocuments?: boolean;
  /**
   * Let URLs an unauthenticated client chooses (Client ID Metadata Documents) be fetched from loopback,
   * private and other non-public addresses, and over plain http. Env: `OAUTH_ALLOW_PRIVATE_NETWORK_FETCH`.
   * @default true only when `serverUrl` is on loopback (a development server), false otherwise
   */
  allowPrivateNetworkFetch?: boolean;
  /** How long a user's approval of a client is remembered, days (0 = ask every time). @default 30 */
  consentRememberDays?: number;
  /**
   * Proxy mode: the scope a bearer token needs for the connected-apps API (`/oauth/connected-apps`). Only
   * effective when it is one of `scopes` (otherwise no token can carry it, and only the browser session
   * manages apps). Env: `OAUTH_CONNECTED_APPS_SCOPE`. @default 'oauth:apps'
   */
  connectedAppsScope?: string;
  /**
   * Per-IP limits on `/oauth/*` (fixed windows, kept in the store), or `false` to turn them off.
   * Env: `OAUTH_RATE_LIMITS` (`off`, or `token=50/900,register=20/3600`).
   * @default authorize 100/15 min, token 50/15 min, register 20/h, revoke 50/15 min
   */
  rateLimits?: false | Partial<Record<'authorize' | 'token' | 'register' | 'revoke', { limit: number; windowSeconds: number }>>;
  /**
   * Cap on live dynamically registered clients, across all IPs and replicas: registrations not used yet
   * (they expire after 24 h) plus clients used within the refresh-token lifetime; beyond it
   * `/oauth/register` answers 503. Env: `OAUTH_MAX_CLIENTS`. @default 10000
   */
  maxRegisteredClients?: number;
  /**
   * Enterprise-Managed Authorization: the enterprise IdPs whose Identity Assertion JWT Authorization
   * Grants (ID-JAG, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) this server redeems for
   * its own access tokens. Without it the grant is not offered.
   */
  idJag?: IdJagOptions;
  /** Declarative rules checked whenever a grant is made (see `AccessRules`). */
  accessRules?: AccessRules;
  /**
   * Code checked after `accessRules` whenever a grant is made; it may refuse or narrow the scopes.
   * A refusal is `access_denied` (browser sign-in) or `invalid_grant` (token endpoint), audited.
   */
  accessPolicy?: AccessPolicyHook;
}

/** Proxy-only options are compile errors in native mode. */
type WithoutProxyOptions = { [K in keyof OAuthMcpProxyOnlyOptions]?: never };

/**
 * Native mode: a resource server for tokens another IdP issues. @publicApi
 */
export interface OAuthMcpNativeOptions extends OAuthMcpCommonOptions, WithoutProxyOptions {
  /** Env: `OAUTH_MODE`. @default 'native' */
  mode?: 'native';
}

/**
 * Proxy mode: also the OAuth authorization server in front of an upstream OIDC IdP (not `hmac`),
 * issuing its own audience-bound tokens. `clientId` and `clientSecret` (the upstream client) and
 * `jwtSecret` are required; they are checked at bootstrap, so values read from the environment fit.
 * @publicApi
 */
export interface OAuthMcpProxyOptions extends OAuthMcpCommonOptions, OAuthMcpProxyOnlyOptions {
  /** Env: `OAUTH_MODE`. */
  mode: 'proxy';
  provider: Exclude<OAuthProviderName, 'hmac'>;
}

/**
 * Options of `OAuthMcpModule.forRoot()` / `forRootAsync()`, one shape per mode, so the compiler says which
 * fields belong to which. Validated once at bootstrap by `OAuthMcpConfigService`; an unsafe value stops
 * the application from starting. (Untyped sources such as `oauthMcpOptionsFromEnv()` may leave `mode`
 * out: `proxy` if `clientId` is set, else `native`, as the Go library does.)
 * @publicApi
 */
export type OAuthMcpModuleOptions = OAuthMcpNativeOptions | OAuthMcpProxyOptions;

/**
 * A Passport strategy instance (any `passport-strategy` subclass, e.g. one from `PassportStrategy()`
 * of @nestjs/passport, or `new BearerStrategy(verify)` of passport-http-bearer). @publicApi
 */
export interface OAuthMcpPassportStrategy {
  authenticate(...args: never[]): unknown;
}

/** An enterprise IdP trusted to issue ID-JAGs for this server. @publicApi */
export interface IdJagIssuerOptions {
  /** Its issuer identifier, compared byte for byte with the ID-JAG's `iss`. */
  issuer: string;
  /**
   * Its JWKS. Without it, the keys are found through the issuer's OIDC discovery document, whose
   * `issuer` must equal this one exactly.
   */
  jwksUri?: string;
  /** Accepted signature algorithms (asymmetric only). @default ['RS256', 'ES256'] */
  algorithms?: string[];
}

/** Identity Assertion JWT Authorization Grants (draft-ietf-oauth-identity-assertion-authz-grant). @publicApi */
export interface IdJagOptions {
  /** Env: `OAUTH_ID_JAG_ISSUERS` (comma-separated issuers, or a JSON array of these objects). */
  issuers: IdJagIssuerOptions[];
  /**
   * Longest lifetime accepted (`exp` − `iat`), seconds (30–3600): an ID-JAG is a short-lived, single-use
   * grant, re-requested from the IdP for every token. Env: `OAUTH_ID_JAG_MAX_LIFETIME_SECONDS`. @default 300
   */
  maxLifetimeSeconds?: number;
}

/** Grants a pre-registered client may be allowed (RFC 7591 `grant_types`). @publicApi */
export type StaticClientGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials' | 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * A client registered through configuration rather than DCR, in RFC 7591 client metadata names.
 * Only these clients can be machine clients (client credentials) or redeem ID-JAGs, and only when
 * confidential. @publicApi
 */
export interface StaticClientOptions {
  client_id: string;
  /** Omit for a public client (`token_endpoint_auth_method: none`) and for `private_key_jwt`. */
  client_secret?: string;
  /** Required when the client uses the authorization code grant. */
  redirect_uris?: string[];
  client_name?: string;
  /**
   * `refresh_token` needs `authorization_code`; `client_credentials` and the jwt-bearer grant need a
   * confidential client (a secret or `private_key_jwt`). @default ['authorization_code', 'refresh_token']
   */
  grant_types?: StaticClientGrantType[];
  /**
   * `client_secret_basic` and `client_secret_post` both accept the secret either way.
   * @default `client_secret_basic` with a secret, `private_key_jwt` with `jwks`/`jwks_uri`, else `none`
   */
  token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** `private_key_jwt`: the client's public keys (RSA ≥ 2048 or EC P-256/384/521). */
  jwks?: { keys: Record<string, unknown>[] };
  /** `private_key_jwt`: where the client publishes its public keys, fetched through the SSRF guard. */
  jwks_uri?: string;
  /** Space-separated scopes this client may be granted, whatever the grant. @default every scope */
  scope?: string;
}

/**
 * Extras of the dynamic module: they decide what the module mounts, so they are static (known when
 * the module is defined), not part of the options a factory returns. @publicApi
 */
export interface OAuthMcpModuleExtras {
  /**
   * Register `JwtAuthGuard` as a global guard (`APP_GUARD`); use `@Public()` to opt a route out.
   * @default false
   */
  global?: boolean;
  /**
   * Proxy mode: also serve `/authorize`, `/token` and `/register` at the root, for 2025-03-26 clients
   * that fall back to them without reading metadata. Off by default, so the app keeps those paths.
   * @default false
   */
  rootAliases?: boolean;
  /**
   * Echo (or create) an `X-Request-Id` header on the module's own endpoints and the MCP endpoint; audit
   * events carry the id either way.
   * @default false
   */
  requestIdHeader?: boolean;
}

/**
 * `forRootAsync()` options. The mode decides which routes exist, so it is given here, next to the
 * factory: `proxy` mounts the authorization server; the factory's options must agree (checked at
 * bootstrap). @publicApi
 */
export interface OAuthMcpAsyncModeOption {
  /** @default 'native' */
  mode?: OAuthMode;
}
