import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidTokenError } from '../../src/errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../src/errors/messages.constant.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../../src/oauth-mcp.internal-constants.js';
import type { TokenCache } from '../../src/resource-server/verification/token-cache.js';
import { TokenVerifier } from '../../src/resource-server/verification/token-verifier.service.js';
import { generateTestKey, JwksServer, type TestKey } from '../support/jwks-server.js';
import { signedIn, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { b64url, handMadeHs256, now, signHmac, signWithKey } from '../support/tokens.js';
import {
  call,
  claimsFor,
  IDP_ISS,
  invalidToken,
  jumpingClock,
  outcome,
  proxyTarget,
  RESOURCE,
  SECRET,
  startNative,
  tokenHash,
  type Target,
} from './guard-helpers.js';

/*
 * security-cases.md group B: the validated-token cache (SHA-256 of the token → LRU, TTL = min(5 min,
 * exp − now)). Time is moved with a jumping `Date.now` (the clock jsonwebtoken, the cache and the JWKS
 * key store read); timers and HTTP stay real. The catalogue numbers 25–29 without 26.
 */

/** The raw LRU behind TokenCache: keys and values, to prove what is (and is not) stored. */
const lruOf = (cache: TokenCache) => (cache as unknown as { lru: { keys(): Iterable<string>; values(): Iterable<unknown> } }).lru;

let rsa: TestKey;
beforeAll(async () => {
  rsa = await generateTestKey('RS256', 'k1');
});

describe('B25 a cached token never outlives its exp (oidc, clockSkewSeconds 0)', () => {
  let idp: JwksServer;
  let t: Target;
  let clock: ReturnType<typeof jumpingClock> | undefined;

  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    t = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, clockSkewSeconds: 0 }, idp);
  });
  afterEach(() => clock?.restore());
  afterAll(async () => {
    await t.app.close();
    await idp.stop();
  });

  it('B25 exp = now+30: cached and accepted; 31 s later (fake clock) the same token is 401 expired and no longer cached', async () => {
    // A wide margin: the first call (JWKS fetch, cold verification) may take seconds on a loaded machine.
    const token = await signWithKey(rsa, claimsFor({ exp: now() + 30 }));
    const size = t.cache.size;
    expect((await call(t.base, token)).status).toBe(200);
    expect(t.cache.size).toBe(size + 1);
    clock = jumpingClock();
    clock.advance(20_000);
    expect((await call(t.base, token)).status).toBe(200);
    expect(t.cache.get(tokenHash(token))).toBeDefined();
    clock.advance(11_000);
    expect(await outcome(await call(t.base, token))).toEqual(invalidToken(t, TOKEN_MESSAGES.expired));
    expect(t.cache.get(tokenHash(token))).toBeUndefined();
  });

  it('B25 the TTL is capped at 5 minutes for a long-lived token: the entry is gone after 301 s (the token is then re-verified)', async () => {
    const token = await signWithKey(rsa, claimsFor({ exp: now() + 3600 }));
    expect((await call(t.base, token)).status).toBe(200);
    clock = jumpingClock();
    clock.advance(299_000);
    expect(t.cache.get(tokenHash(token))).toBeDefined();
    clock.advance(2_000);
    expect(t.cache.get(tokenHash(token))).toBeUndefined();
    expect((await call(t.base, token)).status).toBe(200);
    expect(t.cache.get(tokenHash(token))).toBeDefined();
  });
});

describe('B27/B28 cache growth and context isolation (hmac, cache.maxEntries 100)', () => {
  let a: Target;
  let b: Target;
  const OTHER = 'https://other.example.com/mcp';

  beforeAll(async () => {
    a = await startNative({ provider: 'hmac', jwtSecret: SECRET, issuer: IDP_ISS, cache: { maxEntries: 100 } });
    b = await startNative({ provider: 'hmac', jwtSecret: SECRET, issuer: IDP_ISS, audience: OTHER });
  });
  afterAll(async () => {
    await a.app.close();
    await b.app.close();
  });

  /**
   * Distinct invalid tokens. Three in 100 are well formed and go all the way through the signature
   * and claim checks (forged signature, expired, wrong audience), five are refused on their header
   * (alg none or HS512, crit, jku, typ), the rest are not JSON. Each is distinct, so none could hit a
   * cache entry.
   */
  function invalidTokenNo(i: number): string {
    const payload = () => b64url({ sub: 'alice', aud: RESOURCE, iss: IDP_ISS, exp: 4102444800, jti: `j${i}` });
    switch (i % 100) {
      case 0:
        return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${payload()}.${randomBytes(32).toString('base64url')}`;
      case 1:
        return handMadeHs256({ alg: 'HS256', typ: 'JWT' }, claimsFor({ jti: `e${i}`, iat: now() - 7200, exp: now() - 3600 }), SECRET);
      case 2:
        return handMadeHs256({ alg: 'HS256', typ: 'JWT' }, claimsFor({ jti: `a${i}`, aud: `https://x${i}.example` }), SECRET);
      case 3:
        return `${b64url({ alg: 'none', n: i })}.${payload()}.c2ln`;
      case 4:
        return `${b64url({ alg: 'HS512', n: i })}.${payload()}.c2ln`;
      case 5:
        return `${b64url({ alg: 'HS256', crit: ['x'], n: i })}.${payload()}.c2ln`;
      case 6:
        return `${b64url({ alg: 'HS256', jku: `https://x${i}.example/jwks` })}.${payload()}.c2ln`;
      case 7:
        return `${b64url({ alg: 'HS256', typ: `x${i}+jwt` })}.${payload()}.c2ln`;
      default:
        return `${b64url(`{"alg":"HS256","n":${i}`)}.e30.c2ln`;
    }
  }

  it("B27 100,000 distinct invalid tokens: every one 401, none cached (500 over HTTP, the rest through the guard's verifier)", async () => {
    const size = a.cache.size;
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 5; batch++) {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call(a.base, invalidTokenNo(batch * 100 + i)).then((r) => r.status)));
      for (const s of results) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 500 });
    const verifier = a.app.get(TokenVerifier);
    const refused = new Map<string, number>();
    for (let i = 500; i < 100_000; i++) {
      // A refusal settles in microtasks only: yield now and then, as a server does between requests,
      // so keep-alive timers are not all starved until the next test reuses a pooled socket.
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      const outcome = await verifier.verify({ headers: { authorization: `Bearer ${invalidTokenNo(i)}` } }).then(
        () => 'accepted',
        (err: unknown) => (err instanceof InvalidTokenError ? `${err.getStatus()} ${err.error}` : String(err)),
      );
      refused.set(outcome, (refused.get(outcome) ?? 0) + 1);
    }
    expect(Object.fromEntries(refused)).toEqual({ '401 invalid_token': 99_500 });
    expect(a.cache.size).toBe(size);
  });

  it('B27 the cache is bounded in entries (LRU): 250 distinct valid tokens leave at most cache.maxEntries (100)', async () => {
    for (let batch = 0; batch < 5; batch++) {
      const tokens = await Promise.all(Array.from({ length: 50 }, () => signHmac(SECRET, claimsFor({ jti: randomUUID() }))));
      expect(new Set(await Promise.all(tokens.map((tk) => call(a.base, tk).then((r) => r.status))))).toEqual(new Set([200]));
    }
    expect(a.cache.size).toBe(100);
  });

  it('B28 a token cached as valid on one module instance is 401 on another with another audience (both ways)', async () => {
    const forA = await signHmac(SECRET, claimsFor());
    const forB = await signHmac(SECRET, claimsFor({ aud: OTHER }));
    const statuses = {
      'A, token for A': (await call(a.base, forA)).status,
      'B, token for B': (await call(b.base, forB)).status,
      'B, token cached by A': await outcome(await call(b.base, forA)),
      'A, token cached by B': await outcome(await call(a.base, forB)),
    };
    expect(statuses).toEqual({
      'A, token for A': 200,
      'B, token for B': 200,
      'B, token cached by A': invalidToken(b, TOKEN_MESSAGES.audience),
      'A, token cached by B': invalidToken(a, TOKEN_MESSAGES.audience),
    });
  });

  it('B28 a token cached for scope mcp:read is 403 on a route and a tool that need other scopes (the scopes are checked on every hit)', async () => {
    const token = await signHmac(SECRET, claimsFor({ scope: 'mcp:read' }));
    expect((await call(a.base, token)).status).toBe(200);
    expect(a.cache.get(tokenHash(token))).toBeDefined();
    const route = await call(a.base, { token, path: '/admin' });
    const tool = await call(a.base, {
      token,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_ping' } }),
    });
    expect([route.status, tool.status]).toEqual([403, 403]);
    expect(route.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="mcp:read mcp:admin mcp:write"/);
    expect(tool.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="mcp:read mcp:admin"/);
  });

  it('B29 the cache holds SHA-256 hashes, never a raw token', async () => {
    const token = await signHmac(SECRET, claimsFor());
    expect((await call(a.base, token)).status).toBe(200);
    const keys = [...lruOf(a.cache).keys()];
    expect(keys).toContain(tokenHash(token));
    expect(keys.every((k) => /^[A-Za-z0-9_-]{43}$/.test(k))).toBe(true);
    expect(JSON.stringify([...lruOf(a.cache).values()])).not.toContain(token.split('.')[2]);
  });
});

describe('B28/B29 proxy mode: per-instance tokens, immediate revocation, nothing raw stored', () => {
  let f1: ProxyFixture;
  let f2: ProxyFixture;
  beforeAll(async () => {
    [f1, f2] = await Promise.all([startProxyFixture(), startProxyFixture()]);
  });
  afterAll(async () => {
    await f1.close();
    await f2.close();
  });

  const post = (f: ProxyFixture, token: string) => call(f.base, { token, method: 'POST' });

  it('B28 a token cached as valid by one proxy instance is 401 at another (its own issuer, keys and resource)', async () => {
    const { tokens } = await signedIn(f1);
    expect((await post(f1, tokens.access_token)).status).toBe(201);
    expect(await outcome(await post(f2, tokens.access_token))).toEqual(invalidToken(proxyTarget(f2)));
  });

  it('B29 proxy-mode revocation is immediate: a cached access token is 401 "revoked" right after its grant is revoked', async () => {
    const { clientId, tokens } = await signedIn(f1);
    expect((await post(f1, tokens.access_token)).status).toBe(201);
    const cache = f1.app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE);
    expect(cache.get(tokenHash(tokens.access_token))).toBeDefined();
    const revoke = await fetch(`${f1.base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: clientId }),
    });
    expect(revoke.status).toBe(200);
    expect(await outcome(await post(f1, tokens.access_token))).toEqual(invalidToken(proxyTarget(f1), TOKEN_MESSAGES.revoked));
  });

  it('B29 neither the token cache nor the store holds a raw access or refresh token', async () => {
    const { tokens } = await signedIn(f1);
    expect((await post(f1, tokens.access_token)).status).toBe(201);
    const cache = f1.app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE);
    const stored = await Promise.all(f1.store.keys().map(async (k) => `${k}=${JSON.stringify(await f1.store.get(k))}`));
    const everything = [...lruOf(cache).keys(), JSON.stringify([...lruOf(cache).values()]), ...stored].join('\n');
    expect(everything).toContain(tokenHash(tokens.access_token));
    for (const [name, secret] of [
      ['access token', tokens.access_token],
      ['access token signature', tokens.access_token.split('.')[2]],
      ['refresh token', tokens.refresh_token],
    ]) {
      expect({ name, found: everything.includes(secret) }).toEqual({ name, found: false });
    }
  });
});

describe('B29 native mode: a signing key that leaves the JWKS (oidc, cooldown 0)', () => {
  let idp: JwksServer;
  let t: Target;
  let k2: TestKey;
  let clock: ReturnType<typeof jumpingClock> | undefined;

  beforeAll(async () => {
    k2 = await generateTestKey('RS256', 'k2');
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    t = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, jwks: { cooldownMs: 0 } }, idp);
  });
  afterEach(() => clock?.restore());
  afterAll(async () => {
    await t.app.close();
    await idp.stop();
  });

  it('B29 once the key store sees the removal (a refetch), cached tokens signed with the removed key are purged: 401', async () => {
    const old = await signWithKey(rsa, claimsFor({ exp: now() + 3600 }));
    expect((await call(t.base, old)).status).toBe(200);
    idp.keys = [k2.publicJwk];
    expect((await call(t.base, await signWithKey(k2, claimsFor()))).status).toBe(200);
    expect(t.cache.get(tokenHash(old))).toBeUndefined();
    expect(await outcome(await call(t.base, old))).toEqual(invalidToken(t, TOKEN_MESSAGES.unknownKey));
  });

  // Catalogue: "the cached entry is purged, or the exposure is documented as ≤5 min". With nothing
  // triggering a refetch, the keys are refetched at jwks.maxAgeMs (default 5 min, the cache's bound).
  it('B29 without any refetch trigger, a removed key stops being accepted within the 5-minute cache TTL', async () => {
    idp.keys = [rsa.publicJwk, k2.publicJwk];
    const old = await signWithKey(rsa, claimsFor({ exp: now() + 3600 }));
    expect((await call(t.base, old)).status).toBe(200);
    idp.keys = [k2.publicJwk];
    clock = jumpingClock();
    clock.advance(301_000);
    expect(t.cache.get(tokenHash(old))).toBeUndefined();
    expect(await outcome(await call(t.base, old))).toEqual(invalidToken(t, TOKEN_MESSAGES.unknownKey));
  });
});

describe('B29 native mode: new key material under a known kid (oidc, cooldown 0)', () => {
  let idp: JwksServer;
  let t: Target;
  let k2: TestKey;

  beforeAll(async () => {
    k2 = await generateTestKey('RS256', 'k2');
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    t = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, jwks: { cooldownMs: 0 } }, idp);
  });
  afterAll(async () => {
    await t.app.close();
    await idp.stop();
  });

  it('B29 new key material published under a known kid is a new key: once the store sees it, tokens signed with the old material are 401', async () => {
    const reissued = await generateTestKey('RS256', rsa.kid);
    const old = await signWithKey(rsa, claimsFor({ exp: now() + 3600, jti: randomUUID() }));
    expect((await call(t.base, old)).status).toBe(200);
    // The IdP re-keys kid k1 (and adds k2); a k2 token makes the store refetch.
    idp.keys = [reissued.publicJwk, k2.publicJwk];
    expect((await call(t.base, await signWithKey(k2, claimsFor()))).status).toBe(200);
    expect(t.cache.get(tokenHash(old))).toBeUndefined();
    const again = await signWithKey(rsa, claimsFor({ exp: now() + 3600, jti: randomUUID() }));
    expect(await outcome(await call(t.base, old))).toEqual(invalidToken(t, TOKEN_MESSAGES.signature));
    expect(await outcome(await call(t.base, again))).toEqual(invalidToken(t, TOKEN_MESSAGES.signature));
    expect((await call(t.base, await signWithKey(reissued, claimsFor()))).status).toBe(200);
  });
});
