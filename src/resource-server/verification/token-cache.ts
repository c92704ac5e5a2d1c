import { LRUCache } from 'lru-cache';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';

/** What a successful verification established about a token. */
export interface VerifiedToken {
  user: OAuthMcpUser;
  /** Proxy mode: the grant of a token this server issued, checked against revocations on every use. */
  grantId?: string;
}

interface Entry extends VerifiedToken {
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

  get(hash: string): VerifiedToken | undefined {
    const entry = this.lru.get(hash);
    if (entry === undefined) return undefined;
    if (entry.until <= Date.now()) {
      this.lru.delete(hash);
      return undefined;
    }
    return entry;
  }

  set(hash: string, user: OAuthMcpUser, grantId?: string): void {
    const now = Date.now();
    const until = Math.min(now + this.maxTtlMs, user.expiresAt * 1000);
    if (until > now) this.lru.set(hash, { user, grantId, until });
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}
