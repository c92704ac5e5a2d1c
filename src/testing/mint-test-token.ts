import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

/** Options of `mintTestToken`. @publicApi */
export interface MintTestTokenOptions {
  /** The HMAC secret the module is configured with (`JWT_SECRET`). */
  secret: string;
  /** Subject (`sub`). */
  sub: string;
  /** Granted scopes: a list, or one space-separated string. Omitted when empty. */
  scope?: string | readonly string[];
  /** Audience (`aud`): must contain the module's `OIDC_AUDIENCE`. */
  aud: string | readonly string[];
  /** Issuer (`iss`): needed when the module is configured with `OIDC_ISSUER`. */
  iss?: string;
  /** Lifetime in seconds. @default 3600 */
  ttlSeconds?: number;
  /** HS256, HS384 or HS512 (must be in `OAUTH_ALGORITHMS`). @default 'HS256' */
  alg?: 'HS256' | 'HS384' | 'HS512';
  /** Extra claims (`email`, `preferred_username`, `groups`…); the registered claims above win. */
  claims?: Record<string, unknown>;
}

/**
 * Mints an HMAC-signed JWT the `hmac` provider accepts: `sub`, `aud`, optional `iss`, `scope`
 * (space-separated), `iat`, `exp`, a random `jti`, header `typ: JWT`. For tests and local use only:
 * whoever holds `JWT_SECRET` can mint any identity.
 * @publicApi
 */
export function mintTestToken(options: MintTestTokenOptions): Promise<string> {
  const ttl = options.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new RangeError('ttlSeconds must be a positive whole number');
  const scope = typeof options.scope === 'string' ? options.scope.trim() : (options.scope ?? []).join(' ');
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    ...options.claims,
    sub: options.sub,
    aud: typeof options.aud === 'string' ? options.aud : [...options.aud],
    ...(options.iss ? { iss: options.iss } : {}),
    ...(scope ? { scope } : {}),
    iat: now,
    exp: now + ttl,
    jti: randomUUID(),
  };
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(options.secret));
}
