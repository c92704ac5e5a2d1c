import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_STORE } from '../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from './oauth-mcp-store.interface.js';

/** Closes the Redis connection the module opened itself (a store passed in options belongs to the app). */
@Injectable()
export class StoreLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // Only a store the module created itself (from `redisUrl`); one passed in options belongs to the app.
    if (!this.configService.config.store) await this.store.close?.();
  }
}
