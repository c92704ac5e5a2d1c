import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, type Provider, RequestMethod } from '@nestjs/common';
import type { AuditSink } from './audit/audit-event.interface.js';
import { AuditService, LoggerAuditSink } from './audit/audit.service.js';
import { RequestContextMiddleware } from './audit/request-context.middleware.js';
import { OAuthBodyErrorHandler } from './authorization-server/http/body-error.handler.js';
import { McpCorsMiddleware } from './resource-server/mcp-cors.middleware.js';
import { APP_GUARD } from '@nestjs/core';
import { OAuthMcpConfigService } from './config/oauth-mcp-config.service.js';
import { JwtAuthGuard } from './resource-server/guards/jwt-auth.guard.js';
import { McpAuthGuard } from './resource-server/guards/mcp-auth.guard.js';
import { ProtectedResourceController } from './resource-server/metadata/protected-resource.controller.js';
import {
  ASYNC_OPTIONS_TYPE,
  OAuthMcpConfigurableModule,
  OPTIONS_TYPE,
} from './oauth-mcp.module-definition.js';
import {
  OAUTH_MCP_AUDIT_SINK,
  OAUTH_MCP_KEY_STORE,
  OAUTH_MCP_STORE,
  OAUTH_MCP_SELF_ISSUED,
  OAUTH_MCP_STRATEGIES,
  OAUTH_MCP_TOKEN_CACHE,
} from './oauth-mcp.internal-constants.js';
import { MemoryStore } from './store/memory.store.js';
import type { OAuthMcpStore } from './store/oauth-mcp-store.interface.js';
import { RedisStore } from './store/redis.store.js';
import { StoreLifecycle } from './store/store-lifecycle.js';
import { OAuthRateLimitGuard } from './authorization-server/rate-limit/oauth-rate-limit.guard.js';
import { RevocationService } from './authorization-server/grants/revocation.service.js';
import { SigningKeyService } from './authorization-server/keys/signing-keys.service.js';
import { TokenIssuerService } from './authorization-server/grants/token-issuer.service.js';
import { ClientRegistryService } from './authorization-server/clients/client-registry.service.js';
import { ClientAuthenticator } from './authorization-server/token-endpoint/client-authenticator.js';
import { UpstreamClientService } from './authorization-server/upstream/upstream-client.service.js';
import { UpstreamTokenService } from './authorization-server/upstream/upstream-token.service.js';
import { AuthorizationFlowService } from './authorization-server/authorize/authorization-flow.service.js';
import { TokenEndpointService } from './authorization-server/token-endpoint/token-endpoint.service.js';
import { AuthorizationServerMetadataController } from './authorization-server/authorization-server-metadata.controller.js';
import { OAuthController } from './authorization-server/oauth.controller.js';
import { createStrategies } from './resource-server/strategies/strategy.factory.js';
import { JwksKeyStore } from './resource-server/verification/jwks-key-store.js';
import { OidcDiscovery } from './resource-server/verification/oidc-discovery.js';
import { TokenCache } from './resource-server/verification/token-cache.js';
import { TokenVerifier } from './resource-server/verification/token-verifier.service.js';
import type { SelfIssuedTokens } from './resource-server/verification/self-issued-tokens.interface.js';

/** Everything else is derived from the validated config, once, at bootstrap. */
const derivedProviders: Provider[] = [
  OAuthMcpConfigService,
  {
    provide: OAUTH_MCP_TOKEN_CACHE,
    inject: [OAuthMcpConfigService],
    useFactory: ({ config }: OAuthMcpConfigService) => new TokenCache(config.cacheMaxEntries, config.cacheMaxTtlMs),
  },
  {
    provide: OAUTH_MCP_KEY_STORE,
    inject: [OAuthMcpConfigService, OAUTH_MCP_TOKEN_CACHE],
    useFactory: ({ config }: OAuthMcpConfigService, cache: TokenCache) =>
      config.provider === 'hmac' || config.mode === 'proxy' ? null : new JwksKeyStore(config, new OidcDiscovery(config), () => cache.clear()),
  },
  {
    provide: OAUTH_MCP_STORE,
    inject: [OAuthMcpConfigService],
    useFactory: async ({ config }: OAuthMcpConfigService): Promise<OAuthMcpStore> =>
      config.store ??
      (config.redisUrl ? await new RedisStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }).connect() : new MemoryStore()),
  },
  StoreLifecycle,
  {
    provide: OAUTH_MCP_AUDIT_SINK,
    inject: [OAuthMcpConfigService],
    useFactory: ({ config }: OAuthMcpConfigService): AuditSink => config.auditSink ?? new LoggerAuditSink(),
  },
  AuditService,
  RequestContextMiddleware,
  McpCorsMiddleware,
  OAuthBodyErrorHandler,
  OAuthRateLimitGuard,
  SigningKeyService,
  RevocationService,
  {
    provide: OAUTH_MCP_STRATEGIES,
    inject: [OAuthMcpConfigService, OAUTH_MCP_KEY_STORE, OAUTH_MCP_SELF_ISSUED],
    useFactory: ({ config }: OAuthMcpConfigService, keys: JwksKeyStore | null, selfIssued: SelfIssuedTokens | null) =>
      createStrategies(config, keys ?? undefined, selfIssued),
  },
  {
    provide: OAUTH_MCP_SELF_ISSUED,
    inject: [OAuthMcpConfigService, SigningKeyService, RevocationService],
    useFactory: ({ config }: OAuthMcpConfigService, keys: SigningKeyService, revocations: RevocationService): SelfIssuedTokens | null =>
      config.mode === 'proxy' ? { findKey: (kid) => keys.find(kid), isRevoked: (fid) => revocations.isRevoked(fid) } : null,
  },
  TokenIssuerService,
  ClientRegistryService,
  ClientAuthenticator,
  UpstreamClientService,
  UpstreamTokenService,
  AuthorizationFlowService,
  TokenEndpointService,
  TokenVerifier,
  JwtAuthGuard,
  McpAuthGuard,
];

/**
 * OAuth 2.1 for an MCP server: validated config, the configured provider's Passport strategy, the
 * bearer guards and the protected resource metadata. Its providers are visible app-wide so
 * `@UseGuards(McpAuthGuard)` works in any module.
 * @publicApi
 */
@Module({
  controllers: [ProtectedResourceController, AuthorizationServerMetadataController, OAuthController],
  providers: derivedProviders,
  exports: [OAuthMcpConfigService, TokenVerifier, JwtAuthGuard, McpAuthGuard, UpstreamTokenService, AuditService, OAUTH_MCP_STORE],
})
export class OAuthMcpModule extends OAuthMcpConfigurableModule implements NestModule {
  /** Every request gets a request id and client IP (audit events); the MCP endpoint gets its CORS answers. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware, McpCorsMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }

  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return OAuthMcpModule.finish(super.forRoot(options), options.global);
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return OAuthMcpModule.finish(super.forRootAsync(options), options.global);
  }

  private static finish(definition: DynamicModule, globalGuard: boolean | undefined): DynamicModule {
    return {
      ...definition,
      global: true,
      providers: [...(definition.providers ?? []), ...(globalGuard ? [{ provide: APP_GUARD, useExisting: JwtAuthGuard }] : [])],
    };
  }
}
