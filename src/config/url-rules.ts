/**
 * URL rules shared by the config checks (and later the redirect-URI checks). Parsing is strict:
 * the raw string must already be what the WHATWG parser would produce for its scheme and host,
 * so nothing is normalised before it is compared.
 */

/** Exact loopback host literals (RFC 8252 §7.3); `LOCALHOST`, `127.1` or `0x7f000001` are not. */
export const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.has(hostname);
}

/** `new URL()` without throwing; rejects control characters and whitespace the parser would strip. */
export function parseUrlStrict(raw: unknown): URL | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(raw)) return undefined;
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

export type UrlProblem = 'unparseable' | 'not-http' | 'insecure' | 'insecure-production' | 'fragment' | 'query' | 'credentials' | 'wildcard';

/**
 * Checks a server-side URL (issuer, JWKS URI, public server URL): http(s) only, https unless the host
 * is a loopback literal, and https always in production; no credentials, fragment or query.
 */
export function checkServerUrl(raw: unknown, production: boolean): UrlProblem | undefined {
  if (typeof raw === 'string' && raw.includes('*')) return 'wildcard';
  const url = parseUrlStrict(raw);
  if (!url) return 'unparseable';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'not-http';
  if (url.username || url.password) return 'credentials';
  if (url.hash || (raw as string).includes('#')) return 'fragment';
  if (url.search || (raw as string).includes('?')) return 'query';
  if (url.protocol === 'http:') {
    if (!isLoopbackHostname(url.hostname)) return 'insecure';
    if (production) return 'insecure-production';
  }
  return undefined;
}

/**
 * O4: this server's own URL becomes `iss`, `aud` and every published endpoint, and decides https
 * (cookies, HSTS), so it must already be what the WHATWG parser prints: lowercase scheme and host,
 * no default port, IP addresses in their one canonical form, no dot segments, and no trailing dot
 * on the host name (`mcp.example.com.` is another name for the same host). A trailing slash is fine.
 */
export function isCanonicalServerUrl(raw: unknown): boolean {
  const url = parseUrlStrict(raw);
  if (!url) return false;
  const href = url.href;
  return (href === raw || href === `${raw as string}/`) && !url.hostname.endsWith('.');
}

export const CANONICAL_SERVER_URL_TEXT =
  'must be canonical, as browsers and clients write it: lowercase scheme and host (punycode for international names), no default port, no trailing dot, IP addresses in dotted or compressed form, no dot segments (e.g. https://mcp.example.com)';

export const URL_PROBLEM_TEXT: Record<UrlProblem, string> = {
  unparseable: 'must be an absolute URL',
  'not-http': 'must use https',
  insecure: 'must use https (http is only allowed for localhost, 127.0.0.1 and [::1])',
  'insecure-production': 'must use https when NODE_ENV=production (even on loopback)',
  fragment: 'must not contain a fragment',
  query: 'must not contain a query string',
  credentials: 'must not contain credentials',
  wildcard: 'must not contain a wildcard',
};

/** OpenID Connect Discovery §4: the issuer (one trailing slash dropped) + `/.well-known/openid-configuration`. */
export function discoveryUrlOf(issuer: string): string {
  return `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`;
}
