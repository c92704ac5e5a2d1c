import { LRUCache } from 'lru-cache';
/**
 * Validated tokens, keyed by SHA-256 of the token (never the token), bounded in entries (LRU), each
 * kept until min(now + max TTL, exp), checked against the wall clock on every hit. Only successes are
 * stored.
 */
export class TokenCache {
    maxTtlMs;
    lru;
    constructor(maxEntries, maxTtlMs) {
        this.maxTtlMs = maxTtlMs;
        this.lru = new LRUCache({ max: maxEntries });
    }
    get(hash) {
        const entry = this.lru.get(hash);
        if (entry === undefined)
            return undefined;
        if (entry.until <= Date.now()) {
            this.lru.delete(hash);
            return undefined;
        }
        return entry.user;
    }
    set(hash, user) {
        const now = Date.now();
        const until = Math.min(now + this.maxTtlMs, user.expiresAt * 1000);
        if (until > now)
            this.lru.set(hash, { user, until });
    }
    clear() {
        this.lru.clear();
    }
    get size() {
        return this.lru.size;
    }
}
