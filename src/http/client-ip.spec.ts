import { clientIp, rateLimitBucket } from './client-ip.js';

const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff ? { 'x-forwarded-for': xff } : {} });

describe('client IP and rate-limit buckets', () => {
  it('L118 ignores a client-sent X-Forwarded-For unless proxies are trusted', () => {
    expect(clientIp(req('::ffff:10.0.0.5', '203.0.113.7'), 0)).toBe('10.0.0.5');
    expect(clientIp(req('10.0.0.5', '203.0.113.7, 198.51.100.9'), 1)).toBe('198.51.100.9');
    expect(clientIp(req('10.0.0.5', '203.0.113.7, 198.51.100.9'), 2)).toBe('203.0.113.7');
    expect(clientIp(req('10.0.0.5', '198.51.100.9'), 2)).toBe('10.0.0.5');
  });

  it('groups IPv6 clients by /64 and keeps IPv4 as is', () => {
    expect(rateLimitBucket('192.0.2.1')).toBe('192.0.2.1');
    expect(rateLimitBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitBucket('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitBucket('::1')).toBe('0:0:0:0::/64');
  });
});
