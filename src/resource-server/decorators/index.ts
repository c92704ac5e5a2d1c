export * from './current-user.decorator.js';
export * from './public.decorator.js';
export * from './require-scopes.decorator.js';
export * from './mcp-body.decorator.js';
