import { createPublicKey, type KeyObject } from 'node:crypto';
import { Logger, type LoggerService } from '@nestjs/common';
import jwksRsa from 'jwks-rsa';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { isUsableVerificationKey, keyFitsAlgorithm, meetsMinimumKeySize, type PublicJwk } from './jwk-rules.js';
import { OidcDiscovery } from './oidc-discovery.js';
import { fetchJsonObject } from './safe-fetch.js';

/** Distinct kids jwks-rsa keeps converted (an IdP publishes a handful; Entra ID up to ~10). */
const CACHED_KIDS = 64;

/** The public members that make a key what it is: a kid that comes back with new material is a new key. */
const identity = (jwk: PublicJwk): string => JSON.stringify([jwk.kid, jwk.kty, jwk.crv, jwk.n, jwk.e, jwk.x, jwk.y]);

/**
 * The upstream's verification keys. jwks-rsa's `JwksClient` turns JWKs into keys, caches them per
 * `kid` (`cacheMaxAge` = `jwks.maxAgeMs`) and selects one by `kid`. Its `fetcher` reads the JWKS this
 * store last fetched; the rules below are the catalogue's guarantees jwks-rsa does not give, each
 * saying why. Nothing here lets a token in on a fetch error.
 */
export class JwksKeyStore {
  /** Usable keys of the last JWKS fetched successfully. */
  private published: PublicJwk[] = [];
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;
  private client: jwksRsa.JwksClient;
  /** The key jwks-rsa gave for each published JWK since the last fetch, parsed. */
  private readonly parsed = new WeakMap<PublicJwk, KeyObject>();
  private readonly logger: LoggerService;
  /** Number of JWKS documents fetched; exposed for tests and benchmarks. */
  fetchCount = 0;

  constructor(
    private readonly config: ResolvedOAuthMcpConfig,
    private readonly discovery: OidcDiscovery,
    private readonly onKeysRemoved: () => void = () => undefined,
  ) {
    this.logger = config.logger ?? new Logger('OAuthMcp:JWKS');
    this.client = this.newClient();
  }

  /**
   * The public key that may verify a token with this header, or a 401. Synchronous once the key was
   * used since the last fetch (no promise, no event-loop hop on the cold verification path).
   */
  getKey(kid: string | undefined, alg: string): KeyObject | Promise<KeyObject> {
    const now = Date.now();
    // jwks-rsa expires each kid on its own timer and never sees a key leave the set: the whole set is
    // refreshed at `jwks.maxAgeMs`, at most once per cooldown (an IdP outage is not a fetch per request).
    const stale = now - this.fetchedAt > this.config.jwksMaxAgeMs && this.mayFetch(now);
    const jwk = stale ? undefined : this.select(kid, alg);
    const key = jwk && this.parsed.get(jwk);
    return key ?? this.lookUp(kid, alg, stale);
  }

  private async lookUp(kid: string | undefined, alg: string, stale: boolean): Promise<KeyObject> {
    if (stale) await this.refresh();
    let jwk = this.select(kid, alg);
    // jwks-rsa fetches on every cache miss, one GET per unknown kid: here a request that waited for
    // the fetch in flight never starts another (one fetch per herd), and an unknown kid triggers at
    // most one fetch per cooldown (a random-kid flood costs one GET per 30 s).
    if (!jwk && this.inflight) {
      await this.inflight;
      jwk = this.select(kid, alg);
    } else if (!jwk && this.mayFetch(Date.now())) {
      await this.refresh();
      jwk = this.select(kid, alg);
    }
    if (!jwk) throw new InvalidTokenError(TOKEN_MESSAGES.unknownKey);
    return this.fromJwksRsa(jwk);
  }

  /** Runs discovery and a first fetch; throws only what must stop the application (issuer mismatch). */
  async warmUp(): Promise<void> {
    await this.discovery.jwksUri();
    await this.refresh();
  }

  /** Fetches now (single flight). Errors are logged and swallowed: known keys stay in use. */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      // The cooldown runs from the end of an attempt, however long the fetch took.
      this.lastAttemptAt = Date.now();
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private mayFetch(now: number): boolean {
    return now - this.lastAttemptAt >= this.config.jwksCooldownMs;
  }

  /**
   * jwks-rsa selects by `kid` alone (the first of a duplicated kid; any single key when the token has
   * none) and ignores `alg`, `key_ops` and key size: only an unambiguous key that fits the token's
   * `alg` is used (RFC 8725 §3.1, catalogue C33/C34).
   */
  private select(kid: string | undefined, alg: string): PublicJwk | undefined {
    const candidates = this.published.filter((k) => (kid === undefined || k.kid === kid) && keyFitsAlgorithm(k, alg));
    if (candidates.length !== 1) return undefined;
    const [jwk] = candidates;
    // jwks-rsa finds a key by its kid, or a kid-less key only when it is the only one.
    const addressable = typeof jwk.kid === 'string' ? this.published.filter((k) => k.kid === jwk.kid).length === 1 : this.published.length === 1;
    return addressable ? jwk : undefined;
  }

  /**
   * jwks-rsa's client converts the key, caches it per kid and finds it by kid. Its answer is kept,
   * parsed, with the published JWK it was selected for: even a cache hit of jwks-rsa answers through
   * lru-memoizer's setImmediate, about 20 µs of CPU per verification (bench/README.md).
   */
  private async fromJwksRsa(jwk: PublicJwk): Promise<KeyObject> {
    let signingKey: jwksRsa.SigningKey;
    try {
      signingKey = await this.client.getSigningKey(jwk.kid as string | undefined);
    } catch {
      throw new InvalidTokenError(TOKEN_MESSAGES.unknownKey);
    }
    // Parsed once: given PEM, jsonwebtoken would parse it on every verification.
    const key = createPublicKey(signingKey.getPublicKey());
    // Still the published set (a refresh may have replaced it meanwhile): then it is kept for this JWK.
    if (this.published.includes(jwk)) this.parsed.set(jwk, key);
    return key;
  }

  private newClient(): jwksRsa.JwksClient {
    return new jwksRsa.JwksClient({
      cache: true,
      cacheMaxEntries: CACHED_KIDS,
      cacheMaxAge: this.config.jwksMaxAgeMs,
      // The cooldown above limits fetches; jwks-rsa's token bucket would refuse known kids in a herd.
      rateLimit: false,
      // jwks-rsa's own GET reads any body size with only a socket idle timeout, and follows the JWKS
      // wherever it says: the document comes from this store's capped, redirect-free fetch instead.
      fetcher: async () => ({ keys: this.published }),
    });
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = Date.now();
    try {
      const jwksUri = await this.discovery.jwksUri();
      this.fetchCount++;
      const doc = await fetchJsonObject(jwksUri, { timeoutMs: this.config.fetchTimeoutMs, maxBytes: this.config.fetchMaxBytes });
      if (!Array.isArray(doc.keys)) throw new Error('the JWKS has no "keys" array');
      const next = (doc.keys as unknown[]).filter(
        (k): k is PublicJwk =>
          typeof k === 'object' && k !== null && !Array.isArray(k) && isUsableVerificationKey(k as PublicJwk) && meetsMinimumKeySize(k as PublicJwk),
      );
      if (next.length === 0) throw new Error('the JWKS contains no usable signing key');
      const kept = new Set(next.map(identity));
      const removed = this.published.some((old) => !kept.has(identity(old)));
      this.published = next;
      this.fetchedAt = Date.now();
      if (removed) {
        // jwks-rsa would serve a key that left the JWKS until its cache entry expires: a fresh client
        // forgets it now, and tokens it verified leave the validated-token cache (catalogue B29).
        this.client = this.newClient();
        this.onKeysRemoved();
      }
    } catch (err) {
      // Fail closed for new keys, keep the known ones: jwks-rsa would drop a key whose cache entry
      // expired while the IdP is down.
      this.logger.warn(`JWKS refresh failed (${(err as Error).message}); keeping ${this.published.length} known key(s)`);
    }
  }
}
