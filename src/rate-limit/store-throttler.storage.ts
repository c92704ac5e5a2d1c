import type { ThrottlerStorage } from '@nestjs/throttler';
import type { OAuthMcpStore } from '../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../store/store-keys.js';

/** Not exported from @nestjs/throttler's root in 6.x. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The throttler's record, plus whether this hit started the block (exactly one caller, on any replica, sees true). */
export interface StoreThrottlerRecord extends ThrottlerStorageRecord {
  blockStarted: boolean;
}

/**
 * @nestjs/throttler's storage over the module's store: counters live where the rest of the state
 * lives (memory, or Redis shared by every replica, so N replicas do not multiply a limit by N), and
 * each hit is the store's atomic `increment` (a fixed window opened by the first hit). A store outage
 * throws the store's 503, so nothing is let in uncounted.
 *
 * With a `blockDuration`, going over the limit also writes a block entry of that lifetime (first
 * writer wins, so one replica starts it); `blockedFor` reads it without counting a hit.
 */
export class StoreThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly store: OAuthMcpStore) {}

  async increment(key: string, ttlMs: number, limit: number, blockDurationMs = 0): Promise<StoreThrottlerRecord> {
    const { count, ttlSeconds } = await this.store.increment(key, Math.ceil(ttlMs / 1000));
    const isBlocked = count > limit;
    if (!isBlocked || blockDurationMs <= 0) {
      return { totalHits: count, timeToExpire: ttlSeconds, isBlocked, timeToBlockExpire: isBlocked ? ttlSeconds : 0, blockStarted: false };
    }
    const blockSeconds = Math.ceil(blockDurationMs / 1000);
    const blockStarted = await this.store.setIfAbsent(StoreKeys.rateBlock(key), Date.now() + blockSeconds * 1000, blockSeconds);
    const timeToBlockExpire = blockStarted ? blockSeconds : Math.max(1, await this.blockedFor(key));
    return { totalHits: count, timeToExpire: ttlSeconds, isBlocked, timeToBlockExpire, blockStarted };
  }

  /** Seconds left in the block of `key` (0: not blocked). One store read. */
  async blockedFor(key: string): Promise<number> {
    const until = await this.store.get<number>(StoreKeys.rateBlock(key));
    return typeof until === 'number' ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : 0;
  }
}
