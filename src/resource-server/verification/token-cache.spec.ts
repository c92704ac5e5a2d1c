import { jest } from '@jest/globals';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { TokenCache } from './token-cache.js';

const user = (expiresAt: number): OAuthMcpUser => ({
  sub: 'a',
  username: 'a',
  groups: [],
  scopes: [],
  expiresAt,
  provider: 'hmac',
  claims: {},
});

describe('TokenCache', () => {
  afterEach(() => jest.useRealTimers());

  it('B25 an entry never outlives the token exp', () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const cache = new TokenCache(10, 300_000);
    cache.set('h', user(1_700_000_010));
    expect(cache.get('h')).toBeDefined();
    jest.setSystemTime(1_700_000_011_000);
    expect(cache.get('h')).toBeUndefined();
  });

  it('bounds the TTL by the configured maximum', () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const cache = new TokenCache(10, 300_000);
    cache.set('h', user(1_700_100_000));
    jest.advanceTimersByTime(301_000);
    expect(cache.get('h')).toBeUndefined();
  });

  it('B27 is bounded in entries (LRU)', () => {
    const cache = new TokenCache(3, 300_000);
    const exp = Math.floor(Date.now() / 1000) + 600;
    for (const h of ['a', 'b', 'c', 'd']) cache.set(h, user(exp));
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not store already-expired tokens', () => {
    const cache = new TokenCache(3, 300_000);
    cache.set('h', user(Math.floor(Date.now() / 1000) - 1));
    expect(cache.size).toBe(0);
  });
});
