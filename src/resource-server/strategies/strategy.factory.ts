import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import type { SelfIssuedTokens } from '../verification/self-issued-tokens.interface.js';
import type { JwksKeyStore } from '../verification/jwks-key-store.js';
import { AzureStrategy } from './azure.strategy.js';
import { type ModuleStrategies, newPassport } from './detached-passport.js';
import { GoogleStrategy } from './google.strategy.js';
import { HmacPreviousSecretStrategy, HmacStrategy } from './hmac.strategy.js';
import { OidcStrategy } from './oidc.strategy.js';
import { OktaStrategy } from './okta.strategy.js';
import { SelfIssuedStrategy } from './self-issued.strategy.js';
import { STRATEGY_NAMES } from './strategy-names.js';

/**
 * Builds only the strategies the configuration needs, on a Passport instance of this module's own:
 * in proxy mode this server's own tokens; in native mode the configured provider's (HMAC: current
 * secret first, then the previous one). Returns them in the order they are tried.
 */
export function createStrategies(
  config: ResolvedOAuthMcpConfig,
  keys: JwksKeyStore | undefined,
  selfIssued: SelfIssuedTokens | null,
): ModuleStrategies {
  const passport = newPassport();
  const register = (name: string, strategy: object): string => {
    passport.use(name, strategy as never);
    return name;
  };
  if (config.mode === 'proxy') return { passport, names: [register(STRATEGY_NAMES.self, new SelfIssuedStrategy(config, selfIssued!))] };
  switch (config.provider) {
    case 'hmac': {
      const names = [register(STRATEGY_NAMES.hmac, new HmacStrategy(config))];
      if (config.hmacSecrets.length > 1) names.push(register(STRATEGY_NAMES.hmacPrevious, new HmacPreviousSecretStrategy(config)));
      return { passport, names };
    }
    case 'okta':
      return { passport, names: [register(STRATEGY_NAMES.okta, new OktaStrategy(config, keys!))] };
    case 'google':
      return { passport, names: [register(STRATEGY_NAMES.google, new GoogleStrategy(config, keys!))] };
    case 'azure':
      return { passport, names: [register(STRATEGY_NAMES.azure, new AzureStrategy(config, keys!))] };
    case 'oidc':
      return { passport, names: [register(STRATEGY_NAMES.oidc, new OidcStrategy(config, keys!))] };
  }
}
