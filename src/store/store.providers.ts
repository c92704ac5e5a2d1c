import type { Provider } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_STORE } from '../oauth-mcp.internal-constants.js';
import { MemoryStore } from './memory.store.js';
import type { OAuthMcpStore } from './oauth-mcp-store.interface.js';
import { StoreLifecycle } from './store-lifecycle.js';

/**
 * The store: the application's own, a RedisStore for `redisUrl` (ioredis is an optional peer, loaded
 * only then), or a single-process MemoryStore.
 */
export const storeProviders: Provider[] = [
  {
    provide: OAUTH_MCP_STORE,
    inject: [OAuthMcpConfigService],
    useFactory: async ({ config }: OAuthMcpConfigService): Promise<OAuthMcpStore> => {
      if (config.store) return config.store;
      if (!config.redisUrl) return new MemoryStore();
      const { RedisStore } = await import('./redis.store.js');
      return new RedisStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }).connect();
    },
  },
  StoreLifecycle,
];
