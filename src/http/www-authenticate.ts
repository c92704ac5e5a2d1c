import { InsufficientScopeError, InvalidTokenError, type OAuthError } from '../errors/oauth.errors.js';

/**
 * One `WWW-Authenticate` value, `Bearer` first, every parameter quoted (RFC 6750 §3; MCP clients split
 * on the first space and require `bearer`). No credentials at all: no `error` (RFC 6750 §3.1). Values
 * are fixed strings, validated scope tokens and our own URL, so none needs escaping.
 */
export function bearerChallenge(err: OAuthError, resourceMetadataUrl: string, defaultScopes: readonly string[]): string {
  const params: string[] = [];
  if (err instanceof InsufficientScopeError) {
    params.push(`error="${err.error}"`, `scope="${err.requiredScopes.join(' ')}"`, `resource_metadata="${resourceMetadataUrl}"`);
    params.push(`error_description="${err.description}"`);
    return `Bearer ${params.join(', ')}`;
  }
  if (!(err instanceof InvalidTokenError && err.missing)) {
    params.push(`error="${err.error}"`, `error_description="${err.description}"`);
  }
  params.push(`resource_metadata="${resourceMetadataUrl}"`);
  if (defaultScopes.length > 0) params.push(`scope="${defaultScopes.join(' ')}"`);
  return `Bearer ${params.join(', ')}`;
}
