/** @internal DI tokens; not exported from the package. */
export const OAUTH_MCP_KEY_STORE = 'OAUTH_MCP:KEY_STORE';
export const OAUTH_MCP_TOKEN_CACHE = 'OAUTH_MCP:TOKEN_CACHE';
export const OAUTH_MCP_STRATEGIES = 'OAUTH_MCP:STRATEGIES';
export const OAUTH_MCP_STORE = 'OAUTH_MCP:STORE';
export const OAUTH_MCP_AUDIT_SINK = 'OAUTH_MCP:AUDIT_SINK';
export const OAUTH_MCP_SELF_ISSUED = 'OAUTH_MCP:SELF_ISSUED';
