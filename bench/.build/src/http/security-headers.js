/** Headers on every response the module writes (seed guide "Security Headers"; catalogue K112). */
export function applySecurityHeaders(res, cacheControl = 'no-store') {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', cacheControl);
}
