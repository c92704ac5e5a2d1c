import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import type { OAuthProviderName } from '../../config/oauth-mcp-options.interface.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import type { JwksKeyStore } from '../verification/jwks-key-store.js';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';
import { DETACHED_REGISTRAR } from './detached-passport.js';

/**
 * Base of the public-key providers: passport-jwt verifies with the key the `JwksKeyStore` picks for
 * the token's `kid`/`alg`; providers override `checkClaims` for their own rules.
 */
export function JwksStrategyFor(provider: Exclude<OAuthProviderName, 'hmac'>) {
  class JwksStrategy extends PassportStrategy(Strategy, STRATEGY_NAMES[provider]) {
    constructor(
      readonly config: ResolvedOAuthMcpConfig,
      keys: JwksKeyStore,
    ) {
      super(jwtStrategyOptions(config, (header) => keys.getKey(header.kid, header.alg)));
    }

    /** Registered on the module's own Passport instance, not the global one. */
    getPassportInstance() {
      return DETACHED_REGISTRAR;
    }

    validate(payload: unknown): OAuthMcpUser {
      return toUser(this.checkClaims(payload), provider);
    }

    checkClaims(payload: unknown): Record<string, unknown> {
      return checkCommonClaims(payload, this.config.clockSkewSeconds);
    }
  }
  return JwksStrategy;
}
