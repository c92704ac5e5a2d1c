import { Inject, Injectable } from '@nestjs/common';
import { errors as joseErrors, decodeJwt, jwtVerify, decodeProtectedHeader } from 'jose';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import {
  InvalidDpopProofError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
} from '../../errors/oauth.errors.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { AuthorizationCodeRecord } from '../authorize/authorization-request.js';
import { ClientRegistryService } from '../clients/client-registry.service.js';
import { sha256 } from '../crypto/random.js';
import { single } from '../http/request-params.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import type { TokenResponse } from '../grants/grant.interface.js';
import { checkPkceVerifierSyntax, requirePkceMatch, verifyPkceS256 } from '../grants/pkce.js';
import { RevocationService } from '../grants/revocation.service.js';
import { SigningKeyService } from '../keys/signing-keys.service.js';
import { type RefreshTokenLookup, TokenIssuerService } from '../grants/token-issuer.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { AuditService } from '../../audit/audit.service.js';
import { isThisResource } from '../grants/resource-indicator.js';
import { ClientCredentialsGrant } from '../grants/client-credentials.grant.js';
import { JwtBearerGrant } from '../grants/jwt-bearer.grant.js';
import { CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT, offeredGrantTypes } from '../grants/offered-grants.js';
import { StoreKeys } from '../../store/store-keys.js';
import { DPOP_MESSAGES } from '../../errors/messages.constant.js';
import { type CheckedProof, dpopHeader, type DpopRequest, DpopVerifier } from '../../resource-server/dpop/dpop-verifier.service.js';

/** What is kept of a redeemed code, to recognise a valid replay. */
interface UsedCode {
  fid: string;
  clientId: string;
  codeChallenge: string;
  redirectUri: string;
  redirectUriProvided: boolean;
}

/**
 * `POST /oauth/token` and `POST /oauth/revoke`. Authorization codes are consumed atomically; a replayed
 * code revokes what was issued from it; refresh tokens rotate on every use (see TokenIssuerService).
 * Client credentials and ID-JAG grants, when offered, have their own classes in grants/.
 */
@Injectable()
export class TokenEndpointService {
  /** Grant types this server offers (configuration decides the machine and ID-JAG grants). */
  private readonly offered: readonly string[];

  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly authenticator: ClientAuthenticator,
    private readonly clients: ClientRegistryService,
    private readonly issuer: TokenIssuerService,
    private readonly revocations: RevocationService,
    private readonly keys: SigningKeyService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly audit: AuditService,
    private readonly clientCredentials: ClientCredentialsGrant,
    private readonly jwtBearer: JwtBearerGrant,
    private readonly dpop: DpopVerifier,
  ) {
    this.offered = offeredGrantTypes(configService.config);
  }

  /** `request`: the HTTP request, for its `DPoP` proof (RFC 9449 §5). */
  async token(authorization: string | undefined, body: unknown, request?: DpopRequest): Promise<TokenResponse> {
    const grantType = single(body, 'grant_type', 256);
    if (grantType === undefined) throw new InvalidRequestError('grant_type is required');
    if (!this.offered.includes(grantType)) throw new UnsupportedGrantTypeError();
    // A refresh token's family is read while the client is authenticated (one store round trip fewer);
    // the parameter is still checked, and the lookup only used, after the client is known.
    const lookup = grantType === 'refresh_token' ? this.lookAhead(body) : undefined;
    // Marked handled now: when the request fails before it is awaited, its outcome is simply unused.
    lookup?.catch(() => undefined);
    const authenticated = await this.authenticator.authenticate(authorization, body);
    const { client } = authenticated;
    if (!client.grant_types.includes(grantType)) throw new UnauthorizedClientError();
    const resource = single(body, 'resource', 2048);
    if (resource !== undefined && !isThisResource(this.configService.config, resource)) throw new InvalidTargetError();
    // Checked before any grant is (a refused proof spends no code or refresh token), spent once the grant succeeded.
    const proof = await this.checkProof(request);
    const jkt = proof?.jkt;
    let response: TokenResponse;
    if (grantType === CLIENT_CREDENTIALS_GRANT) response = await this.clientCredentials.grant(authenticated, body, jkt);
    else if (grantType === JWT_BEARER_GRANT) response = await this.jwtBearer.grant(authenticated, body, jkt);
    else {
      // These grants spend their code or refresh token whatever follows: the client assertion goes first.
      await this.authenticator.claimAssertion(authenticated);
      const publicClient = client.token_endpoint_auth_method === 'none';
      response =
        grantType === 'authorization_code'
          ? await this.redeemCode(client.client_id, body, jkt, publicClient)
          : await this.refresh(client.client_id, body, lookup, jkt);
    }
    // A replayed proof on a code or refresh token also fails there (single use, rotation); here for the machine grants.
    if (proof) await this.dpop.spend(proof);
    await this.clients.touch(client);
    return response;
  }

  /**
   * The request's DPoP proof, checked (RFC 9449 §5), or undefined for a bearer request; none at all is
   * `invalid_dpop_proof` when the operator requires DPoP.
   */
  private async checkProof(request: DpopRequest | undefined): Promise<CheckedProof | undefined> {
    if (request === undefined || dpopHeader(request, false) === undefined) {
      if (this.configService.config.dpopRequired) throw new InvalidDpopProofError(DPOP_MESSAGES.missing);
      return undefined;
    }
    return this.dpop.check(request, { atResource: false });
  }

  private async redeemCode(clientId: string, body: unknown, jkt: string | undefined, publicClient: boolean): Promise<TokenResponse> {
    const code = single(body, 'code', 512);
    if (!code) throw new InvalidRequestError('code is required');
    const verifier = single(body, 'code_verifier', 256);
    checkPkceVerifierSyntax(verifier);
    const redirectUri = single(body, 'redirect_uri', 2048);
    const hash = sha256(code);
    const record = await this.store.take<AuthorizationCodeRecord>(StoreKeys.code(hash));
    if (!record) {
      // A replay of a redeemed code revokes what it issued (RFC 6749 §4.1.2), but only when the replay is
      // otherwise valid (OAuth 2.1): someone who merely saw the code cannot revoke the user's grant.
      const used = await this.store.get<UsedCode>(StoreKeys.codeUsed(hash));
      if (used && used.clientId === clientId && this.bindingHolds(used, redirectUri, verifier)) {
        await this.revocations.revokeFamily(used.fid);
        this.audit.emit({ type: 'code_replay', clientId, grantId: used.fid, reason: 'grant_revoked', tokenHash: hash.slice(0, 12) });
      } else if (used) {
        this.audit.emit({ type: 'code_replay', clientId, grantId: used.fid, reason: 'invalid_replay_ignored', tokenHash: hash.slice(0, 12) });
      }
      throw new InvalidGrantError('The authorization code is invalid, expired or was already used');
    }
    const used: UsedCode = {
      fid: record.fid,
      clientId: record.clientId,
      codeChallenge: record.codeChallenge,
      redirectUri: record.redirectUri,
      redirectUriProvided: record.redirectUriProvided,
    };
    // Written whatever the checks below decide (the code is spent either way), beside the grant's own writes.
    const markedUsed = this.store.set(StoreKeys.codeUsed(hash), used, this.configService.config.accessTokenTtlSeconds);
    let response: TokenResponse;
    try {
      if (record.clientId !== clientId) throw new InvalidGrantError('The authorization code was issued to another client');
      if (!this.redirectMatches(record, redirectUri)) throw new InvalidGrantError('redirect_uri does not match the authorization request');
      requirePkceMatch(verifier, record.codeChallenge);
      const dpop = jkt === undefined ? undefined : { jkt, bindRefreshToken: publicClient };
      response = await this.issuer.issue({ clientId, user: record.user, scopes: record.scopes, resource: record.resource }, record.fid, dpop);
    } finally {
      await markedUsed;
    }
    this.audit.emit({ type: 'token_issued', clientId, subject: record.user.sub, grantId: record.fid, scopes: record.scopes });
    return response;
  }

  /** RFC 6749 §4.1.3: the same redirect_uri as at authorize (or none, when none was sent there). */
  private redirectMatches(code: Pick<UsedCode, 'redirectUri' | 'redirectUriProvided'>, redirectUri: string | undefined): boolean {
    return code.redirectUriProvided ? redirectUri === code.redirectUri : redirectUri === undefined || redirectUri === code.redirectUri;
  }

  private bindingHolds(code: UsedCode, redirectUri: string | undefined, verifier: string | undefined): boolean {
    return (
      this.redirectMatches(code, redirectUri) &&
      typeof code.codeChallenge === 'string' &&
      verifier !== undefined &&
      verifyPkceS256(verifier, code.codeChallenge)
    );
  }

  /** Starts reading the family of a well-formed refresh token parameter; nothing for anything else. */
  private lookAhead(body: unknown): Promise<RefreshTokenLookup> | undefined {
    const value =
      typeof body === 'object' && body !== null && Object.hasOwn(body, 'refresh_token') ? (body as Record<string, unknown>).refresh_token : undefined;
    return typeof value === 'string' && value.length > 0 && value.length <= 512 ? this.issuer.lookUpRefreshToken(value) : undefined;
  }

  private async refresh(clientId: string, body: unknown, lookup: Promise<RefreshTokenLookup> | undefined, jkt: string | undefined): Promise<TokenResponse> {
    const refreshToken = single(body, 'refresh_token', 512);
    if (!refreshToken) throw new InvalidRequestError('refresh_token is required');
    const scope = single(body, 'scope', 4096);
    if (scope !== undefined && !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(scope)) throw new InvalidScopeError();
    return this.issuer.refresh(lookup ? await lookup : refreshToken, clientId, scope === undefined ? undefined : [...new Set(scope.split(' '))], jkt);
  }

  /** RFC 7009: revokes the grant behind an access or refresh token of this client; unknown tokens are fine. */
  async revoke(authorization: string | undefined, body: unknown): Promise<void> {
    const authenticated = await this.authenticator.authenticate(authorization, body);
    const { client } = authenticated;
    const token = single(body, 'token', 8192);
    if (!token) throw new InvalidRequestError('token is required');
    single(body, 'token_type_hint', 64);
    await this.authenticator.claimAssertion(authenticated);
    const fid = (await this.fidOfAccessToken(token, client.client_id)) ?? (await this.fidOfRefreshToken(token, client.client_id));
    if (fid) {
      await this.revocations.revokeFamily(fid);
      this.audit.emit({ type: 'token_revoked', clientId: client.client_id, grantId: fid, reason: 'client_request' });
    }
  }

  private async fidOfAccessToken(token: string, clientId: string): Promise<string | undefined> {
    if (token.split('.').length !== 3) return undefined;
    try {
      const key = this.keys.find(decodeProtectedHeader(token).kid);
      if (!key) return undefined;
      // Expired access tokens may still be revoked; the signature must be ours.
      await jwtVerify(token, key.publicKey, { issuer: this.configService.config.issuer, algorithms: [key.alg] }).catch((err) => {
        if (!(err instanceof joseErrors.JWTExpired)) throw err;
      });
      const claims = decodeJwt(token);
      return claims.client_id === clientId && typeof claims.fid === 'string' ? claims.fid : undefined;
    } catch {
      return undefined;
    }
  }

  private async fidOfRefreshToken(token: string, clientId: string): Promise<string | undefined> {
    const family = await this.issuer.familyOfRefreshToken(token);
    return family && family.clientId === clientId ? family.fid : undefined;
  }
}
