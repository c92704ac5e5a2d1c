/** A cookie the module sets: always HttpOnly; `__Host-` prefixed and Secure when served over https. */
export interface CookieSpec {
  name: string;
  value: string;
  maxAgeSeconds: number;
  sameSite: 'Lax' | 'Strict';
}

/** The browser session of a signed-in user (remembered consent, the connected-apps page). */
export const SESSION_COOKIE = 'mcp_session';

/** `__Host-` needs https; on http loopback in development the plain name is used. */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

export function serializeCookie(c: CookieSpec, secure: boolean): string {
  return [`${c.name}=${c.value}`, 'Path=/', 'HttpOnly', `SameSite=${c.sameSite}`, `Max-Age=${c.maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ');
}

/** The request's cookies (its single `Cookie` header, parsed). */
export function requestCookies(req: { headers: Record<string, unknown> }): Record<string, string> {
  const header = req.headers.cookie;
  return parseCookies(typeof header === 'string' ? header : undefined);
}

/** Parses a Cookie header; only the module's own cookie names are ever read from it. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
