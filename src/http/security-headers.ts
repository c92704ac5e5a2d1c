/** Minimal response surface used by the module (Express responses and Node's own `ServerResponse`). */
export interface HeaderSink {
  setHeader(name: string, value: string | number | readonly string[]): unknown;
}

/** Headers on every response the module writes (seed guide "Security Headers"; catalogue K112). */
export const SECURITY_HEADERS: readonly [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
];

export function applySecurityHeaders(res: HeaderSink, cacheControl = 'no-store'): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  res.setHeader('Cache-Control', cacheControl);
}
