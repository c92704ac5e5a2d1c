import type { OAuthProviderDefinition } from './provider-definition.interface.js';

/** Google signs ID tokens with either issuer form; both are accepted only when none is configured. */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];
export const GOOGLE_JWKS_URI = 'https://www.googleapis.com/oauth2/v3/certs';

/** Google-signed ID tokens: `iss` https://accounts.google.com (or the bare form), `aud` = the OAuth client id. */
export const GOOGLE_PROVIDER: OAuthProviderDefinition = {
  defaultAlgorithms: ['RS256'],
  issuerOptional: true,
  acceptsIssuer: (issuer) => issuer === GOOGLE_ISSUERS[1],
  resolve: (o) => ({ issuers: o.issuer ? [o.issuer] : GOOGLE_ISSUERS, authorizationServers: [GOOGLE_ISSUERS[0]], jwksUri: o.jwksUri ?? GOOGLE_JWKS_URI }),
  // Without it Google issues no refresh token, and proxy mode could not refresh upstream.
  upstreamAuthorizationParams: { access_type: 'offline' },
};
