/** Scope token syntax (RFC 6749 §3.3), bounded; the challenge builder reuses it. @internal */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/**
 * Why a list of scopes a client, group or rule may be granted is unusable, or undefined: scope tokens,
 * each one this server supports (`OAUTH_SCOPES`), so a typo cannot silently grant nothing.
 */
export function supportedScopesProblem(value: unknown, supported: unknown): string | undefined {
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) return 'must list scope tokens';
  const known = Array.isArray(supported) ? supported : [];
  return value.every((s) => known.includes(s)) ? undefined : 'names a scope this server does not support (not in OAUTH_SCOPES)';
}
