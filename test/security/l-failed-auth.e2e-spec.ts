import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OAuthMcpConfigError, OAuthMcpModule, type OAuthMcpModuleOptions, oauthMcpOptionsFromEnv } from '../../src/index.js';
import { FailedAuthThrottle } from '../../src/rate-limit/failed-auth-throttle.service.js';
import { RedisStore } from '../../src/store/redis.store.js';
import type { AdapterName } from '../support/adapters.js';
import { CapturingAuditSink, CapturingLogger } from '../support/capture.js';
import { type ProxyFixture, startProxyFixture } from '../support/proxy-fixture.js';
import { destroyAgents, type RawResponse, rawRequest } from '../support/raw-http.js';
import { RedisServer } from '../support/redis-server.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { signHmac } from '../support/tokens.js';
import { claimsFor, RESOURCE, SCOPES, SECRET, SERVER_URL } from './guard-helpers.js';
import { anyMode, type AnyModeOptions } from '../support/any-mode-options.js';
import { pool } from '../support/pool.js';

/*
 * security-cases.md group L, cases 142–147: failed-authentication throttling (issue 18). One client
 * IP sending bad bearer tokens (or failing client authentication / grants at the token endpoint) is
 * refused with 429 once it reaches the limit, before any verification work; other IPs, successes and
 * tokens already verified are unaffected; the count is shared through the store; logging is bounded.
 * "Other IPs" are other loopback source addresses (127.0.0.2, …), which the server sees as the peer.
 */

const ATTACKER = '127.0.0.2';
const CLIENT = '127.0.0.1';
const WRONG_SECRET = 'Zq8Vm2Xp7Nw4Lr9Tb3Yc6Hd1Fg5Jk0Ua';

const valid = (sub = 'alice') => signHmac(SECRET, claimsFor({ sub }));
const forged = (i: number) => signHmac(WRONG_SECRET, claimsFor({ sub: `mallory-${i}` }));
const mcp = (base: string, token: string | undefined, localAddress: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(`${base}/mcp`, { method, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers }, localAddress });

async function startNative(
  failedAuthThrottle: OAuthMcpModuleOptions['failedAuthThrottle'],
  extra: AnyModeOptions = {},
  adapter: AdapterName = 'express',
): Promise<{ app: INestApplication; base: string }> {
  const app = await createTestApp(
    anyMode({
      provider: 'hmac',
      jwtSecret: SECRET,
      issuer: 'https://idp.example.com',
      audience: RESOURCE,
      serverUrl: SERVER_URL,
      scopes: SCOPES,
      failedAuthThrottle,
      ...extra,
    }),
    true,
    adapter,
  );
  return { app, base: await appUrl(app) };
}

/** The 429 of every limit of this module: Retry-After within the block, OAuth JSON, no-store, no Bearer challenge. */
function expectThrottled(res: RawResponse, blockSeconds: number): void {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= blockSeconds).toBe(true);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(JSON.parse(res.body)).toEqual({ error: 'too_many_requests', error_description: 'Too many requests; retry later' });
}

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

afterAll(() => destroyAgents());

describe('L. Failed-authentication throttling', () => {
  describe.each(['express', 'fastify'] as const)('L142 on %s', (adapter) => {
    let app: INestApplication;
    let base: string;
    beforeAll(async () => {
      ({ app, base } = await startNative({ limit: 20, windowSeconds: 60, blockSeconds: 60 }, {}, adapter));
    });
    afterAll(() => app.close());

    it(`L142 (${adapter}) a flood of invalid tokens from one IP: 20 × 401, then 429 with Retry-After before any verification (a valid new token too); a valid client on another IP is unaffected`, async () => {
      const goodToken = await valid('carol');
      expect((await mcp(base, goodToken, CLIENT)).status).toBe(200);
      const flood: number[] = [];
      for (let i = 0; i < 60; i++) flood.push((await mcp(base, await forged(i), ATTACKER)).status);
      expect(flood).toEqual([...Array(20).fill(401), ...Array(40).fill(429)]);
      expectThrottled(await mcp(base, await forged(99), ATTACKER), 60);
      // Not verified at all: a valid token never seen before is refused the same way while the IP is blocked.
      expectThrottled(await mcp(base, await valid('bob'), ATTACKER), 60);
      // A client-sent X-Forwarded-For does not buy a fresh bucket (no trusted proxies configured).
      expect((await mcp(base, await forged(100), ATTACKER, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      // The other IP: its cached token, new valid tokens and its own (uncounted elsewhere) failure.
      expect((await mcp(base, goodToken, CLIENT)).status).toBe(200);
      expect((await mcp(base, await valid('dave'), CLIENT)).status).toBe(200);
      expect((await mcp(base, await forged(101), CLIENT)).status).toBe(401);
      expect((await mcp(base, await valid('erin'), '127.0.0.3')).status).toBe(200);
      // After the block the IP is served again.
      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 61_000);
      try {
        expect(
          (
            await mcp(
              base,
              await signHmac(SECRET, claimsFor({ sub: 'bob', iat: Math.floor(realNow() / 1000) + 61, exp: Math.floor(realNow() / 1000) + 600 })),
              ATTACKER,
            )
          ).status,
        ).toBe(200);
      } finally {
        clock.mockRestore();
      }
    });
  });

  describe('L142 behind one trusted proxy (trustProxyHops 1): the forwarded client counts, IPv6 by its /64', () => {
    let app: INestApplication;
    let base: string;
    beforeAll(async () => {
      ({ app, base } = await startNative({ limit: 2, windowSeconds: 60, blockSeconds: 60 }, { trustProxyHops: 1 }));
    });
    afterAll(() => app.close());

    it('L142 two addresses of one /64 share a count; another /64 and an IPv4 client have their own', async () => {
      const from = async (xff: string, token?: string) => (await mcp(base, token ?? (await forged(0)), CLIENT, { 'x-forwarded-for': xff })).status;
      expect([await from('2001:db8:1:2::a'), await from('2001:db8:1:2:ffff::b')]).toEqual([401, 401]);
      expect(await from('2001:DB8:1:2:0:0:0:c', await valid())).toBe(429);
      expect(await from('2001:db8:1:3::a', await valid())).toBe(200);
      expect(await from('198.51.100.8', await valid())).toBe(200);
    });
  });

  describe('L143 what counts', () => {
    let app: INestApplication;
    let base: string;
    beforeAll(async () => {
      ({ app, base } = await startNative({ limit: 5, windowSeconds: 60, blockSeconds: 60 }));
    });
    afterAll(() => app.close());

    it('L143 successes and requests without a token do not count; a malformed credential does; a token already verified passes during the block', async () => {
      const known = await valid('alice');
      expect((await mcp(base, known, ATTACKER)).status).toBe(200);
      // Every MCP client's first request has no token: never counted.
      for (let i = 0; i < 30; i++) expect((await mcp(base, undefined, ATTACKER)).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await mcp(base, await forged(i), ATTACKER)).status).toBe(401);
      // Thirty fresh valid tokens, each verified: successes do not reset or add to the count.
      for (let i = 0; i < 30; i++) expect((await mcp(base, await valid(`user-${i}`), ATTACKER)).status).toBe(200);
      // Token in the header and the query (RFC 6750 §2): a malformed credential is a failure too (the 4th).
      expect(
        (await rawRequest(`${base}/mcp?access_token=x`, { headers: { authorization: `Bearer ${await forged(50)}` }, localAddress: ATTACKER })).status,
      ).toBe(400);
      expect((await mcp(base, await forged(3), ATTACKER)).status).toBe(401);
      // The 5th failure started the block.
      expectThrottled(await mcp(base, await forged(4), ATTACKER), 60);
      // A token this server already verified (in the validated-token cache) still passes: no verification work, no store read.
      expect((await mcp(base, known, ATTACKER)).status).toBe(200);
      // Without any token the answer stays the 401 challenge (discovery must keep working).
      expect((await mcp(base, undefined, ATTACKER)).status).toBe(401);
    });
  });

  describe('L144 bounded logging', () => {
    it('L144 5,000 invalid tokens from one IP (default limits): at most 100 + in-flight verifications; four lines in all (first failure, its debug line, the block, one aggregate) instead of two per failure', async () => {
      const audit = new CapturingAuditSink();
      const logger = new CapturingLogger();
      const { app, base } = await startNative({}, { auditSink: audit, logger });
      // (The startup warning about NODE_ENV on an https MCP_URL is not the flood's.)
      const startupLines = logger.entries.length;
      try {
        const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => forged(i)));
        const width = 16;
        const statuses = await pool(5000, width, (i) => mcp(base, tokens[i % tokens.length], ATTACKER).then((r) => r.status));
        const counts = tally(statuses);
        expect(counts[401]).toBeGreaterThanOrEqual(100);
        expect(counts[401]).toBeLessThanOrEqual(100 + width);
        expect(counts[429]).toBe(5000 - counts[401]);
        app.get(FailedAuthThrottle).flush();
        const events = audit.events.filter((e) => e.type !== 'authorization_denied' || e.reason !== 'no_token');
        const lines = logger.entries.length - startupLines + events.length;
        expect({ lines, debug: logger.entries.filter((e) => e.message.startsWith('Token rejected')).length }).toEqual({ lines: 4, debug: 1 });
        expect(events.filter((e) => e.type === 'authorization_denied')).toEqual([expect.objectContaining({ reason: 'invalid_token', ip: ATTACKER })]);
        const [throttled] = events.filter((e) => e.type === 'authentication_throttled');
        expect(throttled).toMatchObject({
          ip: ATTACKER,
          count: 100,
          windowSeconds: 60,
          blockSeconds: 60,
          ipHash: expect.stringMatching(/^[A-Za-z0-9_-]{12}$/),
        });
        const [aggregate] = events.filter((e) => e.type === 'authentication_failures');
        expect(aggregate).toMatchObject({ ipHash: throttled.ipHash, windowSeconds: 60 });
        // Every request is accounted for: the first failure's own event, the aggregated failures, the refusals.
        expect(1 + aggregate.count! + aggregate.refused!).toBe(5000);
        expect(aggregate.refused).toBe(counts[429]);
        expect(JSON.stringify(events)).not.toContain(tokens[0].split('.')[2]);
      } finally {
        await app.close();
      }
    });

    it('L144 the aggregate event of each IP carries no ip or request id of another request (its timer runs outside any request)', async () => {
      const audit = new CapturingAuditSink();
      const { app, base } = await startNative({ limit: 50, windowSeconds: 1, blockSeconds: 1 }, { auditSink: audit });
      try {
        for (let i = 0; i < 2; i++) expect((await mcp(base, await forged(i), ATTACKER)).status).toBe(401);
        for (let i = 0; i < 3; i++) expect((await mcp(base, await forged(i), '127.0.0.3')).status).toBe(401);
        await new Promise((r) => setTimeout(r, 1600));
        const aggregates = audit.events.filter((e) => e.type === 'authentication_failures');
        expect(aggregates.map((e) => e.count).sort()).toEqual([1, 2]);
        for (const e of aggregates) expect({ ip: e.ip, requestId: e.requestId }).toEqual({ ip: undefined, requestId: undefined });
      } finally {
        await app.close();
      }
    });

    it('L144 control: with the throttle off, the same flood costs two lines per failure (the behaviour this replaces)', async () => {
      const audit = new CapturingAuditSink();
      const logger = new CapturingLogger();
      const { app, base } = await startNative(false, { auditSink: audit, logger });
      try {
        const token = await forged(0);
        const statuses = await pool(500, 16, () => mcp(base, token, ATTACKER).then((r) => r.status));
        expect(tally(statuses)).toEqual({ 401: 500 });
        expect(audit.events.filter((e) => e.type === 'authorization_denied')).toHaveLength(500);
        expect(logger.entries.filter((e) => e.message.startsWith('Token rejected'))).toHaveLength(500);
      } finally {
        await app.close();
      }
    });
  });

  describe('L145 replicas sharing Redis count together', () => {
    const redis = new RedisServer();
    const stores: RedisStore[] = [];
    const apps: INestApplication[] = [];
    let a: string;
    let b: string;
    beforeAll(async () => {
      await redis.start();
      for (let i = 0; i < 2; i++) {
        const store = await new RedisStore({ url: redis.url, keyPrefix: 'failed-auth:' }).connect();
        stores.push(store);
        const replica = await startNative({ limit: 6, windowSeconds: 60, blockSeconds: 60 }, { store });
        apps.push(replica.app);
        if (i === 0) a = replica.base;
        else b = replica.base;
      }
    }, 30_000);
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(stores.map((s) => s.close()));
      await redis.stop();
    });

    it('L145 three failures on A and three on B block the IP on both; a valid client on another IP is served by both', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await mcp(i % 2 === 0 ? a : b, await forged(i), ATTACKER)).status);
      expect(statuses).toEqual(Array(6).fill(401));
      // The sixth failure was on B; A learns of the block from Redis only.
      expectThrottled(await mcp(a, await valid('bob'), ATTACKER), 60);
      expectThrottled(await mcp(b, await forged(7), ATTACKER), 60);
      expect((await mcp(a, await valid('carol'), CLIENT)).status).toBe(200);
      expect((await mcp(b, await valid('carol'), CLIENT)).status).toBe(200);
      // The store holds the counter under a hash of the client, never the address.
      // (ioredis does not prefix a KEYS pattern.)
      const keys = await stores[0].client.keys('failed-auth:rate:failed-auth:*');
      expect(keys.length).toBeGreaterThanOrEqual(2);
      expect(keys.join(' ')).not.toContain(ATTACKER);
    });

    it('L145 Redis down: a token that needs verification gets 503 (fail closed, nothing verified uncounted); a token already verified passes; storeUnavailable allow skips the check', async () => {
      const cached = await valid('frank');
      expect((await mcp(a, cached, CLIENT)).status).toBe(200);
      const lenient = await startNative({ limit: 6, windowSeconds: 60, blockSeconds: 60 }, { store: stores[1], storeUnavailable: 'allow' });
      apps.push(lenient.app);
      await redis.stop();
      const down = await mcp(a, await valid('gina'), CLIENT);
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toMatchObject({ error: 'temporarily_unavailable' });
      expect((await mcp(a, cached, CLIENT)).status).toBe(200);
      expect((await mcp(lenient.base, await valid('gina'), CLIENT)).status).toBe(200);
      // A failure that cannot be counted is still refused.
      expect((await mcp(lenient.base, await forged(8), CLIENT)).status).toBe(401);
    }, 30_000);
  });

  describe('L146 the token endpoint', () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startProxyFixture({ failedAuthThrottle: { limit: 5, windowSeconds: 60, blockSeconds: 60 } });
    });
    afterAll(() => f.close());

    const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
    const token = (body: Record<string, string>, localAddress: string, headers: Record<string, string> = {}) =>
      rawRequest(`${f.base}/oauth/token`, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(body).toString(), localAddress });
    const badCode = (localAddress: string) =>
      token({ grant_type: 'authorization_code', code: 'guess', code_verifier: 'a'.repeat(43), client_id: 'native-app' }, localAddress);

    it('L146 invalid_grant and invalid_client count (one counter with /mcp): the limit-th failure blocks the IP at /token and at /mcp; malformed requests do not count', async () => {
      for (let i = 0; i < 5; i++) expect((await badCode(ATTACKER)).status).toBe(400);
      expectThrottled(await badCode(ATTACKER), 60);
      expectThrottled(await mcp(f.base, await forged(0), ATTACKER, {}, 'POST'), 60);
      // Wrong client secrets (Basic → 401 invalid_client), from another IP.
      const basic = `Basic ${Buffer.from('web-app:not-the-secret').toString('base64')}`;
      const wrongSecret = () =>
        token({ grant_type: 'authorization_code', code: 'x', redirect_uri: 'https://app.example.com/callback' }, '127.0.0.4', { authorization: basic });
      for (let i = 0; i < 5; i++) expect((await wrongSecret()).status).toBe(401);
      expectThrottled(await wrongSecret(), 60);
      // A request that is merely malformed (no grant_type, unknown grant type) never counts.
      for (let i = 0; i < 20; i++) expect((await token({ grant_type: i % 2 ? 'password' : '' }, '127.0.0.5')).status).toBe(400);
      expect(JSON.parse((await badCode('127.0.0.5')).body)).toMatchObject({ error: 'invalid_grant' });
      // Other IPs are unaffected.
      expect(JSON.parse((await badCode(CLIENT)).body)).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('L147 configuration', () => {
    const HMAC_ENV = { OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: RESOURCE, MCP_URL: SERVER_URL };
    const compile = async (env: Record<string, string>) => {
      try {
        const moduleRef = await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv(env))] }).compile();
        const limits = moduleRef.get(FailedAuthThrottle).enabled;
        await moduleRef.close();
        return { enabled: limits };
      } catch (err) {
        return err;
      }
    };

    it('L147 OAUTH_FAILED_AUTH_THROTTLE: limit/window[/block] or off; the default is on (100 per 60 s, 60 s block)', async () => {
      expect(oauthMcpOptionsFromEnv({ ...HMAC_ENV, OAUTH_FAILED_AUTH_THROTTLE: '50/120/300' }).failedAuthThrottle).toEqual({
        limit: 50,
        windowSeconds: 120,
        blockSeconds: 300,
      });
      expect(oauthMcpOptionsFromEnv({ ...HMAC_ENV, OAUTH_FAILED_AUTH_THROTTLE: '50/120' }).failedAuthThrottle).toEqual({ limit: 50, windowSeconds: 120 });
      expect(oauthMcpOptionsFromEnv({ ...HMAC_ENV, OAUTH_FAILED_AUTH_THROTTLE: 'off' }).failedAuthThrottle).toBe(false);
      expect(await compile(HMAC_ENV)).toEqual({ enabled: true });
      expect(await compile({ ...HMAC_ENV, OAUTH_FAILED_AUTH_THROTTLE: 'off' })).toEqual({ enabled: false });
    });

    it.each(['0/60', '100/0', '100/60/0', '100/86401', 'many', '100/60/60/60', '-1/60'])(
      'L147 OAUTH_FAILED_AUTH_THROTTLE=%s is refused at bootstrap, naming the variable',
      async (value) => {
        const err = await compile({ ...HMAC_ENV, OAUTH_FAILED_AUTH_THROTTLE: value });
        expect(err).toBeInstanceOf(OAuthMcpConfigError);
        expect((err as Error).message).toContain('OAUTH_FAILED_AUTH_THROTTLE');
      },
    );

    it('L147 in code: unknown keys and non-integers are refused', async () => {
      for (const failedAuthThrottle of [{ limit: 1.5 }, { limit: 10, burst: 3 }, 'off', true]) {
        const err = await Test.createTestingModule({
          imports: [
            OAuthMcpModule.forRoot({
              provider: 'hmac',
              jwtSecret: SECRET,
              audience: RESOURCE,
              serverUrl: SERVER_URL,
              failedAuthThrottle,
            } as unknown as OAuthMcpModuleOptions),
          ],
        })
          .compile()
          .then(
            (m) => m.close(),
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(OAuthMcpConfigError);
      }
    });
  });
});
