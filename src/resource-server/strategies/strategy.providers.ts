import type { Provider, Type } from '@nestjs/common';
import passport from 'passport';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { OAUTH_MCP_KEY_STORE, OAUTH_MCP_PASSPORT, OAUTH_MCP_SELF_ISSUED, OAUTH_MCP_STRATEGIES } from '../../oauth-mcp.internal-constants.js';
import type { JwksKeyStore } from '../verification/jwks-key-store.js';
import type { SelfIssuedTokens } from '../verification/self-issued-tokens.interface.js';
import { AzureStrategy } from './azure.strategy.js';
import { GoogleStrategy } from './google.strategy.js';
import { HmacPreviousSecretStrategy, HmacStrategy } from './hmac.strategy.js';
import type { ModulePassport } from './module-jwt.strategy.js';
import { OidcStrategy } from './oidc.strategy.js';
import { OktaStrategy } from './okta.strategy.js';
import { SelfIssuedStrategy } from './self-issued.strategy.js';
import { STRATEGY_NAMES } from './strategy-names.js';

/** The module instance's Passport and the names of its strategies, in the order they are tried. */
export interface ModuleStrategies {
  passport: ModulePassport;
  names: readonly string[];
  /** An application strategy is registered: bearer tokens other than JWTs may reach it. */
  acceptsAnyBearerToken: boolean;
}

const native = (c: ResolvedOAuthMcpConfig) => c.builtInStrategies && c.mode === 'native';

/** A built-in strategy: its class (the provider token), its Passport name, and when it is used. */
interface BuiltIn {
  type: Type<object>;
  name: string;
  inject?: string;
  build(passport: ModulePassport, config: ResolvedOAuthMcpConfig, dependency: never): object | null;
}

/** In the order they are tried (HMAC: the current secret, then the previous one). */
const BUILT_IN: BuiltIn[] = [
  { type: HmacStrategy, name: STRATEGY_NAMES.hmac, build: (p, c) => (native(c) && c.provider === 'hmac' ? new HmacStrategy(p, c) : null) },
  {
    type: HmacPreviousSecretStrategy,
    name: STRATEGY_NAMES.hmacPrevious,
    build: (p, c) => (native(c) && c.provider === 'hmac' && c.hmacSecrets.length > 1 ? new HmacPreviousSecretStrategy(p, c) : null),
  },
  ...(
    [
      ['okta', OktaStrategy],
      ['google', GoogleStrategy],
      ['azure', AzureStrategy],
      ['oidc', OidcStrategy],
    ] as const
  ).map(([provider, type]): BuiltIn => ({
    type,
    name: STRATEGY_NAMES[provider],
    inject: OAUTH_MCP_KEY_STORE,
    build: (p, c, keys: JwksKeyStore) => (native(c) && c.provider === provider ? new type(p, c, keys) : null),
  })),
  {
    type: SelfIssuedStrategy,
    name: STRATEGY_NAMES.self,
    inject: OAUTH_MCP_SELF_ISSUED,
    build: (p, c, own: SelfIssuedTokens) => (c.mode === 'proxy' ? new SelfIssuedStrategy(p, c, own) : null),
  },
];

/**
 * Every built-in strategy is a provider of its own, constructed (and so registered on the module's
 * Passport) only when the configuration uses it, `null` otherwise; the application's strategies join
 * the same Passport after them.
 */
export const strategyProviders: Provider[] = [
  // One Passport per module instance, never the global singleton.
  { provide: OAUTH_MCP_PASSPORT, useFactory: (): ModulePassport => new passport.Passport() },
  ...BUILT_IN.map((s): Provider => ({
    provide: s.type,
    inject: [OAUTH_MCP_PASSPORT, OAuthMcpConfigService, ...(s.inject ? [s.inject] : [])],
    useFactory: (p: ModulePassport, { config }: OAuthMcpConfigService, dependency: never) => s.build(p, config, dependency),
  })),
  {
    provide: OAUTH_MCP_STRATEGIES,
    inject: [OAUTH_MCP_PASSPORT, OAuthMcpConfigService, ...BUILT_IN.map((s) => s.type)],
    useFactory: (p: ModulePassport, { config }: OAuthMcpConfigService, ...built: (object | null)[]): ModuleStrategies => {
      const own = Object.keys(config.strategies);
      for (const name of own) p.use(name, config.strategies[name] as passport.Strategy);
      return { passport: p, names: [...BUILT_IN.filter((_, i) => built[i] !== null).map((s) => s.name), ...own], acceptsAnyBearerToken: own.length > 0 };
    },
  },
];
