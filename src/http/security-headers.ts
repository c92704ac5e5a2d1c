/** Minimal response surface used by the module (Express and Fastify raw replies both have it). */
export interface HeaderSink {
  setHeader(name: string, value: string | number | readonly string[]): unknown;
}

/** Headers on every response the module writes (seed guide "Security Headers"; catalogue K112). */
export function applySecurityHeaders(res: HeaderSink, cacheControl = 'no-store'): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', cacheControl);
}
