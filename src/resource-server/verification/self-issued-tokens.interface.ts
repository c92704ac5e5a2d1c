import type { KeyObject } from 'node:crypto';

/**
 * What the resource server needs from this server's own authorization server (proxy mode), provided
 * by it under `OAUTH_MCP_SELF_ISSUED` so that verification never imports the authorization server.
 */
export interface SelfIssuedTokens {
  /** The public key with this `kid`, and the algorithm it signs with. */
  findKey(kid: string | undefined): { alg: string; publicKey: KeyObject } | undefined;
  /** Whether the grant (refresh-token family) a token belongs to was revoked; throws when the store is unreachable. */
  isRevoked(grantId: unknown): Promise<boolean>;
}
