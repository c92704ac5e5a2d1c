import { SCOPE_TOKEN } from '../config/oauth-mcp-options.schema.js';
import { InsufficientScopeError, InvalidTokenError, type OAuthError } from '../errors/oauth.errors.js';

/**
 * Step-up scope: the token's scopes plus the required ones, each once (2026-07-28: one challenge names
 * all scopes the operation needs, so a client re-authorizing with it keeps what it had). Token scopes
 * come from the IdP's claims, so only valid scope-tokens are echoed into the header.
 */
function stepUpScopes(err: InsufficientScopeError): string[] {
  return [...new Set([...err.grantedScopes.filter((s) => SCOPE_TOKEN.test(s)), ...err.requiredScopes])];
}

/** How the resource server takes DPoP (RFC 9449 §7.1): the proof algorithms, and whether Bearer is refused. */
export interface DpopChallengeSettings {
  readonly algs: readonly string[];
  readonly required: boolean;
}

/**
 * The resource server's challenges (RFC 9449 §7.1): `Bearer` (when bearer tokens are accepted), then
 * `DPoP algs="…"`, in one header value. The error goes in the challenge of the scheme it is about: a
 * refused proof (`invalid_dpop_proof`, `use_dpop_nonce`) in `DPoP`, anything else in `Bearer`; when
 * DPoP is required the `DPoP` challenge alone carries everything (the v2 SDK reads it there).
 */
export function resourceChallenges(err: OAuthError, resourceMetadataUrl: string, defaultScopes: readonly string[], dpop: DpopChallengeSettings): string {
  const algs = `algs="${dpop.algs.join(' ')}"`;
  if (dpop.required) return `DPoP ${algs}, ${bearerChallenge(err, resourceMetadataUrl, defaultScopes).slice('Bearer '.length)}`;
  if (err.challenge !== 'DPoP') return `${bearerChallenge(err, resourceMetadataUrl, defaultScopes)}, DPoP ${algs}`;
  const bearer = bearerChallenge(new InvalidTokenError(err.description, true), resourceMetadataUrl, defaultScopes);
  return `${bearer}, DPoP ${algs}, error="${err.error}", error_description="${err.description}"`;
}

/**
 * One `WWW-Authenticate` value, `Bearer` first, every parameter quoted (RFC 6750 §3; MCP clients split
 * on the first space and require `bearer`). No credentials at all: no `error` (RFC 6750 §3.1). Values
 * are fixed strings, scope-tokens (configured, or checked) and our own URL, so none needs escaping.
 */
export function bearerChallenge(err: OAuthError, resourceMetadataUrl: string, defaultScopes: readonly string[]): string {
  const params: string[] = [];
  if (err instanceof InsufficientScopeError) {
    params.push(`error="${err.error}"`, `scope="${stepUpScopes(err).join(' ')}"`, `resource_metadata="${resourceMetadataUrl}"`);
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
