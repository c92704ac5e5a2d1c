import { createPublicKey, type KeyObject } from 'node:crypto';
import { Logger, type LoggerService } from '@nestjs/common';
import jwksRsa from 'jwks-rsa';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { isUsableVerificationKey, keyFitsAlgorithm, type PublicJwk } from './jwk-rules.js';
import { OidcDiscovery } from './oidc-discovery.js';
import { fetchJsonObject } from './safe-fetch.js';

interface CachedKey {
  jwk: PublicJwk;
  pem: string;
  /** Parsed once per fetch; a PEM string would be re-parsed by jsonwebtoken on every verification. */
  key: KeyObject;
}

/** jwks-rsa converts one JWK to PEM; RSA keys under 2048 bits are refused (RFC 8725 §3.5). */
async function toPem(jwk: PublicJwk): Promise<string | undefined> {
  const client = new jwksRsa.JwksClient({ jwksUri: 'about:blank', cache: false, fetcher: async () => ({ keys: [jwk] }) });
  try {
    const [signingKey] = await client.getSigningKeys();
    const pem = signingKey.getPublicKey();
    const details = createPublicKey(pem).asymmetricKeyDetails;
    if (jwk.kty === 'RSA' && (details?.modulusLength ?? 0) < 2048) return undefined;
    return pem;
  } catch {
    return undefined;
  }
}

/**
 * The upstream's verification keys. jwks-rsa turns the JWKS into PEM keys; this class decides when
 * to fetch: one fetch in flight at a time (concurrent misses share it), a refetch for an unknown
 * `kid` at most once per cooldown, a background-age refresh, and keys that were already known keep
 * working when a refresh fails. Nothing here ever lets a token in on a fetch error.
 */
export class JwksKeyStore {
  private keys: CachedKey[] = [];
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;
  private readonly logger: LoggerService;
  /** Number of JWKS documents fetched; exposed for tests and benchmarks. */
  fetchCount = 0;

  constructor(
    private readonly config: ResolvedOAuthMcpConfig,
    private readonly discovery: OidcDiscovery,
    private readonly onKeysRemoved: () => void = () => undefined,
  ) {
    this.logger = config.logger ?? new Logger('OAuthMcp:JWKS');
  }

  /** The public key that may verify a token with this header, or a 401. */
  async getKey(kid: string | undefined, alg: string): Promise<KeyObject> {
    const now = Date.now();
    // Stale keys are refreshed, but never more than once per cooldown (an IdP outage is not a fetch per request).
    if (now - this.fetchedAt > this.config.jwksMaxAgeMs && now - this.lastAttemptAt >= this.config.jwksCooldownMs) await this.refresh(now);
    let key = this.find(kid, alg);
    // A request that waited for a fetch in flight never starts another one: one fetch per herd.
    if (!key && this.inflight) {
      await this.inflight;
      key = this.find(kid, alg);
      if (!key) throw new InvalidTokenError(TOKEN_MESSAGES.unknownKey);
    }
    if (!key && Date.now() - this.lastAttemptAt >= this.config.jwksCooldownMs) {
      await this.refresh(Date.now());
      key = this.find(kid, alg);
    }
    if (!key) throw new InvalidTokenError(TOKEN_MESSAGES.unknownKey);
    return key.key;
  }

  /** Runs discovery and a first fetch; throws only what must stop the application (issuer mismatch). */
  async warmUp(): Promise<void> {
    await this.discovery.jwksUri();
    await this.refresh();
  }

  /** Fetches now (single flight). Errors are logged and swallowed: known keys stay in use. */
  refresh(now = Date.now()): Promise<void> {
    this.inflight ??= this.load(now).finally(() => {
      // The cooldown runs from the end of an attempt, however long the fetch took.
      this.lastAttemptAt = Date.now();
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private find(kid: string | undefined, alg: string): CachedKey | undefined {
    const candidates = this.keys.filter((k) => (kid === undefined || k.jwk.kid === kid) && keyFitsAlgorithm(k.jwk, alg));
    // Without a kid, or with a duplicated kid, only an unambiguous match is used.
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  private async load(now: number): Promise<void> {
    this.lastAttemptAt = now;
    try {
      const jwksUri = await this.discovery.jwksUri();
      this.fetchCount++;
      const doc = await fetchJsonObject(jwksUri, {
        timeoutMs: this.config.fetchTimeoutMs,
        maxBytes: this.config.fetchMaxBytes,
      });
      if (!Array.isArray(doc.keys)) throw new Error('the JWKS has no "keys" array');
      const next: CachedKey[] = [];
      for (const jwk of doc.keys as PublicJwk[]) {
        if (typeof jwk !== 'object' || jwk === null || !isUsableVerificationKey(jwk)) continue;
        const pem = await toPem(jwk);
        if (pem) next.push({ jwk, pem, key: createPublicKey(pem) });
      }
      if (next.length === 0) throw new Error('the JWKS contains no usable signing key');
      const removed = this.keys.some((old) => !next.some((k) => k.pem === old.pem));
      this.keys = next;
      this.fetchedAt = now;
      if (removed) this.onKeysRemoved();
    } catch (err) {
      this.logger.warn(`JWKS refresh failed (${(err as Error).message}); keeping ${this.keys.length} known key(s)`);
    }
  }
}
