/**
 * Refusals the failed-authentication throttle has already accounted for (all but the first failure
 * of a window, and every 429 it answers): the guards and the verifier skip their per-request log
 * line and audit event for these, so a flood costs a bounded number of lines.
 */
const quiet = new WeakSet<object>();

export function markQuiet(err: object): void {
  quiet.add(err);
}

export function isQuietRefusal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && quiet.has(err);
}
