import type { LoggerService } from '@nestjs/common';
import type { OAuthMode, OAuthProviderName } from '../interfaces/oauth-mcp-options.interface.js';

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
  readonly mcpPath: string;
  /** Canonical MCP resource URI: `${serverUrl}${mcpPath}`. */
  readonly resource: string;
  readonly resourceUrl: URL;
  /** Path-suffixed protected resource metadata URL (RFC 9728 §3.1), used in challenges. */
  readonly resourceMetadataUrl: string;
  readonly scopes: readonly string[];
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
}
