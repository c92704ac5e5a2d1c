import type { OAuthProviderName } from './oauth-mcp-options.interface.js';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;

/** DPoP proof algorithms (RFC 9449 §11.6: asymmetric only), the v2 MCP SDK's list; advertised in challenges and metadata. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

/** Returns why an algorithm allowlist is unsafe for the provider, or undefined when it is fine. */
export function checkAlgorithms(value: unknown, provider: OAuthProviderName | undefined): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return 'must be a non-empty list of JWS algorithms';
  if (value.some((a) => typeof a !== 'string' || a.toLowerCase() === 'none')) return 'must not contain "none"';
  const hs = value.filter((a) => (HMAC_ALGORITHMS as readonly string[]).includes(a));
  const asym = value.filter((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if (hs.length + asym.length !== value.length) {
    return `must only contain ${[...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS].join(', ')}`;
  }
  if (hs.length > 0 && asym.length > 0) return 'must not mix HS* (shared secret) with RS*/PS*/ES* (public key) algorithms';
  if (provider === 'hmac' && asym.length > 0) return 'must only contain HS256, HS384 or HS512 for the hmac provider';
  if (provider !== 'hmac' && hs.length > 0) return 'must not contain HS* algorithms for a JWKS provider';
  return undefined;
}
