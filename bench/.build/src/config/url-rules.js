/**
 * URL rules shared by the config checks (and later the redirect-URI checks). Parsing is strict:
 * the raw string must already be what the WHATWG parser would produce for its scheme and host,
 * so nothing is normalised before it is compared.
 */
/** Exact loopback host literals (RFC 8252 §7.3); `LOCALHOST`, `127.1` or `0x7f000001` are not. */
export const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
export function isLoopbackHostname(hostname) {
    return LOOPBACK_HOSTNAMES.has(hostname);
}
/** `new URL()` without throwing; rejects control characters and whitespace the parser would strip. */
export function parseUrlStrict(raw) {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048)
        return undefined;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0020\u007f\\]/.test(raw))
        return undefined;
    try {
        return new URL(raw);
    }
    catch {
        return undefined;
    }
}
/**
 * Checks a server-side URL (issuer, JWKS URI, public server URL): http(s) only, https unless the host
 * is a loopback literal, and https always in production; no credentials, fragment or query.
 */
export function checkServerUrl(raw, production) {
    if (typeof raw === 'string' && raw.includes('*'))
        return 'wildcard';
    const url = parseUrlStrict(raw);
    if (!url)
        return 'unparseable';
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        return 'not-http';
    if (url.username || url.password)
        return 'credentials';
    if (url.hash || raw.includes('#'))
        return 'fragment';
    if (url.search || raw.includes('?'))
        return 'query';
    if (url.protocol === 'http:') {
        if (!isLoopbackHostname(url.hostname))
            return 'insecure';
        if (production)
            return 'insecure-production';
    }
    return undefined;
}
export const URL_PROBLEM_TEXT = {
    unparseable: 'must be an absolute URL',
    'not-http': 'must use https',
    insecure: 'must use https (http is only allowed for localhost, 127.0.0.1 and [::1])',
    'insecure-production': 'must use https when NODE_ENV=production (even on loopback)',
    fragment: 'must not contain a fragment',
    query: 'must not contain a query string',
    credentials: 'must not contain credentials',
    wildcard: 'must not contain a wildcard',
};
