import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';

/**
 * RFC 8707 `resource`: the MCP endpoint exactly, or this server's origin with or without the slash
 * `URL.href` adds (the SDK sends either). Nothing is normalised.
 */
export function isThisResource(config: ResolvedOAuthMcpConfig, resource: string): boolean {
  const origin = new URL(config.serverUrl).origin;
  return resource === config.resource || resource === origin || resource === `${origin}/`;
}
