var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var OAuthMcpModule_1;
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { OAuthMcpConfigService } from './config/oauth-mcp-config.service.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { McpAuthGuard } from './guards/mcp-auth.guard.js';
import { ProtectedResourceController } from './metadata/protected-resource.controller.js';
import { OAuthMcpConfigurableModule, } from './oauth-mcp.module-definition.js';
import { OAUTH_MCP_KEY_STORE, OAUTH_MCP_STORE, OAUTH_MCP_STRATEGIES, OAUTH_MCP_TOKEN_CACHE } from './oauth-mcp.internal-constants.js';
import { MemoryStore } from './authorization-server/store/memory.store.js';
import { RevocationService } from './authorization-server/tokens/revocation.service.js';
import { SigningKeyService } from './authorization-server/tokens/signing-keys.service.js';
import { createStrategies } from './strategies/strategy.factory.js';
import { JwksKeyStore } from './tokens/jwks-key-store.js';
import { OidcDiscovery } from './tokens/oidc-discovery.js';
import { TokenCache } from './tokens/token-cache.js';
import { TokenVerifier } from './tokens/token-verifier.service.js';
/** Everything else is derived from the validated config, once, at bootstrap. */
const derivedProviders = [
    OAuthMcpConfigService,
    {
        provide: OAUTH_MCP_TOKEN_CACHE,
        inject: [OAuthMcpConfigService],
        useFactory: ({ config }) => new TokenCache(config.cacheMaxEntries, config.cacheMaxTtlMs),
    },
    {
        provide: OAUTH_MCP_KEY_STORE,
        inject: [OAuthMcpConfigService, OAUTH_MCP_TOKEN_CACHE],
        useFactory: ({ config }, cache) => config.provider === 'hmac' || config.mode === 'proxy' ? null : new JwksKeyStore(config, new OidcDiscovery(config), () => cache.clear()),
    },
    {
        provide: OAUTH_MCP_STORE,
        inject: [OAuthMcpConfigService],
        useFactory: ({ config }) => config.store ?? new MemoryStore(),
    },
    SigningKeyService,
    RevocationService,
    {
        provide: OAUTH_MCP_STRATEGIES,
        inject: [OAuthMcpConfigService, OAUTH_MCP_KEY_STORE, SigningKeyService],
        useFactory: ({ config }, keys, signingKeys) => createStrategies(config, keys ?? undefined, signingKeys),
    },
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
let OAuthMcpModule = OAuthMcpModule_1 = class OAuthMcpModule extends OAuthMcpConfigurableModule {
    static forRoot(options) {
        return OAuthMcpModule_1.finish(super.forRoot(options), options.global);
    }
    static forRootAsync(options) {
        return OAuthMcpModule_1.finish(super.forRootAsync(options), options.global);
    }
    static finish(definition, globalGuard) {
        return {
            ...definition,
            global: true,
            providers: [...(definition.providers ?? []), ...(globalGuard ? [{ provide: APP_GUARD, useExisting: JwtAuthGuard }] : [])],
        };
    }
};
OAuthMcpModule = OAuthMcpModule_1 = __decorate([
    Module({
        controllers: [ProtectedResourceController],
        providers: derivedProviders,
        exports: [OAuthMcpConfigService, TokenVerifier, JwtAuthGuard, McpAuthGuard],
    })
], OAuthMcpModule);
export { OAuthMcpModule };
