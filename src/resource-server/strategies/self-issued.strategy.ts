import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { SelfIssuedTokens } from '../verification/self-issued-tokens.interface.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { DETACHED_REGISTRAR } from './detached-passport.js';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';

/**
 * Proxy mode: the tokens this server issued itself, verified with its own public keys (no network):
 * `iss` = this server, `aud` = the MCP resource, `typ: at+jwt`, and a grant id (`fid`) the verifier
 * checks against revocations.
 */
export class SelfIssuedStrategy extends PassportStrategy(Strategy, STRATEGY_NAMES.self) {
  constructor(
    readonly config: ResolvedOAuthMcpConfig,
    keys: SelfIssuedTokens,
  ) {
    super(
      jwtStrategyOptions(config, async (header) => {
        const key = keys.findKey(header.kid);
        if (!key || key.alg !== header.alg) throw new InvalidTokenError(TOKEN_MESSAGES.unknownKey);
        return key.publicKey;
      }),
    );
  }

  getPassportInstance() {
    return DETACHED_REGISTRAR;
  }

  validate(payload: unknown): OAuthMcpUser {
    const claims = checkCommonClaims(payload, this.config.clockSkewSeconds);
    if (typeof claims.fid !== 'string' || typeof claims.jti !== 'string') throw new InvalidTokenError(TOKEN_MESSAGES.claims);
    return toUser(claims, this.config.provider);
  }
}
