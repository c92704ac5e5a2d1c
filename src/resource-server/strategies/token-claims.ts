import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
}

/** Where a token must come from and be meant for. */
export interface ClaimRules {
  /** Accepted `iss` values, byte for byte; empty: any (hmac without an issuer). */
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly clockSkewSeconds: number;
}

function audienceMatches(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && audiences.includes(a));
}

/**
 * The claim checks, run once jsonwebtoken has verified the signature, `exp` and `nbf`: the payload is
 * a JSON object, `aud` names this resource (RFC 8707; MCP: tokens issued for this server only), `iss`
 * is accepted exactly, `exp` is present and numeric (RFC 9068 §2.2; the SDK refuses tokens without
 * expiry), `iat` is not in the future, and `sub` is present. `aud` and `iss` are checked here rather
 * than through jsonwebtoken's options because it reports every claim mismatch as the same
 * `JsonWebTokenError`, told apart only by its message text; each failure here has its own reason.
 */
export function checkCommonClaims(payload: unknown, rules: ClaimRules): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  }
  const claims = payload as Record<string, unknown>;
  if (!audienceMatches(claims.aud, rules.audiences)) throw new InvalidTokenError(TOKEN_MESSAGES.audience);
  if (rules.issuers.length > 0 && !(typeof claims.iss === 'string' && rules.issuers.includes(claims.iss))) {
    throw new InvalidTokenError(TOKEN_MESSAGES.issuer);
  }
  const clockSkewSeconds = rules.clockSkewSeconds;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new InvalidTokenError(TOKEN_MESSAGES.claims);
  if (claims.iat !== undefined) {
    if (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + clockSkewSeconds) {
      throw new InvalidTokenError(TOKEN_MESSAGES.notYetValid);
    }
  }
  if (str(claims.sub) === undefined) throw new InvalidTokenError(TOKEN_MESSAGES.claims);
  return claims;
}

/**
 * Maps verified claims to the user; the provider-specific names (`scp`, `cid`, `roles`…) included.
 * `claims` becomes the user's (frozen): pass an object of this verification's own.
 */
export function toUser(claims: Record<string, unknown>, provider: string): OAuthMcpUser {
  const sub = claims.sub as string;
  const email = str(claims.email);
  return {
    sub,
    username: str(claims.preferred_username) ?? str(claims.username) ?? str(claims.upn) ?? email ?? sub,
    email,
    name: str(claims.name),
    groups: [...strings(claims.groups), ...strings(claims.roles)],
    scopes: claims.scope !== undefined ? strings(claims.scope) : strings(claims.scp),
    clientId: str(claims.client_id) ?? str(claims.azp) ?? str(claims.cid) ?? str(claims.appid),
    issuer: str(claims.iss),
    expiresAt: claims.exp as number,
    provider,
    // The payload object is this verification's own (parsed from the token): frozen, not copied.
    claims: Object.freeze(claims),
  };
}

/**
 * The `OAuthMcpUser` for claims an application strategy verified (introspection response, its own
 * JWT), mapped as the built-in strategies map theirs; override fields (e.g. `scopes`) as needed.
 * @publicApi
 */
export function oauthMcpUserFromClaims(claims: Record<string, unknown>, provider: string): OAuthMcpUser {
  return toUser({ ...claims }, provider);
}
