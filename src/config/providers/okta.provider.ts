import { discoveredIssuer } from './discovered-issuer.js';
import type { OAuthProviderDefinition } from './provider-definition.interface.js';

/**
 * Okta custom authorization server (`iss` = https://{org}.okta.com/oauth2/{id}, matched exactly: the org
 * server and other custom servers are refused); scopes in `scp`, client id in `cid`.
 */
export const OKTA_PROVIDER: OAuthProviderDefinition = {
  defaultAlgorithms: ['RS256'],
  issuerOptional: false,
  resolve: discoveredIssuer,
};
