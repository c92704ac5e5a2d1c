import type { OAuthProviderDefinition } from './provider-definition.interface.js';

/** Shared-secret (HS*) tokens, e.g. from an API gateway: no issuer needed, no keys to fetch. */
export const HMAC_PROVIDER: OAuthProviderDefinition = {
  defaultAlgorithms: ['HS256'],
  issuerOptional: true,
  upstreamProblem: () => 'is "proxy", which needs an OIDC upstream (okta, google, azure or oidc), not hmac',
  resolve: (o) => ({ issuers: o.issuer ? [o.issuer] : [], authorizationServers: o.issuer ? [o.issuer] : [] }),
};
