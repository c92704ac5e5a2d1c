import { Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { InvalidGrantError, InvalidScopeError, UnauthorizedClientError } from '../../errors/oauth.errors.js';
import { AuditService } from '../../audit/audit.service.js';
import { AccessPolicyService } from '../policy/access-policy.service.js';
import { type AuthenticatedClient, ClientAuthenticator } from '../token-endpoint/client-authenticator.js';
import type { TokenResponse } from './grant.interface.js';
import { requestedScopes, withinClientRegistration } from './granted-scopes.js';
import { CLIENT_CREDENTIALS_GRANT } from './offered-grants.js';
import { TokenIssuerService } from './token-issuer.service.js';

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4; MCP extension io.modelcontextprotocol/oauth-client-credentials)
 * for pre-registered confidential clients only: the client acts for itself, so the token's subject is
 * the client (`sub` = `client_id`, `gty: client_credentials`, no user claims) and there is no refresh
 * token. Scopes: the requested ones (all the client may have when none are asked for) within the
 * client's registration, then the access policy; asking only for scopes the client may not have is
 * `invalid_scope`.
 */
@Injectable()
export class ClientCredentialsGrant {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly authenticator: ClientAuthenticator,
    private readonly issuer: TokenIssuerService,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
  ) {}

  /** `jkt`: the key of the request's DPoP proof, which the token is bound to. */
  async grant(authenticated: AuthenticatedClient, body: unknown, jkt?: string): Promise<TokenResponse> {
    const c = this.configService.config;
    const { client } = authenticated;
    // Never a registered or metadata-document client, never a public one (the configuration ensures it too).
    if (client.source !== 'static' || client.token_endpoint_auth_method === 'none') throw new UnauthorizedClientError();
    const requested = requestedScopes(body);
    const scopes = withinClientRegistration(client, requested ?? c.scopes).filter((s) => c.scopes.includes(s));
    if (requested !== undefined && scopes.length === 0) throw new InvalidScopeError('None of the requested scopes may be granted to this client');
    const outcome = await this.policy.evaluate({ grantType: CLIENT_CREDENTIALS_GRANT, clientId: client.client_id, scopes });
    if (!outcome.allowed) throw new InvalidGrantError('The access policy does not allow this grant');
    await this.authenticator.claimAssertion(authenticated);
    const { response, fid } = await this.issuer.issueAccessToken(
      { clientId: client.client_id, user: { sub: client.client_id, groups: [] }, scopes: outcome.scopes, resource: c.resource },
      { gty: CLIENT_CREDENTIALS_GRANT },
      jkt,
    );
    this.audit.emit({
      type: 'token_issued',
      clientId: client.client_id,
      subject: client.client_id,
      grantId: fid,
      scopes: outcome.scopes,
      reason: CLIENT_CREDENTIALS_GRANT,
    });
    return response;
  }
}
