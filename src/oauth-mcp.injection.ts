import { Inject } from '@nestjs/common';
import { MODULE_OPTIONS_TOKEN } from './oauth-mcp.module-definition.js';
import { OAUTH_MCP_STORE } from './oauth-mcp.internal-constants.js';

/** Token of the module's `OAuthMcpStore` (MemoryStore, RedisStore or your own). @publicApi */
export const getOAuthMcpStoreToken = (): string => OAUTH_MCP_STORE;

/** Injects the module's `OAuthMcpStore`. @publicApi */
export const InjectOAuthMcpStore = (): ParameterDecorator => Inject(OAUTH_MCP_STORE);

/** Token of the module options as given to `forRoot` / returned by the `forRootAsync` factory. @publicApi */
export const getOAuthMcpOptionsToken = (): string | symbol => MODULE_OPTIONS_TOKEN;

/** Injects the module options as given (the validated, resolved form is `OAuthMcpConfigService.config`). @publicApi */
export const InjectOAuthMcpOptions = (): ParameterDecorator => Inject(MODULE_OPTIONS_TOKEN);
