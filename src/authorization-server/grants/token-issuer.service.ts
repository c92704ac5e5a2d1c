import { Inject, Injectable } from '@nestjs/common';
import jsonwebtoken from 'jsonwebtoken';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { InvalidDpopProofError, InvalidGrantError, InvalidScopeError } from '../../errors/oauth.errors.js';
import { DPOP_MESSAGES } from '../../errors/messages.constant.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { randomToken, sha256 } from '../crypto/random.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import type { Grant, RefreshFamily, TokenResponse } from './grant.interface.js';
import { RevocationService } from './revocation.service.js';
import { SigningKeyService } from '../keys/signing-keys.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { StoreKeys } from '../../store/store-keys.js';
import { UserGrantsIndex } from './user-grants.index.js';

const now = (): number => Math.floor(Date.now() / 1000);

/** A DPoP-bound issue (RFC 9449 §5): the proof's key, and whether the refresh token is bound to it too (public clients). */
export interface DpopIssue {
  jkt: string;
  bindRefreshToken: boolean;
}

/** A refresh token's hash and the family its pointer leads to (if any). */
export interface RefreshTokenLookup {
  hash: string;
  family: RefreshFamily | undefined;
}

/**
 * Mints this server's tokens: JWT access tokens (`iss` = this server, `aud` = the MCP resource,
 * `typ: at+jwt`) and opaque refresh tokens, one family per authorization. A refresh rotates the token
 * (compare-and-set on the family); presenting a rotated-away token revokes the whole family.
 */
@Injectable()
export class TokenIssuerService {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly keys: SigningKeyService,
    private readonly revocations: RevocationService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly audit: AuditService,
    private readonly userGrants: UserGrantsIndex,
  ) {}

  /** A new family for an authorization code; returns the token response. */
  async issue(grant: Grant, fid = randomToken(16), dpop?: DpopIssue): Promise<TokenResponse> {
    const refreshToken = randomToken(32);
    const rtHash = sha256(refreshToken);
    const ttl = this.configService.config.refreshTokenTtlSeconds;
    const family: RefreshFamily = {
      ...grant,
      version: 1,
      fid,
      rtHash,
      expiresAt: now() + ttl,
      accessBound: dpop !== undefined,
      ...(dpop?.bindRefreshToken ? { jkt: dpop.jkt } : {}),
    };
    // Connected apps: the user's index names the grant before it exists, so no grant is ever unlisted.
    await this.userGrants.add(family);
    // Independent writes, sent together (one round trip on Redis).
    await Promise.all([this.store.set(StoreKeys.family(fid), family, ttl), this.store.set(StoreKeys.refreshToken(rtHash), { fid }, ttl)]);
    return this.respond(family, grant.scopes, refreshToken, dpop?.jkt);
  }

  /**
   * The family a refresh token belongs to, read ahead (two dependent reads) while the client is being
   * authenticated: a read, with no effect whatever the client turns out to be.
   */
  async lookUpRefreshToken(refreshToken: string): Promise<RefreshTokenLookup> {
    const hash = sha256(refreshToken);
    const pointer = await this.store.get<{ fid: string }>(StoreKeys.refreshToken(hash));
    return { hash, family: pointer && (await this.store.get<RefreshFamily>(StoreKeys.family(pointer.fid))) };
  }

  /** RFC 6749 §6 with rotation (OAuth 2.1 §4.3.1) and reuse detection. */
  async refresh(refreshToken: string | RefreshTokenLookup, clientId: string, requestedScopes: string[] | undefined, jkt?: string): Promise<TokenResponse> {
    const { hash, family } = typeof refreshToken === 'string' ? await this.lookUpRefreshToken(refreshToken) : refreshToken;
    if (!family || family.expiresAt <= now()) throw new InvalidGrantError('The refresh token is invalid or expired');
    if (family.clientId !== clientId) throw new InvalidGrantError('The refresh token was issued to another client');
    if (family.rtHash !== hash) {
      await this.revocations.revokeFamily(family.fid);
      this.audit.emit({ type: 'refresh_token_reuse', clientId, subject: family.user.sub, grantId: family.fid, reason: 'grant_revoked' });
      throw new InvalidGrantError('The refresh token was already used; the grant is revoked');
    }
    // A bound refresh token is spent only with a proof by its key: a stolen token alone refreshes nothing.
    if (family.jkt !== undefined && family.jkt !== jkt) throw new InvalidDpopProofError(jkt === undefined ? DPOP_MESSAGES.missing : DPOP_MESSAGES.refreshKey);
    const scopes = requestedScopes ?? family.scopes;
    if (!scopes.every((s) => family.scopes.includes(s))) throw new InvalidScopeError('A refresh may only narrow the scope');
    const next = randomToken(32);
    const nextHash = sha256(next);
    const ttl = Math.max(1, family.expiresAt - now());
    const rotated: RefreshFamily = { ...family, version: family.version + 1, rtHash: nextHash, usedAt: now(), accessBound: jkt !== undefined };
    // The new token's pointer is written beside the compare-and-set (one round trip on Redis); when the
    // rotation loses, that token is never handed out and its pointer leads to a family that refuses it.
    const [rotatedHere] = await Promise.all([
      this.store.compareAndSet(StoreKeys.family(family.fid), family.version, rotated, ttl),
      this.store.set(StoreKeys.refreshToken(nextHash), { fid: family.fid }, ttl),
    ]);
    if (!rotatedHere) {
      // Someone else rotated this token in between: the same token was used twice.
      await this.revocations.revokeFamily(family.fid);
      this.audit.emit({ type: 'refresh_token_reuse', clientId, subject: family.user.sub, grantId: family.fid, reason: 'concurrent_rotation' });
      throw new InvalidGrantError('The refresh token was already used; the grant is revoked');
    }
    this.audit.emit({ type: 'token_refreshed', clientId, subject: family.user.sub, grantId: family.fid, scopes });
    return this.respond(rotated, scopes, next, jkt);
  }

  /**
   * An access token alone, for grants that get no refresh token (client credentials; an ID-JAG, which the
   * client exchanges again for the next token). It has a grant id of its own, so it can be revoked.
   * `claims` are added to the token (`gty`, the ID-JAG's issuer).
   */
  async issueAccessToken(grant: Grant, claims: Record<string, string>, jkt?: string): Promise<{ response: TokenResponse; fid: string }> {
    const fid = randomToken(16);
    const c = this.configService.config;
    const accessToken = this.sign({ ...grant, fid }, grant.scopes, claims, jkt);
    return {
      fid,
      response: {
        access_token: accessToken,
        token_type: jkt === undefined ? 'Bearer' : 'DPoP',
        expires_in: c.accessTokenTtlSeconds,
        ...(grant.scopes.length > 0 ? { scope: grant.scopes.join(' ') } : {}),
      },
    };
  }

  /** Resolves a refresh token to its family (RFC 7009 revocation). */
  async familyOfRefreshToken(refreshToken: string): Promise<RefreshFamily | undefined> {
    return (await this.lookUpRefreshToken(refreshToken)).family;
  }

  private respond(family: RefreshFamily, scopes: string[], refreshToken: string, jkt: string | undefined): TokenResponse {
    const c = this.configService.config;
    const accessToken = this.sign(family, scopes, {}, jkt);
    return {
      access_token: accessToken,
      token_type: jkt === undefined ? 'Bearer' : 'DPoP',
      expires_in: c.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  }

  /**
   * The access token of a grant (see docs/enterprise.md for the claims of each grant type), signed
   * synchronously: jsonwebtoken on node:crypto, no WebCrypto job and thread-pool hop per grant.
   */
  private sign(grant: Grant & { fid: string }, scopes: string[], extra: Record<string, string> = {}, jkt?: string): string {
    const c = this.configService.config;
    const key = this.keys.current();
    const iat = now();
    const { user } = grant;
    return jsonwebtoken.sign(
      {
        // First, so no extra claim can stand in for one of the claims below.
        ...extra,
        // No scope granted: no claim (RFC 6749 §3.3 has no empty scope).
        ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
        client_id: grant.clientId,
        fid: grant.fid,
        ...(user.username ? { preferred_username: user.username } : {}),
        ...(user.email ? { email: user.email } : {}),
        ...(user.name ? { name: user.name } : {}),
        ...(user.groups.length > 0 ? { groups: user.groups } : {}),
        iss: c.issuer!,
        sub: user.sub,
        aud: grant.resource,
        iat,
        exp: iat + c.accessTokenTtlSeconds,
        jti: randomToken(16),
        // RFC 9449 §6: bound to the client's DPoP key.
        ...(jkt !== undefined ? { cnf: { jkt } } : {}),
      },
      key.privateKey,
      { algorithm: key.alg, keyid: key.kid, header: { alg: key.alg, typ: 'at+jwt' } },
    );
  }
}
