import type { SelfIssuedTokens } from '../verification/self-issued-tokens.interface.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { ModulePassportJwtStrategy, type ModulePassport } from './module-jwt.strategy.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';

/** What a strategy reports besides the user: the grant a token of this server belongs to. */
export interface SelfIssuedInfo {
  grantId: string;
}

/**
 * Proxy mode: the tokens this server issued itself, verified with its own public keys (no network):
 * `iss` = this server, `aud` = the MCP resource, `typ: at+jwt`, and a grant id (`fid`) the verifier
 * checks against revocations on every request.
 */
export class SelfIssuedStrategy extends ModulePassportJwtStrategy(STRATEGY_NAMES.self) {
  constructor(
    passport: ModulePassport,
    readonly config: ResolvedOAuthMcpConfig,
    keys: SelfIssuedTokens,
  ) {
    super(
      jwtStrategyOptions(config, passport, (header) => {
        const key = keys.findKey(header.kid);
        if (!key || key.alg !== header.alg) throw new InvalidTokenError(TOKEN_MESSAGES.unknownKey);
        return key.publicKey;
      }),
    );
  }

  validate(payload: unknown): [OAuthMcpUser, SelfIssuedInfo] {
    const claims = checkCommonClaims(payload, this.config);
    if (typeof claims.fid !== 'string' || typeof claims.jti !== 'string') throw new InvalidTokenError(TOKEN_MESSAGES.claims);
    return [toUser(claims, this.config.provider), { grantId: claims.fid }];
  }
}
