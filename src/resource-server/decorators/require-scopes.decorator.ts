import { SetMetadata } from '@nestjs/common';
import { REQUIRED_SCOPES_KEY, REQUIRED_TOOL_SCOPES_KEY } from '../../oauth-mcp.constants.js';

/**
 * Every listed scope is needed; a valid token lacking one gets 403 `insufficient_scope` naming all of
 * them. @publicApi
 */
export const RequireScopes = (...scopes: string[]) => SetMetadata(REQUIRED_SCOPES_KEY, scopes);

/**
 * Scopes needed per MCP tool, checked by `McpAuthGuard` on `tools/call` before the request reaches
 * the MCP server, so clients get an HTTP 403 step-up challenge. @publicApi
 * @example @RequireToolScopes({ admin_ping: ['mcp:admin'] })
 */
export const RequireToolScopes = (scopesByTool: Record<string, string[]>) => SetMetadata(REQUIRED_TOOL_SCOPES_KEY, scopesByTool);
