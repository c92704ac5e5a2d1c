import { Injectable, Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { clientJwkProblem, MAX_CLIENT_KEYS } from '../../config/client-jwks-rules.js';
import type { ClientRecord } from './client.interface.js';
import { guardedGet } from './guarded-fetch.js';

/** A client key set is small; anything bigger is refused before parsing. */
const JWKS_MAX_BYTES = 65_536;

interface FetchedKeys {
  keySet?: JWTVerifyGetKey;
  fetchedAt: number;
  lastAttemptAt: number;
  inflight?: Promise<void>;
}

/**
 * The public keys a `private_key_jwt` client signs its assertions with: its registered `jwks`, or its
 * `jwks_uri` fetched through the SSRF guard (`guardedGet`: https, or http and private addresses only
 * where `allowPrivateNetworkFetch` allows them; no redirects; a timeout and a byte cap). Fetched keys
 * are kept for `jwks.maxAgeMs`; a signature no known key verifies triggers one refetch per cooldown
 * (the client rotated), so a flood of bad assertions costs one fetch per 30 s. Keys that break the
 * static-client key rules (private, symmetric, weak) are skipped.
 */
@Injectable()
export class ClientKeysService {
  private readonly logger = new Logger('OAuthMcp:ClientKeys');
  private readonly registered = new Map<string, JWTVerifyGetKey>();
  /** By jwks_uri: only pre-registered clients have one, so the map is bounded by the configuration. */
  private readonly fetched = new Map<string, FetchedKeys>();

  constructor(private readonly configService: OAuthMcpConfigService) {}

  /** Verifies a JWT with the client's keys (jose: `kid`, `alg` and key type must fit). */
  async verify(token: string, client: ClientRecord, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
    if (client.jwks) return jwtVerify(token, this.registeredKeys(client), options);
    if (!client.jwks_uri) throw new joseErrors.JWKSNoMatchingKey();
    const entry = await this.fresh(client.jwks_uri);
    try {
      if (!entry.keySet) throw new joseErrors.JWKSNoMatchingKey();
      return await jwtVerify(token, entry.keySet, options);
    } catch (err) {
      const unknownKey = err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWSSignatureVerificationFailed;
      if (!unknownKey || !this.mayFetch(entry)) throw err;
      await this.load(client.jwks_uri, entry);
      if (!entry.keySet) throw err;
      return jwtVerify(token, entry.keySet, options);
    }
  }

  private registeredKeys(client: ClientRecord): JWTVerifyGetKey {
    let keySet = this.registered.get(client.client_id);
    if (!keySet) {
      keySet = createLocalJWKSet(client.jwks as JSONWebKeySet);
      this.registered.set(client.client_id, keySet);
    }
    return keySet;
  }

  private mayFetch(entry: FetchedKeys): boolean {
    return Date.now() - entry.lastAttemptAt >= this.configService.config.jwksCooldownMs;
  }

  /** The entry for a jwks_uri, fetched first when it never was or is older than `jwks.maxAgeMs`. */
  private async fresh(uri: string): Promise<FetchedKeys> {
    let entry = this.fetched.get(uri);
    if (!entry) {
      entry = { fetchedAt: 0, lastAttemptAt: Number.NEGATIVE_INFINITY };
      this.fetched.set(uri, entry);
    }
    const stale = Date.now() - entry.fetchedAt > this.configService.config.jwksMaxAgeMs;
    if (entry.inflight) await entry.inflight;
    else if (stale && this.mayFetch(entry)) await this.load(uri, entry);
    return entry;
  }

  /** One fetch at a time per URI; a failure keeps the keys already known. */
  private load(uri: string, entry: FetchedKeys): Promise<void> {
    entry.inflight ??= this.fetchKeys(uri)
      .then((keySet) => {
        entry.keySet = keySet;
        entry.fetchedAt = Date.now();
      })
      .catch((err: unknown) => {
        this.logger.warn(`A client's jwks_uri could not be used (${(err as Error).message}); keeping the keys already known`);
      })
      .finally(() => {
        entry.lastAttemptAt = Date.now();
        entry.inflight = undefined;
      });
    return entry.inflight;
  }

  private async fetchKeys(uri: string): Promise<JWTVerifyGetKey> {
    const c = this.configService.config;
    const { body } = await guardedGet(new URL(uri), {
      timeoutMs: Math.min(c.fetchTimeoutMs, 5000),
      maxBytes: Math.min(c.fetchMaxBytes, JWKS_MAX_BYTES),
      allowPrivate: c.allowPrivateNetworkFetch,
    });
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new Error('not JSON');
    }
    const keys = (doc as { keys?: unknown })?.keys;
    if (!Array.isArray(keys)) throw new Error('no "keys" array');
    const usable = keys.filter((k) => clientJwkProblem(k) === undefined).slice(0, MAX_CLIENT_KEYS);
    if (usable.length === 0) throw new Error('no usable public signing key');
    return createLocalJWKSet({ keys: usable } as JSONWebKeySet);
  }
}
