import { FailedAuthTally, MAX_TALLIED_CLIENTS, OVERFLOW } from './failed-auth-tally.js';

describe('FailedAuthTally', () => {
  it('L144 one entry per client IP per window; drained once; past the bound the rest are added up under "*"', () => {
    const tally = new FailedAuthTally();
    tally.add('a', 'failures');
    tally.add('a', 'failures');
    tally.add('a', 'refused');
    expect(tally.drain()).toEqual(new Map([['a', { failures: 2, refused: 1 }]]));
    expect(tally.size).toBe(0);
    for (let i = 0; i < MAX_TALLIED_CLIENTS + 500; i++) tally.add(`ip-${i}`, 'failures');
    tally.add('ip-0', 'refused');
    expect(tally.size).toBe(MAX_TALLIED_CLIENTS + 1);
    const drained = tally.drain();
    expect(drained.get(OVERFLOW)).toEqual({ failures: 500, refused: 0 });
    expect(drained.get('ip-0')).toEqual({ failures: 1, refused: 1 });
  });
});
