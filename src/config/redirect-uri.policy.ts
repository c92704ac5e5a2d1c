import { isLoopbackHostname, parseUrlStrict } from './url-rules.js';

/** Schemes never accepted as a redirect target, whatever the configuration says. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'ws:', 'wss:']);

export interface RedirectUriRules {
  /** Private-use schemes (RFC 8252 §7.1) accepted for native apps, e.g. `cursor`, `vscode`. */
  readonly allowedSchemes: readonly string[];
  /** When non-empty, every redirect URI must match one of these (exact, loopback port relaxed). */
  readonly allowlist: readonly string[];
}

/**
 * Why a redirect URI may not be registered (or used), or undefined. The raw string must already be
 * canonical (what the WHATWG parser would print), so no parser differential can make two checks
 * disagree; http only for loopback literals; no fragment, credentials or wildcard.
 */
export function redirectUriProblem(raw: unknown, rules: RedirectUriRules): string | undefined {
  if (typeof raw !== 'string') return 'must be a string';
  if (raw.includes('#')) return 'must not contain a fragment';
  if (raw.includes('*')) return 'must not contain a wildcard';
  const url = parseUrlStrict(raw);
  if (!url) return 'must be an absolute URI without spaces, control characters or backslashes';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return 'uses a forbidden scheme';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:' || url.protocol === 'http:') {
    if (url.href !== raw) return 'must be in canonical form (lowercase scheme and host, no default port, no dot segments)';
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) return 'must use https unless the host is localhost, 127.0.0.1 or [::1]';
  } else if (!rules.allowedSchemes.includes(url.protocol.slice(0, -1))) {
    return 'uses a private-use scheme that is not allowed on this server';
  }
  if (!allowedByServer(raw, rules.allowlist)) return 'is not in the server allowlist (OAUTH_REDIRECT_URIS)';
  return undefined;
}

/** O2: the server allowlist (`OAUTH_REDIRECT_URIS`) limits every client, whatever its source; empty = no limit. */
export function allowedByServer(uri: string, allowlist: readonly string[]): boolean {
  return allowlist.length === 0 || allowlist.some((entry) => redirectUriMatches(uri, entry));
}

/**
 * RFC 8252 §7.3 / RFC 9700 §4.1.3: an exact string match, except that for an http loopback URI
 * (`localhost`, `127.0.0.1`, `[::1]`) only the port may differ. `localhost` never matches `127.0.0.1`.
 */
export function redirectUriMatches(requested: string, registered: string): boolean {
  if (requested === registered) return true;
  const req = parseUrlStrict(requested);
  const reg = parseUrlStrict(registered);
  if (!req || !reg || req.href !== requested) return false;
  return (
    req.protocol === 'http:' &&
    reg.protocol === 'http:' &&
    isLoopbackHostname(req.hostname) &&
    req.hostname === reg.hostname &&
    req.pathname === reg.pathname &&
    req.search === reg.search &&
    !req.username &&
    !req.password
  );
}

/** The registered URI the requested one matches, or undefined. */
export function findRegisteredRedirectUri(requested: string, registered: readonly string[]): string | undefined {
  return registered.find((r) => redirectUriMatches(requested, r));
}
