import { Inject, Injectable, Logger, Optional, type LoggerService, type OnApplicationBootstrap } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidTokenError, OAuthError, TemporarilyUnavailableError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { OAUTH_MCP_KEY_STORE, OAUTH_MCP_SELF_ISSUED, OAUTH_MCP_STRATEGIES, OAUTH_MCP_TOKEN_CACHE } from '../../oauth-mcp.internal-constants.js';
import type { ModuleStrategies } from '../strategies/detached-passport.js';
import type { TokenAuthRequest } from '../strategies/jwt-strategy-options.js';
import { extractBearerToken } from './bearer-token.extractor.js';
import type { AuthorizationHeaderCarrier } from '../../http/authorization-header.js';
import { assertPayloadIsObject, inspectJoseHeader } from './jose-header.js';
import type { JwksKeyStore } from './jwks-key-store.js';
import { DiscoveryIssuerMismatchError } from './oidc-discovery.js';
import type { TokenCache } from './token-cache.js';
import { fingerprint, tokenHash } from './token-fingerprint.js';
import type { SelfIssuedTokens } from './self-issued-tokens.interface.js';

/** A request whose bearer token was verified. */
export interface VerifiedCaller {
  token: string;
  user: OAuthMcpUser;
}

interface RequestLike extends AuthorizationHeaderCarrier {
  query?: unknown;
  body?: unknown;
}

const JWT_ERROR_MESSAGES: [RegExp, string][] = [
  [/audience/, TOKEN_MESSAGES.audience],
  [/issuer/, TOKEN_MESSAGES.issuer],
  [/signature/, TOKEN_MESSAGES.signature],
  [/algorithm/, TOKEN_MESSAGES.algorithm],
];

/** Maps a Passport failure (jsonwebtoken error, key lookup error) to a generic client-facing 401. */
function toInvalidToken(info: unknown): InvalidTokenError {
  const reasons = Array.isArray(info) ? info : [info];
  // With two HMAC secrets, the secret that does not match reports "invalid signature"; the other is more precise.
  const reason = reasons.find((r) => !(r instanceof Error && /signature/.test(r.message))) ?? reasons[0];
  if (reason instanceof InvalidTokenError) return reason;
  if (reason instanceof Error) {
    if (reason.name === 'TokenExpiredError') return new InvalidTokenError(TOKEN_MESSAGES.expired);
    if (reason.name === 'NotBeforeError') return new InvalidTokenError(TOKEN_MESSAGES.notYetValid);
    const known = JWT_ERROR_MESSAGES.find(([pattern]) => pattern.test(reason.message));
    if (known) return new InvalidTokenError(known[1]);
  }
  return new InvalidTokenError(TOKEN_MESSAGES.invalid);
}

/**
 * Verifies bearer tokens: strict extraction, validated-token cache (hit = one SHA-256 + one LRU
 * lookup), JOSE header checks, then the configured Passport strategies. Any failure is a 401 and is
 * logged with a SHA-256 prefix of the token only.
 * @publicApi
 */
@Injectable()
export class TokenVerifier implements OnApplicationBootstrap {
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly logger: LoggerService;

  constructor(
    configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STRATEGIES) private readonly strategies: ModuleStrategies,
    @Inject(OAUTH_MCP_TOKEN_CACHE) private readonly cache: TokenCache,
    @Inject(OAUTH_MCP_SELF_ISSUED) private readonly selfIssued: SelfIssuedTokens | null,
    @Optional() @Inject(OAUTH_MCP_KEY_STORE) private readonly keys?: JwksKeyStore | null,
  ) {
    this.config = configService.config;
    this.logger = this.config.logger ?? new Logger('OAuthMcp');
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
    const token = extractBearerToken(req, this.config.maxTokenBytes);
    const hash = tokenHash(token);
    try {
      let user = this.cache.get(hash);
      if (!user) {
        const header = inspectJoseHeader(token, this.config.algorithms, this.config.requireAccessTokenType);
        assertPayloadIsObject(token);
        user = await this.authenticate({ token, header });
        this.cache.set(hash, user);
      }
      // Proxy mode: this server's grants can be revoked; checked on every request, cache or not.
      if (this.config.mode === 'proxy' && (await this.isRevoked(user))) throw new InvalidTokenError(TOKEN_MESSAGES.revoked);
      return { token, user };
    } catch (err) {
      const failure = err instanceof OAuthError ? err : new InvalidTokenError(TOKEN_MESSAGES.invalid);
      if (!(err instanceof OAuthError)) this.logger.error(`Token verification error (${(err as Error)?.name})`);
      this.logger.debug?.(`Token rejected (sha256:${fingerprint(token)}): ${failure.description}`);
      throw failure;
    }
  }

  /** Store unreachable: 503 (fail closed) unless `storeUnavailable: 'allow'` accepts the signed token. */
  private async isRevoked(user: OAuthMcpUser): Promise<boolean> {
    try {
      return (await this.selfIssued?.isRevoked(user.claims.fid)) ?? true;
    } catch (err) {
      if (this.config.storeUnavailable === 'allow') {
        this.logger.warn('Revocation state unavailable; accepting a valid signed token (storeUnavailable: allow)');
        return false;
      }
      throw err instanceof OAuthError ? err : new TemporarilyUnavailableError();
    }
  }

  private authenticate(authReq: TokenAuthRequest): Promise<OAuthMcpUser> {
    return new Promise((resolve, reject) => {
      const middleware = this.strategies.passport.authenticate(
        this.strategies.names,
        { session: false },
        (err: unknown, user: OAuthMcpUser | false, info: unknown) => {
          if (err) reject(err instanceof OAuthError ? err : toInvalidToken(err));
          else if (!user) reject(toInvalidToken(info));
          else resolve(user);
        },
      );
      middleware(authReq, {}, (err: unknown) => reject(err));
    });
  }
}
