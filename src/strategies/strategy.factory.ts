import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import type { JwksKeyStore } from '../tokens/jwks-key-store.js';
import { AzureStrategy } from './azure.strategy.js';
import { GoogleStrategy } from './google.strategy.js';
import { HmacPreviousSecretStrategy, HmacStrategy } from './hmac.strategy.js';
import { OidcStrategy } from './oidc.strategy.js';
import { OktaStrategy } from './okta.strategy.js';
import { STRATEGY_NAMES } from './strategy-names.js';

/**
 * Builds (and so registers with Passport) only the configured provider's strategies; returns their
 * Passport names in the order they are tried.
 */
export function createStrategies(config: ResolvedOAuthMcpConfig, keys: JwksKeyStore | undefined): string[] {
  switch (config.provider) {
    case 'hmac':
      new HmacStrategy(config);
      if (config.hmacSecrets.length < 2) return [STRATEGY_NAMES.hmac];
      new HmacPreviousSecretStrategy(config);
      return [STRATEGY_NAMES.hmac, STRATEGY_NAMES.hmacPrevious];
    case 'okta':
      new OktaStrategy(config, keys!);
      break;
    case 'google':
      new GoogleStrategy(config, keys!);
      break;
    case 'azure':
      new AzureStrategy(config, keys!);
      break;
    case 'oidc':
      new OidcStrategy(config, keys!);
      break;
  }
  return [STRATEGY_NAMES[config.provider]];
}
