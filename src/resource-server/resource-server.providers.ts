import type { Provider } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_KEY_STORE, OAUTH_MCP_TOKEN_CACHE } from '../oauth-mcp.internal-constants.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { McpAuthGuard } from './guards/mcp-auth.guard.js';
import { McpCorsMiddleware } from './mcp-cors.middleware.js';
import { ProtectedResourceMetadataMiddleware } from './metadata/protected-resource-metadata.middleware.js';
import { strategyProviders } from './strategies/strategy.providers.js';
import { JwksKeyStore } from './verification/jwks-key-store.js';
import { OidcDiscovery } from './verification/oidc-discovery.js';
import { TokenCache } from './verification/token-cache.js';
import { TokenVerifier } from './verification/token-verifier.service.js';
import { DpopVerifier } from './dpop/dpop-verifier.service.js';

/** The resource server, in both modes: verification, guards and the protected resource metadata. */
export const resourceServerProviders: Provider[] = [
  {
    provide: OAUTH_MCP_TOKEN_CACHE,
    inject: [OAuthMcpConfigService],
    useFactory: ({ config }: OAuthMcpConfigService) => new TokenCache(config.cacheMaxEntries, config.cacheMaxTtlMs),
  },
  {
    provide: OAUTH_MCP_KEY_STORE,
    inject: [OAuthMcpConfigService, OAUTH_MCP_TOKEN_CACHE],
    useFactory: ({ config }: OAuthMcpConfigService, cache: TokenCache) =>
      config.provider === 'hmac' || config.mode === 'proxy' || !config.builtInStrategies
        ? null
        : new JwksKeyStore(config, new OidcDiscovery(config), () => cache.clear()),
  },
  ...strategyProviders,
  DpopVerifier,
  TokenVerifier,
  JwtAuthGuard,
  McpAuthGuard,
  McpCorsMiddleware,
  ProtectedResourceMetadataMiddleware,
];
