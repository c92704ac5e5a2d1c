import type { LoggerService } from '@nestjs/common';
import type { OAuthMcpStore } from '../store/oauth-mcp-store.interface.js';
import type { OAuthMcpPassportStrategy, OAuthMode, OAuthProviderName, StaticClientOptions } from './oauth-mcp-options.interface.js';
import type { ConfiguredSigningKey } from './signing-key-rules.js';
import type { AuditSink } from '../audit/audit-event.interface.js';
import type { AccessPolicyHook } from './access-policy.interface.js';

/** An enterprise IdP trusted for ID-JAGs, its keys' location resolved. @internal */
export interface ResolvedIdJagIssuer {
  readonly issuer: string;
  /** Configured JWKS URI, or undefined when discovery (`discoveryUrl`) names it. */
  readonly jwksUri?: string;
  readonly discoveryUrl?: string;
  readonly algorithms: readonly string[];
}

/** `accessRules` with its defaults: an empty list or map is no rule. @internal */
export interface ResolvedAccessRules {
  readonly allowedEmailDomains: readonly string[];
  readonly requiredGroups: readonly string[];
  readonly forbiddenGroups: readonly string[];
  /** Undefined: groups do not limit scopes. */
  readonly groupScopes?: Readonly<Record<string, readonly string[]>>;
  readonly clientScopes: Readonly<Record<string, readonly string[]>>;
}

/** The upstream IdP this server signs users in with (proxy mode). @internal */
export interface ResolvedUpstream {
  readonly provider: Exclude<OAuthProviderName, 'hmac'>;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes?: readonly string[];
  /** Loopback http issuers are allowed outside production (the dev IdP). */
  readonly allowInsecureHttp: boolean;
}

/** Options after validation, with every default applied and every derived URL computed once. @internal */
export interface ResolvedOAuthMcpConfig {
  readonly mode: OAuthMode;
  readonly provider: OAuthProviderName;
  readonly production: boolean;
  /** Accepted `iss` values, compared byte for byte. Empty for hmac without an issuer. */
  readonly issuers: readonly string[];
  /** Issuers published in the protected resource metadata `authorization_servers`. */
  readonly authorizationServers: readonly string[];
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  /** JWKS location: fixed (override/provider default) or found through OIDC discovery. */
  readonly jwksUri?: string;
  readonly discoveryUrl?: string;
  /** HMAC secrets, current first. */
  readonly hmacSecrets: readonly string[];
  readonly serverUrl: string;
  /** `serverUrl` is https (from the parsed URL): `__Host-` Secure cookies; HSTS unless it is on loopback. */
  readonly https: boolean;
  readonly mcpPath: string;
  /** Canonical MCP resource URI: `${serverUrl}${mcpPath}`. */
  readonly resource: string;
  readonly resourceUrl: URL;
  /** Path-suffixed protected resource metadata URL (RFC 9728 §3.1), used in challenges. */
  readonly resourceMetadataUrl: string;
  readonly scopes: readonly string[];
  /**
   * The scopes advertised for the MCP endpoint (protected resource metadata, challenges, a request that names
   * none): `scopes` without the connected-apps scope, which manages the user's other apps and is granted only
   * when a client asks for it by name.
   */
  readonly resourceScopes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly clockSkewSeconds: number;
  readonly cacheMaxEntries: number;
  readonly cacheMaxTtlMs: number;
  readonly jwksCooldownMs: number;
  readonly jwksMaxAgeMs: number;
  readonly fetchTimeoutMs: number;
  readonly fetchMaxBytes: number;
  readonly maxTokenBytes: number;
  readonly requireAccessTokenType: boolean;
  readonly impliedScopes: Readonly<Record<string, readonly string[]>>;
  readonly resourceName?: string;
  readonly logger?: LoggerService;
  /** The application's own Passport strategies, by name, tried after the built-in ones. */
  readonly strategies: Readonly<Record<string, OAuthMcpPassportStrategy>>;
  /** Whether the module's own strategies (provider or self-issued tokens) are registered. */
  readonly builtInStrategies: boolean;
  /** Proxy mode: this server's issuer (= `serverUrl`), the upstream IdP, and the AS settings. */
  readonly issuer?: string;
  readonly upstream?: ResolvedUpstream;
  readonly jwtSecret?: string;
  readonly signingKeys: readonly ConfiguredSigningKey[];
  readonly signingAlgorithm: 'ES256' | 'RS256';
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly staticClients: readonly StaticClientOptions[];
  readonly allowedRedirectSchemes: readonly string[];
  readonly clientIdMetadataDocuments: boolean;
  /** CIMD fetches may reach non-public addresses and plain http (default: only for a loopback `serverUrl`). */
  readonly allowPrivateNetworkFetch: boolean;
  readonly consentRememberDays: number;
  readonly connectedAppsScope: string;
  readonly store?: OAuthMcpStore;
  readonly redisUrl?: string;
  readonly redisKeyPrefix: string;
  readonly rateLimits: false | Readonly<Record<'authorize' | 'token' | 'register' | 'revoke', { limit: number; windowSeconds: number }>>;
  readonly failedAuthThrottle: false | Readonly<{ limit: number; windowSeconds: number; blockSeconds: number }>;
  readonly trustProxyHops: number;
  readonly storeUnavailable: 'deny' | 'allow';
  /** DPoP (RFC 9449): bearer tokens refused; proofs need a server nonce; the oldest proof accepted (seconds). */
  readonly dpopRequired: boolean;
  readonly dpopNonce: boolean;
  readonly dpopProofMaxAgeSeconds: number;
  /** Origins allowed on the MCP endpoint: this server's own plus the configured ones (or the development default). */
  readonly allowedOrigins: readonly string[];
  /** `allowedOrigins` holds the development default (MCP Inspector) because none were configured on a loopback MCP_URL. */
  readonly developmentOrigins: boolean;
  readonly auditSink?: AuditSink;
  readonly maxRegisteredClients: number;
  /** Where the upstream IdP sends the browser back: `${serverUrl}/oauth/callback`. */
  readonly callbackUrl: string;
  /** Proxy mode, when configured: the ID-JAG issuers trusted, and the longest ID-JAG lifetime accepted. */
  readonly idJag?: { readonly issuers: readonly ResolvedIdJagIssuer[]; readonly maxLifetimeSeconds: number };
  readonly accessRules: ResolvedAccessRules;
  readonly accessPolicy?: AccessPolicyHook;
}
