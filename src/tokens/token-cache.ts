import { LRUCache } from 'lru-cache';
import type { OAuthMcpUser } from '../interfaces/oauth-mcp-user.interface.js';

/**
 * Validated tokens, keyed by SHA-256 of the token (never the token), bounded in entries, each kept
 * for min(max TTL, exp − now). Only successes are stored; every hit re-checks `exp`.
 */
export class TokenCache {
  private readonly lru: LRUCache<string, OAuthMcpUser>;

  constructor(
    maxEntries: number,
    private readonly maxTtlMs: number,
  ) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  get(hash: string): OAuthMcpUser | undefined {
    const user = this.lru.get(hash);
    if (user && user.expiresAt * 1000 <= Date.now()) {
      this.lru.delete(hash);
      return undefined;
    }
    return user;
  }

  set(hash: string, user: OAuthMcpUser): void {
    const ttl = Math.min(this.maxTtlMs, user.expiresAt * 1000 - Date.now());
    if (ttl >= 1) this.lru.set(hash, user, { ttl: Math.floor(ttl) });
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}
