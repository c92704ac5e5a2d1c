export * from './oauth-mcp-options.interface.js';
export * from './oauth-mcp-user.interface.js';
