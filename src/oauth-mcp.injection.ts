import { Inject } from '@nestjs/common';
import { OAUTH_MCP_STORE } from './oauth-mcp.internal-constants.js';

/** Token of the module's `OAuthMcpStore` (MemoryStore, RedisStore or your own). @publicApi */
export const getOAuthMcpStoreToken = (): string => OAUTH_MCP_STORE;

/** Injects the module's `OAuthMcpStore`. @publicApi */
export const InjectOAuthMcpStore = (): ParameterDecorator => Inject(OAUTH_MCP_STORE);
