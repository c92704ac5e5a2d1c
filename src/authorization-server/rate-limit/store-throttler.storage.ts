import type { ThrottlerStorage } from '@nestjs/throttler';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';

/** Not exported from @nestjs/throttler's root in 6.x. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler's storage over the module's store: counters live where the rest of the state
 * lives (memory, or Redis shared by every replica, so N replicas do not multiply a limit by N), and
 * each hit is the store's atomic `increment` (a fixed window opened by the first hit). A store outage
 * throws the store's 503, so nothing is let in uncounted.
 */
export class StoreThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly store: OAuthMcpStore) {}

  async increment(key: string, ttlMs: number, limit: number): Promise<ThrottlerStorageRecord> {
    const { count, ttlSeconds } = await this.store.increment(key, Math.ceil(ttlMs / 1000));
    const isBlocked = count > limit;
    return { totalHits: count, timeToExpire: ttlSeconds, isBlocked, timeToBlockExpire: isBlocked ? ttlSeconds : 0 };
  }
}
