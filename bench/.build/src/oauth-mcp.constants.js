/** Metadata key written by `@Public()`. @publicApi */
export const IS_PUBLIC_KEY = 'oauth-mcp:is-public';
/** Metadata key written by `@RequireScopes()`. @publicApi */
export const REQUIRED_SCOPES_KEY = 'oauth-mcp:required-scopes';
/** Metadata key written by `@RequireToolScopes()`. @publicApi */
export const REQUIRED_TOOL_SCOPES_KEY = 'oauth-mcp:required-tool-scopes';
