/**
 * `nestjs-oauth-mcp/health`: the @nestjs/terminus indicator (terminus is an optional peer, loaded only
 * through this entry).
 */
export { OAuthMcpHealthIndicator, type OAuthMcpHealthOptions } from './oauth-mcp.health-indicator.js';
