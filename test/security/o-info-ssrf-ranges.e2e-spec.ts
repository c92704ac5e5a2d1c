import { jest } from '@jest/globals';
import * as realDns from 'node:dns';
import type { AddressInfo } from 'node:net';

/**
 * Outside review, informational: the SSRF blocklist of Client ID Metadata Document fetches lacked the
 * IPv6 ranges that embed or translate to IPv4 (`::/96`, `::ffff:0:0:0/96`, `64:ff9b:1::/48`,
 * `2002::/16`) and the old site-local `fec0::/10`. DNS is faked for `.test` names (registered before
 * the sources load), so a name resolving into each range can be looked up end to end.
 */

const RANGES: Record<string, string> = {
  'compat.test': '::a00:1', // IPv4-compatible ::10.0.0.1 (::/96)
  'siit.test': '::ffff:0:a9fe:a9fe', // SIIT-translated 169.254.169.254 (::ffff:0:0:0/96)
  'nat64-local.test': '64:ff9b:1::a00:1', // local-use NAT64 (64:ff9b:1::/48)
  'sixtofour.test': '2002:7f00:1::1', // 6to4 of 127.0.0.1 (2002::/16)
  'sitelocal.test': 'fec0::1', // deprecated site-local (fec0::/10)
  'teredo.test': '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo (2001::/32)
};
function fakeLookup(hostname: string, options: unknown, callback?: unknown): void {
  const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, a: unknown, f?: number) => void;
  const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
  const address = RANGES[hostname];
  if (!address) return void (realDns.lookup as unknown as (...a: unknown[]) => void)(hostname, options, callback);
  setImmediate(() => (opts.all ? cb(null, [{ address, family: 6 }]) : cb(null, address, 6)));
}
jest.unstable_mockModule('node:dns', () => {
  const dflt = (realDns as unknown as { default: typeof realDns }).default;
  return { ...realDns, lookup: fakeLookup, default: { ...dflt, lookup: fakeLookup } };
});

const { guardedLookup, isBlockedAddress } = await import('../../src/authorization-server/clients/ssrf-guard.js');
const { startDevIdp } = await import('../../src/dev-idp/dev-idp.js');
const { CapturingLogger, startCapturedProxy } = await import('../support/capture.js');
const { FIXTURE_SECRET, pkce } = await import('../support/proxy-fixture.js');

describe('O-info SSRF blocklist ranges', () => {
  it('O-info every IPv6 range that embeds IPv4 (and site-local) is refused before connecting, by address and by name, end to end', async () => {
    for (const [host, address] of Object.entries(RANGES)) {
      expect({ address, blocked: isBlockedAddress(address) }).toEqual({ address, blocked: true });
      const err = await new Promise<(Error & { code?: string }) | null>((resolve) => guardedLookup(false)(host, { all: true }, (e) => resolve(e)));
      expect({ host, code: err?.code }).toEqual({ host, code: 'EADDRBLOCKED' });
    }
    // Public IPv6 and IPv4-mapped public addresses stay reachable.
    for (const address of ['2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isBlockedAddress(address)).toBe(false);

    // End to end: an https server (private-network fetches off) asked for a client_id URL on each
    // name refuses it, and the reason it logs is the guard's, not a failed connection.
    const idp = await startDevIdp({
      resource: 'https://mcp.example.com/mcp',
      scopes: ['mcp:read'],
      port: 0,
      proxyCallbackUrl: 'https://mcp.example.com/oauth/callback',
    });
    const logger = new CapturingLogger();
    const f = await startCapturedProxy(idp, logger, { serverUrl: 'https://mcp.example.com', jwtSecret: FIXTURE_SECRET });
    try {
      const origin = `http://127.0.0.1:${(f.app.getHttpServer().address() as AddressInfo).port}`;
      for (const host of Object.keys(RANGES)) {
        const query = new URLSearchParams({
          client_id: `https://${host}/client.json`,
          redirect_uri: 'http://127.0.0.1:51000/callback',
          response_type: 'code',
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        });
        const res = await fetch(`${origin}/oauth/authorize?${query}`, { redirect: 'manual' });
        expect({ host, status: res.status, location: res.headers.get('location') }).toEqual({ host, status: 400, location: null });
      }
      const reasons = logger.entries.filter((e) => e.text.includes('Client ID Metadata Document could not be used')).map((e) => e.text);
      expect(reasons).toHaveLength(Object.keys(RANGES).length);
      for (const reason of reasons) expect(reason).toContain('(address not allowed)');
    } finally {
      await f.close();
      await idp.close();
    }
  });
});
