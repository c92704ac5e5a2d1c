import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, type Provider, RequestMethod, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { auditProviders } from './audit/audit.providers.js';
import { RequestContextMiddleware } from './audit/request-context.middleware.js';
import {
  authorizationServerControllers,
  authorizationServerExports,
  authorizationServerProviders,
  noAuthorizationServerProviders,
  UpstreamTokenService,
} from './authorization-server/authorization-server.providers.js';
import { OAuthMcpConfigService } from './config/oauth-mcp-config.service.js';
import type { OAuthMcpAsyncModeOption, OAuthMode } from './config/oauth-mcp-options.interface.js';
import type { ModuleShape } from './config/module-shape.js';
import { ASYNC_OPTIONS_TYPE, OAuthMcpConfigurableModule, OPTIONS_TYPE } from './oauth-mcp.module-definition.js';
import { OAUTH_MCP_MODULE_SHAPE, OAUTH_MCP_STORE } from './oauth-mcp.internal-constants.js';
import { JwtAuthGuard } from './resource-server/guards/jwt-auth.guard.js';
import { McpAuthGuard } from './resource-server/guards/mcp-auth.guard.js';
import { McpCorsMiddleware } from './resource-server/mcp-cors.middleware.js';
import { resourceServerProviders } from './resource-server/resource-server.providers.js';
import { ProtectedResourceMetadataMiddleware, protectedResourceMetadataPaths } from './resource-server/metadata/protected-resource-metadata.middleware.js';
import { AuthorizationServerMetadataMiddleware, authorizationServerMetadataPaths } from './authorization-server/authorization-server-metadata.middleware.js';
import { TokenVerifier } from './resource-server/verification/token-verifier.service.js';
import { storeProviders } from './store/store.providers.js';
import { FailedAuthThrottle } from './rate-limit/failed-auth-throttle.service.js';
import { AuditService } from './audit/audit.service.js';
import { HstsMiddleware } from './http/hsts.middleware.js';
import { OAuthErrorResponder } from './http/oauth-error.responder.js';
import { OAuthEndpointExceptionFilter, OAuthExceptionFilter } from './http/oauth-exception.filter.js';

/**
 * OAuth 2.1 for an MCP server. Native mode mounts the protected resource metadata only; proxy mode
 * also mounts the authorization server. The guards, the config service and the store are visible
 * app-wide so `@UseGuards(McpAuthGuard)` works in any module.
 * @publicApi
 */
@Module({})
export class OAuthMcpModule extends OAuthMcpConfigurableModule implements NestModule {
  constructor(private readonly configService: OAuthMcpConfigService) {
    super();
  }

  /**
   * The metadata documents (exact paths from the configuration), and on the module's own paths and
   * the MCP endpoint the request context, HSTS and CORS; no other route of the application.
   */
  configure(consumer: MiddlewareConsumer): void {
    const c = this.configService.config;
    const all = (paths: string[]) => paths.map((path) => ({ path, method: RequestMethod.ALL }));
    const prm = protectedResourceMetadataPaths(c);
    const as = c.mode === 'proxy' ? authorizationServerMetadataPaths(c) : [];
    const endpoints = c.mode === 'proxy' ? ['oauth/*path', 'authorize', 'token', 'register'] : [];
    const mcp = [c.mcpPath, `${c.mcpPath}/*path`];
    consumer.apply(RequestContextMiddleware, HstsMiddleware).forRoutes(...all([...mcp, ...prm, ...as, ...endpoints]));
    consumer.apply(ProtectedResourceMetadataMiddleware).forRoutes(...all(prm));
    if (as.length > 0) consumer.apply(AuthorizationServerMetadataMiddleware).forRoutes(...all(as));
    consumer.apply(McpCorsMiddleware).forRoutes(...all(mcp));
  }

  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    const mode: OAuthMode = options.mode ?? (options.clientId ? 'proxy' : 'native');
    return OAuthMcpModule.assemble(
      super.forRoot(options),
      { mode, rootAliases: options.rootAliases ?? false, requestIdHeader: options.requestIdHeader ?? false },
      options.global,
    );
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE & OAuthMcpAsyncModeOption): DynamicModule {
    const shape = { mode: options.mode ?? 'native', rootAliases: options.rootAliases ?? false, requestIdHeader: options.requestIdHeader ?? false };
    return OAuthMcpModule.assemble(super.forRootAsync(options), shape, options.global);
  }

  private static assemble(definition: DynamicModule, shape: ModuleShape, globalGuard: boolean | undefined): DynamicModule {
    const proxy = shape.mode === 'proxy';
    const controllers: Type<unknown>[] = proxy ? authorizationServerControllers(shape.rootAliases) : [];
    const providers: Provider[] = [
      ...(definition.providers ?? []),
      { provide: OAUTH_MCP_MODULE_SHAPE, useValue: shape },
      OAuthMcpConfigService,
      ...storeProviders,
      ...auditProviders,
      HstsMiddleware,
      OAuthErrorResponder,
      FailedAuthThrottle,
      OAuthEndpointExceptionFilter,
      { provide: APP_FILTER, useClass: OAuthExceptionFilter },
      ...resourceServerProviders,
      ...(proxy ? authorizationServerProviders : noAuthorizationServerProviders),
      UpstreamTokenService,
      ...(globalGuard ? [{ provide: APP_GUARD, useExisting: JwtAuthGuard }] : []),
    ];
    return {
      ...definition,
      global: true,
      controllers,
      providers,
      exports: [
        OAuthMcpConfigService,
        TokenVerifier,
        JwtAuthGuard,
        McpAuthGuard,
        UpstreamTokenService,
        AuditService,
        OAuthErrorResponder,
        OAUTH_MCP_STORE,
        ...(proxy ? authorizationServerExports : []),
      ],
    };
  }
}
