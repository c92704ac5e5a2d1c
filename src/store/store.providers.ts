import type { Provider } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { OAuthMcpConfigError } from '../errors/config.errors.js';
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
      const { RedisStore } = await import('./redis.store.js').catch((err: Error & { code?: string }) => {
        if (err.code !== 'ERR_MODULE_NOT_FOUND' || !err.message.includes('ioredis')) throw err;
        throw new OAuthMcpConfigError([`redisUrl (REDIS_URL) needs the optional peer ioredis (npm install ioredis)`]);
      });
      return new RedisStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }).connect();
    },
  },
  StoreLifecycle,
];
