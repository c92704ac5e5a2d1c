import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';

const HOUR = 3600;
const DAY = 86_400;

/** A dynamically registered client nobody has used expires after this (O6). */
export const UNUSED_CLIENT_TTL_SECONDS = DAY;

export const hourOf = (epochMs: number): number => Math.floor(epochMs / 1000 / HOUR);
export const dayOf = (epochMs: number): number => Math.floor(epochMs / 1000 / DAY);

/**
 * How many dynamically registered clients are alive, across replicas, from counters in the store
 * (the store has no "count the keys"; counters are atomic everywhere):
 * - unused: registrations per hour, minus those first used (or refused) per registration hour, over
 *   the 25 hourly buckets an unused registration (24 hours) can still be alive in;
 * - used: clients by the day they were last used; a client used again moves to today's bucket
 *   (+1 today, +1 "left" on its old day), over the days a used client lives.
 * Hour and day granularity keeps it to one multi-get per registration.
 */
export class LiveClientCount {
  constructor(
    private readonly store: OAuthMcpStore,
    /** How long a used client lives after its last use, seconds. */
    private readonly usedClientTtlSeconds: number,
  ) {}

  /** Buckets that can still hold a live client: one lives at most its TTL past the start of its bucket. */
  private get usedDays(): number {
    return Math.ceil(this.usedClientTtlSeconds / DAY) + 1;
  }

  private static readonly UNUSED_HOURS = UNUSED_CLIENT_TTL_SECONDS / HOUR + 1;

  async live(now = Date.now()): Promise<number> {
    const hour = hourOf(now);
    const day = dayOf(now);
    const hours = Array.from({ length: LiveClientCount.UNUSED_HOURS }, (_, i) => hour - i);
    const days = Array.from({ length: this.usedDays }, (_, i) => day - i);
    const keys = [
      ...hours.map((h) => StoreKeys.clientCounter('new', h)),
      ...hours.map((h) => StoreKeys.clientCounter('new-gone', h)),
      ...days.map((d) => StoreKeys.clientCounter('used', d)),
      ...days.map((d) => StoreKeys.clientCounter('used-gone', d)),
    ];
    const values = (await this.store.getMany<number>(keys)).map((v) => (typeof v === 'number' ? v : 0));
    const n = hours.length;
    const m = days.length;
    const sum = (from: number, to: number) => values.slice(from, to).reduce((a, b) => a + b, 0);
    return Math.max(0, sum(0, n) - sum(n, 2 * n)) + Math.max(0, sum(2 * n, 2 * n + m) - sum(2 * n + m, 2 * n + 2 * m));
  }

  /** A new registration in `hour`. */
  async registered(hour: number): Promise<void> {
    await this.store.increment(StoreKeys.clientCounter('new', hour), UNUSED_CLIENT_TTL_SECONDS + 2 * HOUR);
  }

  /** A registration of `hour` leaves the unused pool (first used, or refused after counting). */
  async leftUnused(hour: number): Promise<void> {
    await this.store.increment(StoreKeys.clientCounter('new-gone', hour), UNUSED_CLIENT_TTL_SECONDS + 2 * HOUR);
  }

  /** A client used on `day`, whose previous use (if any) was on `previousDay`. */
  async used(day: number, previousDay: number | undefined): Promise<void> {
    const ttl = this.usedClientTtlSeconds + 2 * DAY;
    await this.store.increment(StoreKeys.clientCounter('used', day), ttl);
    if (previousDay !== undefined) await this.store.increment(StoreKeys.clientCounter('used-gone', previousDay), ttl);
  }
}
