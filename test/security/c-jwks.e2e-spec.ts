import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { JWK } from 'jose';
import { TOKEN_MESSAGES } from '../../src/errors/messages.constant.js';
import { DiscoveryIssuerMismatchError, OAuthMcpConfigService } from '../../src/index.js';
import { generateTestKey, JwksServer, type TestKey } from '../support/jwks-server.js';
import { createTestApp } from '../support/test-app.js';
import { handMadeHs256, signWithKey } from '../support/tokens.js';
import {
  call,
  claimsFor,
  expectAllRejected,
  handMadeJws,
  IDP_ISS,
  invalidToken,
  jumpingClock,
  outcome,
  recordOutbound,
  RESOURCE,
  SECRET,
  SERVER_URL,
  startNative,
  type Target,
} from './guard-helpers.js';

/*
 * security-cases.md group C: the JWKS the native JWKS providers fetch (oidc here; okta, google and
 * azure share the key store). A loopback JwksServer stands in for the IdP and counts requests; the
 * cooldown window is crossed with a jumping `Date.now` instead of waiting. The catalogue numbers
 * 30–39 without 36.
 */

let rsa: TestKey;
let ec: TestKey;
let kNew: TestKey;
beforeAll(async () => {
  [rsa, ec, kNew] = await Promise.all([generateTestKey('RS256', 'rsa-1'), generateTestKey('ES256', 'ec-1'), generateTestKey('RS256', 'rsa-new')]);
});

/** A token signed by `key` but naming a random kid (what a kid flood sends). */
const randomKid = (key: TestKey) => handMadeJws({ alg: 'RS256', typ: 'JWT', kid: randomUUID() }, claimsFor(), key);

async function statusesOf(t: Target, tokens: string[], concurrency = 100): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (let i = 0; i < tokens.length; i += concurrency) {
    const batch = await Promise.all(tokens.slice(i, i + concurrency).map((tk) => call(t.base, tk).then((r) => r.status)));
    for (const s of batch) counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}

describe('C30/C31 refetch policy (default jwks.cooldownMs 30 s)', () => {
  let idp: JwksServer;
  let t: Target;
  let clock: ReturnType<typeof jumpingClock>;

  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    t = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri }, idp);
    clock = jumpingClock();
  });
  afterEach(() => {
    idp.jwksResponse = undefined;
  });
  afterAll(async () => {
    clock.restore();
    await t.app.close();
    await idp.stop();
  });

  it('C30 1,000 requests with random kids: all 401, at most one JWKS fetch per cooldown window, concurrent misses share one fetch', async () => {
    expect(idp.jwksRequests).toBe(1); // the bootstrap fetch opened the first window
    const first = await statusesOf(
      t,
      Array.from({ length: 400 }, () => randomKid(rsa)),
    );
    expect({ statuses: first, fetches: idp.jwksRequests }).toEqual({ statuses: { 401: 400 }, fetches: 1 });

    clock.advance(31_000);
    idp.jwksResponse = (_req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: idp.keys }));
      }, 150);
    };
    const second = await statusesOf(
      t,
      Array.from({ length: 300 }, () => randomKid(rsa)),
      300,
    );
    expect({ statuses: second, fetches: idp.jwksRequests }).toEqual({ statuses: { 401: 300 }, fetches: 2 });

    const third = await statusesOf(
      t,
      Array.from({ length: 300 }, () => randomKid(rsa)),
    );
    expect({ statuses: third, fetches: idp.jwksRequests }).toEqual({ statuses: { 401: 300 }, fetches: 2 });
    expect(t.cache.size).toBe(0);
    expect((await call(t.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
  });

  it('C31 key rotation: the IdP adds k2 and signs with it; the first k2 token causes one refetch and is accepted, no restart', async () => {
    clock.advance(31_000);
    idp.keys = [rsa.publicJwk, kNew.publicJwk];
    const before = idp.jwksRequests;
    expect((await call(t.base, await signWithKey(kNew, claimsFor()))).status).toBe(200);
    expect(idp.jwksRequests).toBe(before + 1);
    expect((await call(t.base, await signWithKey(kNew, claimsFor()))).status).toBe(200);
    expect((await call(t.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
    expect(idp.jwksRequests).toBe(before + 1);
  });
});

describe('C32/C38 a failing or hostile JWKS endpoint (jwks.cooldownMs 0, jwks.timeoutMs 500)', () => {
  let idp: JwksServer;
  let t: Target;
  /** A raw TCP listener standing in for an internal service (redis on 127.0.0.1:6379): counts connections. */
  let internal: NetServer;
  let internalConnections = 0;

  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk, ec.publicJwk];
    t = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, jwks: { cooldownMs: 0, timeoutMs: 500 } }, idp);
    // From here on the IdP publishes kNew too, but only the failure modes below answer.
    idp.keys = [rsa.publicJwk, ec.publicJwk, kNew.publicJwk];
    internal = createNetServer((socket) => {
      internalConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => {
    idp.jwksResponse = undefined;
  });
  afterAll(async () => {
    await t.app.close();
    await idp.stop();
    await new Promise((resolve) => internal.close(resolve));
  });

  it('C32 the default fetch timeout is 5 s (shortened to 500 ms in this app)', () => {
    const { fetchTimeoutMs } = OAuthMcpConfigService.resolve({ provider: 'oidc', issuer: IDP_ISS, audience: RESOURCE, serverUrl: SERVER_URL });
    expect(fetchTimeoutMs).toBe(5000);
  });

  const failures: Record<string, (res: ServerResponse) => void> = {
    'HTTP 500': (res) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ keys: [] }));
    },
    'an HTML page': (res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Maintenance</title>');
    },
    '{"keys":"x"}': (res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"keys":"x"}');
    },
    'invalid JSON': (res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"keys":[{"kty":"RSA"');
    },
    'a hang longer than the timeout': () => undefined,
  };

  it.each(Object.keys(failures))('C32 the JWKS answers %s: an uncached kid is 401 (fail closed, fast); cached keys keep working', async (label) => {
    idp.jwksResponse = (_req, res) => failures[label](res);
    const before = idp.jwksRequests;
    const started = Date.now();
    await expectAllRejected(t, { [label]: await signWithKey(kNew, claimsFor()) }, { description: TOKEN_MESSAGES.unknownKey });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(idp.jwksRequests).toBe(before + 1);
    expect((await call(t.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
    expect((await call(t.base, await signWithKey(ec, claimsFor()))).status).toBe(200);
  });

  it('C38 a 302 to an internal address is not followed: the target is never connected to; 401', async () => {
    const outbound = recordOutbound([t.base]);
    try {
      for (const location of [`http://127.0.0.1:${(internal.address() as AddressInfo).port}/`, 'http://169.254.169.254/latest/meta-data/']) {
        idp.jwksResponse = (_req, res) => {
          res.statusCode = 302;
          res.setHeader('location', location);
          res.end();
        };
        await expectAllRejected(t, { [location]: await signWithKey(kNew, claimsFor()) }, { description: TOKEN_MESSAGES.unknownKey });
      }
      expect({ internalConnections, outbound: [...new Set(outbound.urls())] }).toEqual({ internalConnections: 0, outbound: [idp.jwksUri] });
    } finally {
      outbound.restore();
    }
    expect((await call(t.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
  });

  it('C38 a 50 MB body is cut off at the cap (1 MB): the read stops early, the key inside is not used, 401', async () => {
    const body = JSON.stringify({ keys: [kNew.publicJwk], padding: '' }).slice(0, -2);
    let sent = 0;
    let closed: Promise<void> = Promise.resolve();
    idp.jwksResponse = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      closed = new Promise((resolve) => res.on('close', () => resolve()));
      const chunk = 'x'.repeat(64 * 1024);
      res.write(body);
      const pump = () => {
        while (sent < 50 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      pump();
    };
    const started = Date.now();
    await expectAllRejected(t, { '50 MB': await signWithKey(kNew, claimsFor()) }, { description: TOKEN_MESSAGES.unknownKey });
    await closed;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sent).toBeLessThan(10 * 1024 * 1024);
    expect((await call(t.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
  });
});

describe('C33/C34/C35 which published keys may verify (jwks.cooldownMs 0)', () => {
  let idp: JwksServer;
  let t: Target;
  let misused: TestKey;
  let rsaB: TestKey;
  let weak: KeyObject;

  beforeAll(async () => {
    [misused, rsaB] = await Promise.all([generateTestKey('RS256', 'misused'), generateTestKey('RS256', 'rsa-b')]);
    const weakPair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    weak = weakPair.privateKey;
    const { use: _use, alg: _alg, kid: _kid, ...material } = misused.publicJwk;
    const k = Buffer.from(SECRET).toString('base64url');
    idp = await new JwksServer().start();
    idp.keys = [
      rsa.publicJwk,
      ec.publicJwk,
      { ...material, kid: 'enc', alg: 'RS256', use: 'enc' },
      { ...material, kid: 'encrypt-ops', alg: 'RS256', key_ops: ['encrypt'] },
      { ...material, kid: 'rs384', alg: 'RS384', use: 'sig' },
      { kty: 'oct', kid: 'oct', alg: 'HS256', use: 'sig', k },
      { kty: 'oct', kid: 'oct-rs', alg: 'RS256', use: 'sig', k },
      { ...(weakPair.publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak-1024', alg: 'RS256', use: 'sig' },
    ];
    t = await startNative({ provider: 'oidc', issuer: IDP_ISS, jwksUri: idp.jwksUri, jwks: { cooldownMs: 0 } }, idp);
  });
  afterAll(async () => {
    await t.app.close();
    await idp.stop();
  });

  it('C34 keys with use:"enc", key_ops:["encrypt"], alg:"RS384", or kty:"oct" never verify an RS256 token: 401', async () => {
    await expectAllRejected(
      t,
      {
        'use enc': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'enc' }, claimsFor(), misused),
        'key_ops encrypt': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'encrypt-ops' }, claimsFor(), misused),
        'alg RS384': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'rs384' }, claimsFor(), misused),
        'kty oct, RS256 token': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'oct-rs' }, claimsFor(), misused),
      },
      { description: TOKEN_MESSAGES.unknownKey },
    );
    await expectAllRejected(
      t,
      { 'kty oct, HS256 token keyed with its k': handMadeHs256({ alg: 'HS256', typ: 'JWT', kid: 'oct' }, claimsFor(), SECRET) },
      {
        description: TOKEN_MESSAGES.algorithm,
      },
    );
  });

  it('C35 a 1024-bit RSA key in the JWKS: tokens signed with it get 401', async () => {
    await expectAllRejected(
      t,
      { 'weak-1024': handMadeJws({ alg: 'RS256', typ: 'JWT', kid: 'weak-1024' }, claimsFor(), weak) },
      { description: TOKEN_MESSAGES.unknownKey },
    );
  });

  it('C33 no kid: accepted while exactly one key fits kty/alg/use (200); with two candidate RSA keys: 401', async () => {
    const noKid = (key: TestKey, alg = 'RS256') => handMadeJws({ alg, typ: 'JWT' }, claimsFor(), key);
    expect((await call(t.base, noKid(rsa))).status).toBe(200);
    expect((await call(t.base, noKid(ec, 'ES256'))).status).toBe(200);
    idp.keys = [...idp.keys, rsaB.publicJwk];
    expect((await call(t.base, await signWithKey(rsaB, claimsFor()))).status).toBe(200); // unknown kid → refetch: rsa-b known now
    await expectAllRejected(t, { 'no kid, signed by rsa-1': noKid(rsa), 'no kid, signed by rsa-b': noKid(rsaB) }, { description: TOKEN_MESSAGES.unknownKey });
    expect((await call(t.base, noKid(ec, 'ES256'))).status).toBe(200);
    expect((await call(t.base, await signWithKey(rsa, claimsFor()))).status).toBe(200);
  });
});

describe('C37/C39 discovery (oidc with OIDC_ISSUER only, no jwksUri)', () => {
  let idp: JwksServer;
  let evil: JwksServer;
  let t: Target;

  beforeAll(async () => {
    idp = await new JwksServer().start();
    idp.keys = [rsa.publicJwk];
    evil = await new JwksServer().start();
    evil.keys = [kNew.publicJwk];
    t = await startNative({ provider: 'oidc', issuer: idp.issuer }, idp);
  });
  afterAll(async () => {
    await t.app.close();
    await idp.stop();
    await evil.stop();
  });

  it('C37 a token naming another iss (metadata address, evil.example, a live server) is 401 with no outbound request at all', async () => {
    expect({ discovery: idp.discoveryRequests, jwks: idp.jwksRequests }).toEqual({ discovery: 1, jwks: 1 });
    const outbound = recordOutbound([t.base]);
    const cases: Record<string, string> = {};
    for (const iss of ['http://169.254.169.254/latest/meta-data/', 'https://evil.example', evil.issuer]) {
      cases[`${iss}, known kid`] = await signWithKey(rsa, claimsFor({ iss }));
      cases[`${iss}, its own key and kid`] = await signWithKey(kNew, claimsFor({ iss }));
    }
    try {
      const after = { idp: [idp.discoveryRequests, idp.jwksRequests] };
      for (const [label, token] of Object.entries(cases)) {
        const got = await outcome(await call(t.base, token));
        expect({ label, status: got.status, challenge: got.challenge }).toEqual({ label, status: 401, challenge: invalidToken(t).challenge });
      }
      expect({ outbound: outbound.urls(), evil: [evil.discoveryRequests, evil.jwksRequests], idp: [idp.discoveryRequests, idp.jwksRequests] }).toEqual({
        outbound: [],
        evil: [0, 0],
        ...after,
      });
    } finally {
      outbound.restore();
    }
    expect((await call(t.base, await signWithKey(rsa, claimsFor({ iss: idp.issuer })))).status).toBe(200);
  });

  it.each([
    ['another issuer', () => 'https://evil.example'],
    ['the issuer with a trailing slash', (s: JwksServer) => `${s.issuer}/`],
    ['the same host spelled localhost', (s: JwksServer) => s.issuer.replace('127.0.0.1', 'localhost')],
  ] as [string, (s: JwksServer) => string][])('C39 the discovery document names %s: the application refuses to start', async (_label, issuer) => {
    const other = await new JwksServer().start();
    other.keys = [rsa.publicJwk];
    other.issuerOverride = issuer(other);
    try {
      const started = createTestApp({ provider: 'oidc', issuer: other.issuer, audience: RESOURCE, serverUrl: SERVER_URL });
      await expect(started).rejects.toBeInstanceOf(DiscoveryIssuerMismatchError);
      await expect(started).rejects.toThrow(/OIDC_ISSUER/);
      expect({ discovery: other.discoveryRequests, jwks: other.jwksRequests }).toEqual({ discovery: 1, jwks: 0 });
    } finally {
      await other.stop();
    }
  });
});
