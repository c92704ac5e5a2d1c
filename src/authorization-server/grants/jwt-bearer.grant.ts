import { Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError, UnauthorizedClientError } from '../../errors/oauth.errors.js';
import { AuditService } from '../../audit/audit.service.js';
import { single } from '../http/request-params.js';
import { sha256 } from '../crypto/random.js';
import { AccessPolicyService } from '../policy/access-policy.service.js';
import { policyUser } from '../policy/access-rules.js';
import { type AuthenticatedClient, ClientAuthenticator } from '../token-endpoint/client-authenticator.js';
import type { TokenResponse } from './grant.interface.js';
import { requestedScopes, withinClientRegistration } from './granted-scopes.js';
import { IdJagVerifier } from './id-jag-verifier.js';
import { JWT_BEARER_GRANT } from './offered-grants.js';
import { SingleUseRegistry } from './single-use.js';
import { TokenIssuerService } from './token-issuer.service.js';

/** Largest assertion read, characters (an ID-JAG is an ID-token-sized JWT). */
const MAX_ASSERTION_LENGTH = 16_384;

/**
 * Enterprise-Managed Authorization: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with an ID-JAG
 * (RFC 7523 §2.1, draft-ietf-oauth-identity-assertion-authz-grant §4.4) from an authenticated confidential
 * client allowed the grant. The ID-JAG is verified (IdJagVerifier), used once (its `jti`, per issuer, in
 * the store), and redeemed for this server's own access token for the MCP resource: the user is the
 * assertion's `sub`; the scopes are the requested ones that the assertion carries (its scope when none
 * are requested), within the client's registration, then the access policy. No refresh token: the
 * client asks the IdP for a fresh ID-JAG, so the IdP's decision is renewed with every token.
 */
@Injectable()
export class JwtBearerGrant {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly authenticator: ClientAuthenticator,
    private readonly verifier: IdJagVerifier,
    private readonly singleUse: SingleUseRegistry,
    private readonly issuer: TokenIssuerService,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
  ) {}

  /** `jkt`: the key of the request's DPoP proof, which the token is bound to. */
  async grant(authenticated: AuthenticatedClient, body: unknown, jkt?: string): Promise<TokenResponse> {
    const c = this.configService.config;
    const { client } = authenticated;
    // draft §9.1: confidential clients only (the configuration ensures it too).
    if (client.source !== 'static' || client.token_endpoint_auth_method === 'none') throw new UnauthorizedClientError();
    const assertion = single(body, 'assertion', MAX_ASSERTION_LENGTH);
    if (!assertion) throw new InvalidRequestError('assertion is required');
    const requested = requestedScopes(body);
    const jag = await this.verifier.verify(assertion, client.client_id);
    const tokenHash = sha256(assertion).slice(0, 12);
    const mark = this.singleUse.mark('id-jag', jag.issuer, jag.jti, jag.exp, c.clockSkewSeconds);
    if (await this.singleUse.used(mark)) this.replayed(client.client_id, jag.user.sub, tokenHash);
    // Extension §7.2.1: the intersection of the requested scopes and the assertion's; never more.
    const carried = requested === undefined ? jag.scopes : requested.filter((s) => jag.scopes.includes(s));
    if (requested !== undefined && carried.length === 0) throw new InvalidScopeError('None of the requested scopes is in the assertion');
    const scopes = withinClientRegistration(client, carried);
    const outcome = await this.policy.evaluate({
      grantType: JWT_BEARER_GRANT,
      clientId: client.client_id,
      user: policyUser(jag.user, jag.issuer, jag.claims),
      scopes,
    });
    if (!outcome.allowed) throw new InvalidGrantError('The access policy does not allow this grant');
    await this.authenticator.claimAssertion(authenticated);
    if (!(await this.singleUse.claim(mark))) this.replayed(client.client_id, jag.user.sub, tokenHash);
    const { response, fid } = await this.issuer.issueAccessToken(
      { clientId: client.client_id, user: jag.user, scopes: outcome.scopes, resource: c.resource },
      { gty: JWT_BEARER_GRANT, id_jag_iss: jag.issuer },
      jkt,
    );
    this.audit.emit({
      type: 'token_issued',
      clientId: client.client_id,
      subject: jag.user.sub,
      grantId: fid,
      scopes: outcome.scopes,
      reason: JWT_BEARER_GRANT,
      tokenHash,
    });
    return response;
  }

  private replayed(clientId: string, subject: string, tokenHash: string): never {
    this.audit.emit({ type: 'assertion_replay', clientId, subject, reason: 'id_jag', tokenHash });
    throw new InvalidGrantError('The assertion was already used');
  }
}
