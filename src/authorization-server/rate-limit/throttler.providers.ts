import type { Provider } from '@nestjs/common';
import { getOptionsToken, getStorageToken, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { RATE_LIMITED_ENDPOINTS, type RateLimitedEndpoint } from '../../config/rate-limit-defaults.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { OAuthThrottlerGuard } from './oauth-throttler.guard.js';
import { StoreThrottlerStorage } from '../../rate-limit/store-throttler.storage.js';

/** One named throttler per endpoint family, with the configured (or default) per-IP limit and window. */
function throttlerOptions({ config }: OAuthMcpConfigService): ThrottlerModuleOptions {
  const limits = config.rateLimits === false ? RATE_LIMITED_ENDPOINTS : config.rateLimits;
  return {
    throttlers: (Object.keys(RATE_LIMITED_ENDPOINTS) as RateLimitedEndpoint[]).map((name) => ({
      name,
      limit: limits[name].limit,
      ttl: limits[name].windowSeconds * 1000,
    })),
    // The guard writes a plain Retry-After on refusal; no X-RateLimit-* headers on the OAuth endpoints.
    setHeaders: false,
  };
}

/**
 * What `ThrottlerModule.forRootAsync()` would provide (the options and the storage), provided inside
 * this module instead: ThrottlerModule is `@Global()`, and importing it would hand these four OAuth
 * throttlers and this storage to every ThrottlerGuard of the application.
 */
export const throttlerProviders: Provider[] = [
  { provide: getOptionsToken(), inject: [OAuthMcpConfigService], useFactory: throttlerOptions },
  { provide: getStorageToken(), inject: [OAUTH_MCP_STORE], useFactory: (store: OAuthMcpStore) => new StoreThrottlerStorage(store) },
  OAuthThrottlerGuard,
];
