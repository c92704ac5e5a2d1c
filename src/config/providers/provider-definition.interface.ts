import type { OAuthMcpModuleOptions } from '../oauth-mcp-options.interface.js';

/** Where a provider's tokens come from: accepted issuers, advertised authorization servers, keys. */
export interface IssuerResolution {
  issuers: string[];
  authorizationServers: string[];
  jwksUri?: string;
  discoveryUrl?: string;
}

/** The options a provider's bootstrap rules read, before validation. */
export interface UncheckedProviderOptions {
  readonly issuer?: unknown;
  readonly azureAllowedTenants?: unknown;
}

/**
 * Everything particular to one identity provider, in one file per provider (see `providers.table.ts`).
 * The rest of the module asks this definition instead of testing the provider's name.
 */
export interface OAuthProviderDefinition {
  /** Token algorithms accepted when `algorithms` (OAUTH_ALGORITHMS) is not set. */
  readonly defaultAlgorithms: readonly string[];
  /** Whether `issuer` (OIDC_ISSUER) may be left out. */
  readonly issuerOptional: boolean;
  /** An issuer value accepted besides an https URL (Google's bare `accounts.google.com`). */
  acceptsIssuer?(issuer: unknown): boolean;
  /** A problem with `issuer` particular to this provider, checked at bootstrap. */
  issuerProblem?(options: UncheckedProviderOptions): string | undefined;
  /** Why this provider cannot be proxy mode's upstream with these options; undefined when it can. */
  upstreamProblem?(options: UncheckedProviderOptions): string | undefined;
  /** Issuers, authorization servers and key source, from validated options. */
  resolve(options: OAuthMcpModuleOptions): IssuerResolution;
  /** Extra parameters of proxy mode's authorization request to this provider. */
  readonly upstreamAuthorizationParams?: Readonly<Record<string, string>>;
  /** A claim rule after the common checks (issuer, audience, lifetime); throws InvalidTokenError. */
  checkClaims?(claims: Record<string, unknown>): void;
}
