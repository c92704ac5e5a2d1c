import { isLoopbackHostname, parseUrlStrict } from './url-rules.js';

/** Schemes never accepted as a redirect target, whatever the configuration says. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'ws:', 'wss:']);

/** What the authorization response adds to the redirect URI: a registered one must not already carry them. */
const RESPONSE_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'];

export interface RedirectUriRules {
  /** Private-use schemes (RFC 8252 §7.1) accepted for native apps, e.g. `cursor`, `vscode`. */
  readonly allowedSchemes: readonly string[];
  /** When non-empty, every redirect URI must match one of these (exact, loopback port relaxed). */
  readonly allowlist: readonly string[];
}

/**
 * The syntax every redirect URI obeys, whether a client registers it or sends it to /oauth/authorize,
 * so the two can never disagree. The raw string must already be canonical (exactly what the WHATWG
 * parser prints), which rules out every degenerate authority at once: an empty port (`:/`), leading
 * zeros, a default port, case in the scheme or host, percent-encoding or a trailing dot in an IP host,
 * IPv4 and IPv6 written any other way, empty userinfo (`@host`), dot segments. What still parses
 * canonically is checked explicitly: credentials, port 0, http on anything but a loopback literal
 * (`localhost`, `127.0.0.1`, `[::1]`; not `localhost.`), and the response's own parameters. IPv6 zone
 * ids and ports above 65535 do not parse at all.
 */
export function redirectUriSyntaxProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return 'must be a string';
  if (raw.includes('#')) return 'must not contain a fragment';
  if (raw.includes('*')) return 'must not contain a wildcard';
  const url = parseUrlStrict(raw);
  if (!url || /[^\x21-\x7e]/.test(raw)) return 'must be an absolute URI of printable ASCII, without spaces, control characters or backslashes';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return 'uses a forbidden scheme';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.href !== raw) {
    return 'must be in canonical form (lowercase scheme and host, no empty, default or zero-padded port, no credentials, no dot segments, IP addresses written the usual way)';
  }
  if (url.port === '0') return 'must not use port 0';
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) return 'must use https unless the host is localhost, 127.0.0.1 or [::1]';
  if (RESPONSE_PARAMETERS.some((name) => url.searchParams.has(name))) {
    return `must not carry the authorization response parameters (${RESPONSE_PARAMETERS.join(', ')}) in its query`;
  }
  return undefined;
}

/** Why a redirect URI may not be registered (or used), or undefined: the syntax, the allowed schemes, the allowlist. */
export function redirectUriProblem(raw: unknown, rules: RedirectUriRules): string | undefined {
  const syntax = redirectUriSyntaxProblem(raw);
  if (syntax) return syntax;
  const scheme = new URL(raw as string).protocol.slice(0, -1);
  if (scheme !== 'https' && scheme !== 'http' && !rules.allowedSchemes.includes(scheme)) {
    return 'uses a private-use scheme that is not allowed on this server';
  }
  if (!allowedByServer(raw as string, rules.allowlist)) return 'is not in the server allowlist (OAUTH_REDIRECT_URIS)';
  return undefined;
}

/** Redirect allowlist entries obey the same policy as registered redirect URIs (one rule set, not two). */
export function redirectAllowlistProblem(value: unknown, allowedSchemes: readonly string[] = []): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return 'must be a list of absolute redirect URIs';
  const problem = value.map((entry) => redirectUriProblem(entry, { allowedSchemes, allowlist: [] })).find(Boolean);
  return problem ? `contains an entry that ${problem}` : undefined;
}

/** O2: the server allowlist (`OAUTH_REDIRECT_URIS`) limits every client, whatever its source; empty = no limit. */
export function allowedByServer(uri: string, allowlist: readonly string[]): boolean {
  return allowlist.length === 0 || allowlist.some((entry) => redirectUriMatches(uri, entry));
}

/** The URI with its port removed (everything else byte for byte as the parser prints it). */
function withoutPort(url: URL): string {
  const copy = new URL(url.href);
  copy.port = '';
  return copy.href;
}

/**
 * RFC 8252 §7.3 / RFC 9700 §4.1.3: an exact string match, except that for an http loopback URI
 * (`localhost`, `127.0.0.1`, `[::1]`) only the port may differ: everything else, the query and a bare
 * `?` included, must be identical. `localhost` never matches `127.0.0.1`. The requested URI must pass
 * the same syntax rules as a registered one.
 */
export function redirectUriMatches(requested: string, registered: string): boolean {
  if (redirectUriSyntaxProblem(requested) !== undefined) return false;
  if (requested === registered) return true;
  const req = new URL(requested);
  const reg = parseUrlStrict(registered);
  if (!reg || req.protocol !== 'http:' || reg.protocol !== 'http:') return false;
  return isLoopbackHostname(req.hostname) && req.hostname === reg.hostname && withoutPort(req) === withoutPort(reg);
}

/** The registered URI the requested one matches, or undefined. */
export function findRegisteredRedirectUri(requested: string, registered: readonly string[]): string | undefined {
  return registered.find((r) => redirectUriMatches(requested, r));
}
