import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import type { OAuthProviderName } from '../../config/oauth-mcp-options.interface.js';
import { PROVIDERS } from '../../config/providers/providers.table.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import type { JwksKeyStore } from '../verification/jwks-key-store.js';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { ModulePassportJwtStrategy, type ModulePassport } from './module-jwt.strategy.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';

/**
 * Base of the public-key providers: passport-jwt verifies with the key the `JwksKeyStore` picks for
 * the token's `kid`/`alg`; a provider's own claim rules come from its definition (or an override).
 */
export function JwksStrategyFor(provider: Exclude<OAuthProviderName, 'hmac'>) {
  const providerClaims = PROVIDERS[provider].checkClaims;
  class JwksStrategy extends ModulePassportJwtStrategy(STRATEGY_NAMES[provider]) {
    constructor(
      passport: ModulePassport,
      readonly config: ResolvedOAuthMcpConfig,
      keys: JwksKeyStore,
    ) {
      super(jwtStrategyOptions(config, passport, (header) => keys.getKey(header.kid, header.alg)));
    }

    validate(payload: unknown): OAuthMcpUser {
      return toUser(this.checkClaims(payload), provider);
    }

    checkClaims(payload: unknown): Record<string, unknown> {
      const claims = checkCommonClaims(payload, this.config);
      providerClaims?.(claims);
      return claims;
    }
  }
  return JwksStrategy;
}
