import { JwksStrategyFor } from './jwks.strategy.js';

/** Any OIDC issuer with discovery (Keycloak, Auth0, Authentik, oidc-provider), or a fixed JWKS URI. */
export class OidcStrategy extends JwksStrategyFor('oidc') {}
