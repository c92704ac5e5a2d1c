import { RedisStore } from '../../src/store/redis.store.js';
import { authorizeUrl, completeFlow, pkce, type ProxyFixture, redeemCode, registerClient, startProxyFixture, tokenRequest } from '../support/proxy-fixture.js';
import { RedisServer } from '../support/redis-server.js';

const REDIRECT = 'http://127.0.0.1:52000/callback';

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Stores passed in options belong to the test: it closes them. */
const opened: RedisStore[] = [];
async function connect(url: string, keyPrefix?: string): Promise<RedisStore> {
  const store = await new RedisStore({ url, keyPrefix }).connect();
  opened.push(store);
  return store;
}
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

/** A replica's view of the token endpoint (same public issuer, its own port). */
const tokenAt = (origin: string, params: Record<string, string>) =>
  fetch(`${origin}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
const mcpAt = (origin: string, token: string) => fetch(`${origin}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

describe('several instances sharing one Redis', () => {
  const redis = new RedisServer();
  let a: ProxyFixture;
  let b: ProxyFixture;
  const redisStore = () => connect(redis.url, 'multi:');

  beforeAll(async () => {
    await redis.start();
    a = await startProxyFixture({ store: await redisStore() });
    b = await startProxyFixture({ store: await redisStore() }, { base: a.base, idp: a.idp });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis.stop();
  });

  /** Registers and completes the browser leg on A (the public URL); returns the code and verifier. */
  async function codeFromA() {
    const clientId = await registerClient(a, [REDIRECT]);
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(a, authorizeUrl(a, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge }));
    return { clientId, verifier, code: callback.searchParams.get('code')! };
  }

  it('register and consent on A, redeem on B, refresh on A; the rotated-away token is refused on B', async () => {
    const { clientId, verifier, code } = await codeFromA();
    const redeemed = await tokenAt(b.origin, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId });
    expect(redeemed.status).toBe(200);
    const first = (await redeemed.json()) as Tokens;
    // Tokens signed by either replica verify on both: the signing keys are shared through the store.
    expect((await mcpAt(a.origin, first.access_token)).status).toBe(201);
    expect((await mcpAt(b.origin, first.access_token)).status).toBe(201);

    const refreshed = await tokenAt(a.origin, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Tokens;
    const reuse = await tokenAt(b.origin, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: clientId });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    // Reuse revoked the family everywhere.
    expect((await mcpAt(a.origin, second.access_token)).status).toBe(401);
  });

  it('F67 parallel redemption of one code on both instances: exactly one success', async () => {
    const { clientId, verifier, code } = await codeFromA();
    const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId };
    const statuses = (await Promise.all([tokenAt(a.origin, params), tokenAt(b.origin, params), tokenAt(a.origin, params), tokenAt(b.origin, params)])).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(3);
  });
});

describe('restart with the same Redis: registrations, consents, refresh tokens and signing keys survive', () => {
  const redis = new RedisServer();
  afterAll(() => redis.stop());

  it('a client registered, approved and signed in before the restart keeps working after it', async () => {
    await redis.start();
    const first = await startProxyFixture({ store: await connect(redis.url) });
    const clientId = await registerClient(first, [REDIRECT]);
    const { verifier, challenge } = pkce();
    const flow = await completeFlow(first, authorizeUrl(first, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge }));
    const tokens = (await (
      await tokenRequest(first, {
        grant_type: 'authorization_code',
        code: flow.callback.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: clientId,
      })
    ).json()) as Tokens;
    const keysBefore = await (await fetch(`${first.base}/.well-known/jwks.json`)).json();
    await first.app.close();

    // Same public URL, same upstream, same Redis: a new process.
    const second = await startProxyFixture({ store: await connect(redis.url) }, { base: first.base, idp: first.idp });
    try {
      expect(await (await fetch(`${second.origin}/.well-known/jwks.json`)).json()).toEqual(keysBefore);
      expect((await mcpAt(second.origin, tokens.access_token)).status).toBe(201);
      const refreshed = await tokenAt(second.origin, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
      expect(refreshed.status).toBe(200);
      // The registration and the remembered consent survived: the same browser goes straight to the IdP.
      const again = await fetch(
        authorizeUrl(second, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce().challenge }).replace(second.base, second.origin),
        { redirect: 'manual', headers: { cookie: flow.cookies } },
      );
      expect(again.status).toBe(302);
      expect(again.headers.get('location')).toContain(first.idp.issuer);
    } finally {
      await second.close();
      await first.idp.close();
    }
  });
});

describe('Redis outage: fail closed, recover without a restart', () => {
  const redis = new RedisServer();
  let f: ProxyFixture;

  beforeAll(async () => {
    await redis.start();
    f = await startProxyFixture({ store: await connect(redis.url) });
  }, 30_000);
  afterAll(async () => {
    await f?.close();
    await redis.stop();
  });

  it('while Redis is down: OAuth endpoints answer 503 temporarily_unavailable within 2 s and nothing is let in; afterwards it recovers', async () => {
    const clientId = await registerClient(f, [REDIRECT]);
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(f, authorizeUrl(f, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge }));
    const tokens = (await (await redeemCode(f, callback, { verifier, redirectUri: REDIRECT, clientId })).json()) as Tokens;

    await redis.stop();
    const started = Date.now();
    const register = await fetch(`${f.base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    const token = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    const mcp = await mcpAt(f.base, tokens.access_token);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(register.status).toBe(503);
    expect(await register.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The authorization state store is unreachable; retry shortly',
    });
    expect(token.status).toBe(503);
    // A valid token is not let in while its revocation state cannot be checked (storeUnavailable: deny).
    expect(mcp.status).toBe(503);
    expect(mcp.headers.get('www-authenticate')).toBeNull();

    await redis.start();
    let recovered = 0;
    for (let i = 0; i < 40 && recovered !== 201; i++) {
      await new Promise((r) => setTimeout(r, 250));
      recovered = (
        await fetch(`${f.base}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
        })
      ).status;
    }
    expect(recovered).toBe(201);
  }, 30_000);
});

describe('L118/H93 rate limits hold across instances sharing Redis', () => {
  const redis = new RedisServer();
  let a: ProxyFixture;
  let b: ProxyFixture;

  beforeAll(async () => {
    await redis.start();
    a = await startProxyFixture({ store: await connect(redis.url), rateLimits: {} });
    b = await startProxyFixture({ store: await connect(redis.url), rateLimits: {} }, { base: a.base, idp: a.idp });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis.stop();
  });

  it('the 21st registration in an hour from one IP is refused (429, Retry-After, OAuth JSON) even spread over both instances', async () => {
    const register = (origin: string) =>
      fetch(`${origin}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await register(i % 2 === 0 ? a.origin : b.origin)).status);
    expect(statuses.every((s) => s === 201)).toBe(true);
    const refused = await register(b.origin);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ error: 'too_many_requests', error_description: 'Too many requests; retry later' });
    // A forged X-Forwarded-For from the client does not open a new bucket (TRUST_PROXY_HOPS is 0).
    const spoofed = await fetch(`${a.origin}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    expect(spoofed.status).toBe(429);
  });

  it('the token limit is one count across both instances, and while Redis is down the limited endpoints answer 503 (nothing passes uncounted)', async () => {
    const token = (origin: string) => tokenAt(origin, { grant_type: 'authorization_code', code: 'x', code_verifier: 'y', client_id: 'native-app' });
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await token(i % 2 === 0 ? a.origin : b.origin)).status);
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect([(await token(a.origin)).status, (await token(b.origin)).status]).toEqual([429, 429]);

    await redis.stop();
    const down = await fetch(`${b.origin}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: 'temporarily_unavailable' });
  }, 30_000);
});
