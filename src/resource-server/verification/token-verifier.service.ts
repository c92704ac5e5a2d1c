import { Inject, Injectable, Logger, Optional, type LoggerService, type OnApplicationBootstrap } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidRequestError, InvalidTokenError, OAuthError, TemporarilyUnavailableError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { OAUTH_MCP_KEY_STORE, OAUTH_MCP_SELF_ISSUED, OAUTH_MCP_STRATEGIES, OAUTH_MCP_TOKEN_CACHE } from '../../oauth-mcp.internal-constants.js';
import type { VerificationStrategies } from './verification-strategies.interface.js';
import type { SelfIssuedInfo } from '../strategies/self-issued.strategy.js';
import { type BearerTokenSyntax, checkTokenSyntax, presentedCredential } from './bearer-token.extractor.js';
import { DpopVerifier, type DpopRequest } from '../dpop/dpop-verifier.service.js';
import type { AuthorizationHeaderCarrier } from '../../http/authorization-header.js';
import type { JwksKeyStore } from './jwks-key-store.js';
import { DiscoveryIssuerMismatchError } from './oidc-discovery.js';
import { presentBearerToken } from './presented-token.js';
import { refusalFor } from './strategy-failure.js';
import type { TokenCache, VerifiedToken } from './token-cache.js';
import { fingerprint, tokenHash } from './token-fingerprint.js';
import type { SelfIssuedTokens } from './self-issued-tokens.interface.js';
import { FailedAuthThrottle } from '../../rate-limit/failed-auth-throttle.service.js';
import { isQuietRefusal } from '../../rate-limit/quiet-refusal.js';
import type { PeerRequest } from '../../http/client-ip.js';

/** A request whose bearer token was verified. */
export interface VerifiedCaller {
  token: string;
  user: OAuthMcpUser;
}

interface RequestLike extends AuthorizationHeaderCarrier {
  method?: string;
  url?: string;
  originalUrl?: string;
  query?: unknown;
  body?: unknown;
}

/**
 * A failed authentication for the failed-auth throttle: a token presented and refused, or a malformed
 * credential. Not a request without any token (every MCP client's first request), not a 503.
 */
function countsAsFailure(err: unknown): boolean {
  return (err instanceof InvalidTokenError && !err.missing) || err instanceof InvalidRequestError;
}

/** The key a token is bound to (RFC 9449 §6 `cnf.jkt`), if any. */
function boundKey(user: OAuthMcpUser): string | undefined {
  const cnf = user.claims.cnf as { jkt?: unknown } | undefined;
  return typeof cnf === 'object' && cnf !== null && typeof cnf.jkt === 'string' ? cnf.jkt : undefined;
}

/** What an application strategy must succeed with for the guards, the cache and `req.auth` to work. */
function isOAuthMcpUser(user: unknown): user is OAuthMcpUser {
  const u = user as Partial<OAuthMcpUser> | null;
  return (
    typeof u === 'object' &&
    u !== null &&
    typeof u.sub === 'string' &&
    u.sub.length > 0 &&
    Array.isArray(u.scopes) &&
    u.scopes.every((s) => typeof s === 'string') &&
    typeof u.expiresAt === 'number' &&
    Number.isFinite(u.expiresAt)
  );
}

/**
 * Verifies bearer tokens: strict RFC 6750 extraction, the validated-token cache (hit = one SHA-256 +
 * one LRU lookup), then the module instance's Passport with the configured strategies, run on the
 * request itself. Any failure is a 401 (a 503 when a dependency is down) and is logged with a SHA-256
 * prefix of the token only. On a cache miss, a client IP over the failed-authentication limit gets a
 * 429 before any verification (docs/failed-auth-throttling.md).
 * @publicApi
 */
@Injectable()
export class TokenVerifier implements OnApplicationBootstrap {
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly logger: LoggerService;
  private readonly syntax: BearerTokenSyntax;

  constructor(
    configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STRATEGIES) private readonly strategies: VerificationStrategies,
    @Inject(OAUTH_MCP_TOKEN_CACHE) private readonly cache: TokenCache,
    @Inject(OAUTH_MCP_SELF_ISSUED) private readonly selfIssued: SelfIssuedTokens | null,
    private readonly dpop: DpopVerifier,
    @Optional() @Inject(OAUTH_MCP_KEY_STORE) private readonly keys?: JwksKeyStore | null,
    @Optional() private readonly failedAuth?: FailedAuthThrottle,
  ) {
    this.config = configService.config;
    this.logger = this.config.logger ?? new Logger('OAuthMcp');
    this.syntax = strategies.acceptsAnyBearerToken ? 'b64token' : 'jws';
  }

  /** Discovery and a first JWKS fetch at startup; an issuer mismatch stops the application. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.keys) return;
    try {
      await this.keys.warmUp();
    } catch (err) {
      if (err instanceof DiscoveryIssuerMismatchError) throw err;
      this.logger.warn(`Could not reach the IdP at startup (${(err as Error).message}); tokens are refused until it answers`);
    }
  }

  async verify(req: RequestLike): Promise<VerifiedCaller> {
    return this.verifyRequest(req);
  }

  /**
   * `verify()` for the guards: the caller synchronously on a cache hit (no promise on the hot path),
   * a promise when the token must be verified, or (proxy mode) its grant checked against revocations.
   * Throws (or rejects with) the refusal.
   */
  verifyRequest(req: RequestLike): VerifiedCaller | Promise<VerifiedCaller> {
    let presented: { token: string; dpop: boolean };
    try {
      presented = presentedCredential(req, this.config.maxTokenBytes);
    } catch (err) {
      if (!this.failedAuth?.enabled || !countsAsFailure(err)) throw err;
      return this.failedAuth.failed(req as PeerRequest, err as object).then(() => Promise.reject(err));
    }
    const { token, dpop } = presented;
    const hash = tokenHash(token);
    const cached = this.cache.get(hash);
    // A plain bearer token known good passes synchronously, without a store round trip, even from a throttled
    // client IP; a DPoP-bound one has its proof checked on every request.
    if (cached && cached.grantId === undefined && !dpop && !this.config.dpopRequired && boundKey(cached.user) === undefined)
      return { token, user: cached.user };
    if (cached) return this.verifyUncached(req, token, hash, cached, dpop);
    // Anything else is verification work: a client IP over the failed-authentication limit gets 429 first.
    const admitted = this.failedAuth?.admit(req as PeerRequest);
    return admitted ? admitted.then(() => this.verifyUncached(req, token, hash, undefined, dpop)) : this.verifyUncached(req, token, hash, undefined, dpop);
  }

  private async verifyUncached(req: RequestLike, token: string, hash: string, cached: VerifiedToken | undefined, dpop: boolean): Promise<VerifiedCaller> {
    try {
      let verified = cached;
      if (!verified) {
        // A token not seen before gets its syntax checked before anything reads it (a cached one passed this
        // when first seen); with only JWT strategies the JOSE header rules check the compact JWS shape.
        if (this.syntax === 'b64token') checkTokenSyntax(token, this.syntax);
        presentBearerToken(req, token);
        verified = await this.authenticate(req);
        this.cache.set(hash, verified.user, verified.grantId);
      }
      await this.checkPresentation(req, token, verified.user, dpop);
      // Proxy mode: this server's grants can be revoked; checked on every request, cache or not.
      if (verified.grantId !== undefined && (await this.isRevoked(verified.grantId))) throw new InvalidTokenError(TOKEN_MESSAGES.revoked);
      return { token, user: verified.user };
    } catch (err) {
      const failure = err instanceof OAuthError ? err : new InvalidTokenError(TOKEN_MESSAGES.invalid);
      if (!(err instanceof OAuthError)) this.logger.error(`Token verification error (${(err as Error)?.name})`);
      if (this.failedAuth?.enabled && countsAsFailure(failure)) await this.failedAuth.failed(req as PeerRequest, failure);
      // Bounded logging: past the first failure of a window, the throttle's aggregate event stands for this line.
      if (!isQuietRefusal(failure)) this.logger.debug?.(`Token rejected (sha256:${fingerprint(token)}): ${failure.description}`);
      throw failure;
    }
  }

  /**
   * RFC 9449 §7: a token bound to a key (`cnf.jkt`) only with the `DPoP` scheme and a proof by that key for
   * this request and token; the `DPoP` scheme only with a bound token; a bearer token not at all when the
   * operator requires DPoP.
   */
  private async checkPresentation(req: RequestLike, token: string, user: OAuthMcpUser, dpop: boolean): Promise<void> {
    const jkt = boundKey(user);
    if (jkt === undefined) {
      if (dpop) throw new InvalidTokenError(TOKEN_MESSAGES.notDpopBound);
      if (this.config.dpopRequired) throw new InvalidTokenError(TOKEN_MESSAGES.dpopRequired);
      return;
    }
    if (!dpop) throw new InvalidTokenError(TOKEN_MESSAGES.dpopBound);
    const request: DpopRequest = { method: req.method ?? 'GET', url: req.url, originalUrl: req.originalUrl, headers: req.headers };
    await this.dpop.verify(request, { accessToken: token, jkt, atResource: true });
  }

  /** Store unreachable: 503 (fail closed) unless `storeUnavailable: 'allow'` accepts the signed token. */
  private async isRevoked(grantId: string): Promise<boolean> {
    try {
      return (await this.selfIssued?.isRevoked(grantId)) ?? true;
    } catch (err) {
      if (this.config.storeUnavailable === 'allow') {
        this.logger.warn('Revocation state unavailable; accepting a valid signed token (storeUnavailable: allow)');
        return false;
      }
      throw err instanceof OAuthError ? err : new TemporarilyUnavailableError();
    }
  }

  /** The module's Passport, its strategies tried in order on the request; the first success wins. */
  private authenticate(req: RequestLike): Promise<VerifiedToken> {
    return new Promise((resolve, reject) => {
      const done = (err: unknown, user: unknown, info: unknown) => {
        if (err) {
          if (!(err instanceof OAuthError)) this.logger.warn(`A Passport strategy failed with an error (${(err as Error)?.name})`);
          reject(refusalFor(err));
        } else if (!user) reject(refusalFor(info));
        else if (!isOAuthMcpUser(user)) {
          this.logger.error('A Passport strategy succeeded without an OAuthMcpUser (sub, scopes, expiresAt); the token is refused');
          reject(new InvalidTokenError(TOKEN_MESSAGES.invalid));
        } else resolve({ user, grantId: (info as Partial<SelfIssuedInfo> | undefined)?.grantId });
      };
      this.strategies.passport.authenticate(this.strategies.names as string[], { session: false }, done)(req, undefined, () =>
        reject(new InvalidTokenError(TOKEN_MESSAGES.invalid)),
      );
    });
  }
}
