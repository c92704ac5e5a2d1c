/**
 * Every key this module writes to its store, in one place: what lives where, and which entries are
 * short-lived flow state an LRU may evict (`FLOW_KEY_PREFIXES`) rather than security state that must
 * only expire. Callers pass hashes (never raw codes, tokens or secrets) wherever a key is derived from one.
 */
export const StoreKeys = {
  /** A registered (or remembered static) client. */
  client: (clientId: string) => `client:${clientId}`,
  /** Live-client counters, per hour (`new`, `new-gone`) or per day (`used`, `used-gone`). */
  clientCounter: (kind: 'new' | 'new-gone' | 'used' | 'used-gone', bucket: number | string) => `clients:${kind}:${bucket}`,
  /** A pending consent request, by the SHA-256 of its request id. */
  consentRequest: (requestIdHash: string) => `consent-req:${requestIdHash}`,
  /** A pending upstream sign-in, by the SHA-256 of its `state`. */
  upstreamState: (stateHash: string) => `upstream-state:${stateHash}`,
  /** An unused authorization code, by its SHA-256. */
  code: (codeHash: string) => `code:${codeHash}`,
  /** A redeemed authorization code (replay detection), by its SHA-256. */
  codeUsed: (codeHash: string) => `code-used:${codeHash}`,
  /** A consent-flow browser session, by the SHA-256 of its cookie. */
  session: (sidHash: string) => `session:${sidHash}`,
  /** A remembered approval of one user for one client. */
  consent: (userKey: string, clientIdHash: string) => `consent:${userKey}:${clientIdHash}`,
  /** A grant: one refresh-token family (its deletion revokes every token of the grant). */
  family: (fid: string) => `family:${fid}`,
  /** The grants of one user (fid, client, scopes, first and last use): what "Connected apps" lists. */
  userGrants: (userKey: string) => `user-grants:${userKey}`,
  /** Refresh token → its family, by the token's SHA-256. */
  refreshToken: (tokenHash: string) => `rt:${tokenHash}`,
  /** Revocation marker of one grant (outlives its access tokens, so cached tokens are refused too). */
  revokedFamily: (fid: string) => `revoked:fam:${fid}`,
  /** Lock held while one replica refreshes a grant's upstream tokens. */
  upstreamRefreshLock: (fid: string) => `lock:upstream-refresh:${fid}`,
  /** The sealed upstream tokens of one grant. */
  upstreamTokens: (fid: string) => `upstream-tokens:${fid}`,
  /** A single-use identifier (assertion `jti`, …) of one kind, by hash. */
  singleUse: (kind: string, hash: string) => `jti:${kind}:${hash}`,
  /** A used DPoP proof (RFC 9449 §11.1 replay), by the SHA-256 of its key thumbprint and `jti`. */
  dpopJti: (hash: string) => `dpop-jti:${hash}`,
  /** The key the DPoP nonces of every replica are made with (created once, first writer wins). */
  dpopNonceKey: () => 'keys:dpop-nonce',
  /** A rate-limit counter of one throttler, by the SHA-256 of its tracker. */
  rate: (throttler: string, trackerHash: string) => `rate:${throttler}:${trackerHash}`,
  /** The block a rate-limit counter started (until when, ms since epoch): read before any work is done. */
  rateBlock: (rateKey: string) => `${rateKey}:blocked`,
  /** This server's sealed signing keys. */
  signingKeys: () => 'keys:signing',
} as const;

/** Short-lived, attacker-creatable entries: these may be evicted (an abandoned sign-in just has to restart). */
export const FLOW_KEY_PREFIXES: readonly string[] = ['consent-req:', 'upstream-state:', 'code:', 'rate:'];
