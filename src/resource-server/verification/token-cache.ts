import { LRUCache } from 'lru-cache';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';

interface Entry {
  user: OAuthMcpUser;
  /** Epoch ms after which the entry is dead: min(now + max TTL, exp). */
  until: number;
}

/**
 * Validated tokens, keyed by SHA-256 of the token (never the token), bounded in entries (LRU), each
 * kept until min(now + max TTL, exp), checked against the wall clock on every hit. Only successes are
 * stored.
 */
export class TokenCache {
  private readonly lru: LRUCache<string, Entry>;

  constructor(
    maxEntries: number,
    private readonly maxTtlMs: number,
  ) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  get(hash: string): OAuthMcpUser | undefined {
    const entry = this.lru.get(hash);
    if (entry === undefined) return undefined;
    if (entry.until <= Date.now()) {
      this.lru.delete(hash);
      return undefined;
    }
    return entry.user;
  }

  set(hash: string, user: OAuthMcpUser): void {
    const now = Date.now();
    const until = Math.min(now + this.maxTtlMs, user.expiresAt * 1000);
    if (until > now) this.lru.set(hash, { user, until });
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}
