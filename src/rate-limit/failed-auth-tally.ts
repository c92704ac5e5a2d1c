/** What one client IP did in a window that was not logged one by one. */
export interface FailedAuthCounts {
  failures: number;
  refused: number;
}

/** Past this many client IPs in one window, the rest are added up under `OVERFLOW` (memory stays bounded under a botnet). */
export const MAX_TALLIED_CLIENTS = 10_000;
export const OVERFLOW = '*';

/**
 * This replica's counts of unlogged failures and 429s per client IP (by hash), drained once per
 * window into one aggregated audit event each.
 */
export class FailedAuthTally {
  private counts = new Map<string, FailedAuthCounts>();

  add(ipHash: string, kind: keyof FailedAuthCounts): void {
    const key = this.counts.has(ipHash) || this.counts.size < MAX_TALLIED_CLIENTS ? ipHash : OVERFLOW;
    let entry = this.counts.get(key);
    if (!entry) this.counts.set(key, (entry = { failures: 0, refused: 0 }));
    entry[kind] += 1;
  }

  get size(): number {
    return this.counts.size;
  }

  /** The window's counts; the tally starts empty again. */
  drain(): Map<string, FailedAuthCounts> {
    const out = this.counts;
    this.counts = new Map();
    return out;
  }
}
