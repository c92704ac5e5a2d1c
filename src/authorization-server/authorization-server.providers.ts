import type { Provider, Type } from '@nestjs/common';
import { OAUTH_MCP_SELF_ISSUED } from '../oauth-mcp.internal-constants.js';
import type { SelfIssuedTokens } from '../resource-server/verification/self-issued-tokens.interface.js';
import { AuthorizationServerMetadataMiddleware } from './authorization-server-metadata.middleware.js';
import { AuthorizationFlowService } from './authorize/authorization-flow.service.js';
import { ClientRegistryService } from './clients/client-registry.service.js';
import { RevocationService } from './grants/revocation.service.js';
import { TokenIssuerService } from './grants/token-issuer.service.js';
import { OAuthBodyErrorHandler } from './http/body-error.handler.js';
import { SigningKeyService } from './keys/signing-keys.service.js';
import { OAuthController, OAuthRootAliasesController } from './oauth.controller.js';
import { throttlerProviders } from './rate-limit/throttler.providers.js';
import { ClientAuthenticator } from './token-endpoint/client-authenticator.js';
import { TokenEndpointService } from './token-endpoint/token-endpoint.service.js';
import { UpstreamClientService } from './upstream/upstream-client.service.js';
import { UpstreamTokenService } from './upstream/upstream-token.service.js';
import { ClientKeysService } from './clients/client-keys.service.js';
import { ClientAssertionVerifier } from './token-endpoint/client-assertion.js';
import { SingleUseRegistry } from './grants/single-use.js';
import { AccessPolicyService } from './policy/access-policy.service.js';
import { IdJagIssuerKeys } from './grants/id-jag-issuer-keys.js';
import { IdJagVerifier } from './grants/id-jag-verifier.js';
import { ClientCredentialsGrant } from './grants/client-credentials.grant.js';
import { JwtBearerGrant } from './grants/jwt-bearer.grant.js';
import { UserGrantsIndex } from './grants/user-grants.index.js';
import { ConnectedAppsService } from './connected-apps/connected-apps.service.js';
import { ConnectedAppsAuth } from './connected-apps/connected-apps-auth.js';
import { ConnectedAppsController } from './connected-apps/connected-apps.controller.js';

/** What the module mounts in front of the upstream IdP in proxy mode, and only then. */
export function authorizationServerControllers(rootAliases: boolean): Type<unknown>[] {
  return [OAuthController, ConnectedAppsController, ...(rootAliases ? [OAuthRootAliasesController] : [])];
}

export const authorizationServerProviders: Provider[] = [
  AuthorizationServerMetadataMiddleware,
  SigningKeyService,
  RevocationService,
  TokenIssuerService,
  UserGrantsIndex,
  ConnectedAppsService,
  ConnectedAppsAuth,
  ClientRegistryService,
  ClientAuthenticator,
  ClientKeysService,
  ClientAssertionVerifier,
  SingleUseRegistry,
  AccessPolicyService,
  IdJagIssuerKeys,
  IdJagVerifier,
  ClientCredentialsGrant,
  JwtBearerGrant,
  UpstreamClientService,
  AuthorizationFlowService,
  TokenEndpointService,
  ...throttlerProviders,
  OAuthBodyErrorHandler,
  OAuthController,
  {
    provide: OAUTH_MCP_SELF_ISSUED,
    inject: [SigningKeyService, RevocationService],
    useFactory: (keys: SigningKeyService, revocations: RevocationService): SelfIssuedTokens => ({
      findKey: (kid) => keys.find(kid),
      isRevoked: (fid) => revocations.isRevoked(fid),
    }),
  },
];

/** Native mode: no authorization server, so no tokens of our own to look up. */
export const noAuthorizationServerProviders: Provider[] = [{ provide: OAUTH_MCP_SELF_ISSUED, useValue: null }];

/** In both modes, so tool code can inject it; it answers only in proxy mode. */
export { UpstreamTokenService };

/** What proxy mode adds to the module's exports: the operator side of connected apps. */
export const authorizationServerExports = [ConnectedAppsService];
