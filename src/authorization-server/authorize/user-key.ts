import { sha256 } from '../crypto/random.js';

/**
 * The key a user is known by in the store (sessions, remembered consents, their grants): the upstream
 * issuer and `sub` hashed together, so a `sub` reused by another IdP never meets this one's records.
 */
export function userKeyOf(upstreamIssuer: string, sub: string): string {
  return sha256(`${upstreamIssuer}|${sub}`);
}
