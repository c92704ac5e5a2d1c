import { discoveredIssuer } from './discovered-issuer.js';
import type { OAuthProviderDefinition } from './provider-definition.interface.js';

/** Any OpenID Connect provider (Keycloak, Auth0, Authentik, …) by its issuer and discovery document. */
export const OIDC_PROVIDER: OAuthProviderDefinition = {
  defaultAlgorithms: ['RS256', 'ES256'],
  issuerOptional: false,
  resolve: discoveredIssuer,
};
