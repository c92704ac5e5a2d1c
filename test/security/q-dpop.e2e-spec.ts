import { Test } from '@nestjs/testing';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ConnectedAppsService, OAuthMcpConfigError, OAuthMcpConfigService, OAuthMcpModule, oauthMcpOptionsFromEnv } from '../../src/index.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../../src/oauth-mcp.internal-constants.js';
import type { TokenCache } from '../../src/resource-server/verification/token-cache.js';
import { MemoryStore } from '../../src/store/memory.store.js';
import { RedisServer } from '../support/redis-server.js';
import { type DpopKey, dpopKey, dpopProof, type ProofClaims } from '../support/dpop.js';
import { authorizeUrl, completeFlow, pkce, type ProxyFixture, registerClient, startProxyFixture, tokenRequest } from '../support/proxy-fixture.js';
import { sha256, storeSnapshot, WEB_APP } from './flow-helpers.js';
import { AGENT_SECRET, CI_SECRET, idJag, JWT_BEARER, startEnterpriseFixture } from './enterprise-helpers.js';

/**
 * Catalogue group Q (issue 15): DPoP (RFC 9449) in proxy mode, this server's token endpoint and its
 * resource server, over HTTP with proofs built here (jose) so every rule can be bent one at a time.
 * The official v2 client's own flow is in q-dpop-sdk.e2e-spec.ts; native mode in q-dpop-native.e2e-spec.ts.
 */

interface Tokens {
  access_token: string;
  token_type: string;
  refresh_token: string;
}

const now = () => Math.floor(Date.now() / 1000);

/** A public DCR client's authorization_code request parameters, its code fresh from a completed sign-in. */
async function codeExchange(f: ProxyFixture): Promise<Record<string, string>> {
  const redirectUri = 'http://127.0.0.1:51000/callback';
  const clientId = await registerClient(f, [redirectUri]);
  const { verifier, challenge } = pkce();
  const { callback } = await completeFlow(
    f,
    authorizeUrl(f, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource }),
  );
  return {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code')!,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    client_id: clientId,
  };
}

/** A public DCR client signed in with DPoP proofs by `key` at the token endpoint. */
async function signInWithDpop(f: ProxyFixture, key: DpopKey | undefined, claims: Partial<ProofClaims> = {}): Promise<{ clientId: string; tokens: Tokens }> {
  const params = await codeExchange(f);
  const headers: Record<string, string> = key ? { dpop: await dpopProof(key, { htu: `${f.base}/oauth/token`, ...claims }) } : {};
  const res = await tokenRequest(f, params, headers);
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${await res.text()}`);
  return { clientId: params.client_id, tokens: (await res.json()) as Tokens };
}

/** POST /mcp with `Authorization: <scheme> <token>` and, when given, a DPoP header. */
function callMcp(f: Pick<ProxyFixture, 'resource'>, token: string, proof?: string | string[], scheme = 'DPoP', url = f.resource): Promise<Response> {
  const headers = new Headers({ authorization: `${scheme} ${token}` });
  for (const p of proof === undefined ? [] : Array.isArray(proof) ? proof : [proof]) headers.append('dpop', p);
  return fetch(url, { method: 'POST', headers });
}

async function expectDpopRefusal(res: Response, error: string, description?: string): Promise<void> {
  expect(res.status).toBe(401);
  const challenge = res.headers.get('www-authenticate')!;
  // RFC 9449 §7.1: the Bearer challenge (bearer tokens are accepted here) and the DPoP one with the error.
  expect(challenge).toMatch(/^Bearer resource_metadata="[^"]+", scope="mcp:read mcp:write mcp:admin", DPoP algs="ES256 [^"]*EdDSA", error="/);
  expect(challenge).toContain(`error="${error}"`);
  const body = (await res.json()) as { error: string; error_description?: string };
  expect(body.error).toBe(error);
  if (description) expect(body.error_description).toBe(description);
}

describe('Q DPoP in proxy mode (RFC 9449): the token endpoint binds, the resource server checks every proof', () => {
  let f: ProxyFixture;
  let key: DpopKey;
  let tokens: Tokens;
  let clientId: string;
  const proof = (c: Partial<ProofClaims> = {}, k: DpopKey = key) => dpopProof(k, { htu: f.resource, accessToken: tokens.access_token, ...c });

  beforeAll(async () => {
    f = await startProxyFixture();
    key = await dpopKey();
    ({ clientId, tokens } = await signInWithDpop(f, key));
  });
  afterAll(() => f.close());

  it('Q11 a proof at the token endpoint: token_type DPoP, cnf.jkt = the key thumbprint; no proof: a Bearer token without cnf', async () => {
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.thumbprint });
    const plain = await signInWithDpop(f, undefined);
    expect(plain.tokens.token_type).toBe('Bearer');
    expect(decodeJwt(plain.tokens.access_token).cnf).toBeUndefined();
    const ok = await callMcp(f, plain.tokens.access_token, undefined, 'Bearer');
    expect(ok.status).toBe(201);
  });

  it('Q13 metadata advertises dpop_signing_alg_values_supported; a 401 carries the Bearer and the DPoP challenge', async () => {
    const as = (await (await fetch(`${f.base}/.well-known/oauth-authorization-server`)).json()) as Record<string, any>;
    expect(as.dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);
    const res = await fetch(f.resource, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${f.base}/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write mcp:admin", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
    );
    expect(res.headers.get('access-control-expose-headers')).toContain('DPoP-Nonce');
  });

  it('Q1 a proof for another HTTP method: 401 invalid_dpop_proof (a valid proof for the same request passes)', async () => {
    expect((await callMcp(f, tokens.access_token, await proof())).status).toBe(201);
    await expectDpopRefusal(
      await callMcp(f, tokens.access_token, await proof({ htm: 'GET' })),
      'invalid_dpop_proof',
      'The DPoP proof is for another HTTP method',
    );
    await expectDpopRefusal(await callMcp(f, tokens.access_token, await proof({ htm: 'post' })), 'invalid_dpop_proof');
  });

  it('Q2 a proof for another URL: 401; the same URL written differently (RFC 9449 §4.3 normalisation, query and fragment) passes', async () => {
    const other = new URL(f.resource);
    for (const htu of [
      `${f.base}/mcp2`,
      `${f.base}/`,
      f.resource.replace('http:', 'https:'),
      f.resource.replace('localhost', '127.0.0.1'),
      `${other.protocol}//${other.hostname}:1${other.pathname}`,
      'urn:x',
    ]) {
      await expectDpopRefusal(await callMcp(f, tokens.access_token, await proof({ htu })), 'invalid_dpop_proof', 'The DPoP proof is for another URL');
    }
    for (const htu of [f.resource.replace('http://localhost', 'HTTP://LOCALHOST'), f.resource.replace('/mcp', '/%6Dcp'), `${f.resource}?x=1#frag`]) {
      expect({ htu, status: (await callMcp(f, tokens.access_token, await proof({ htu }))).status }).toEqual({ htu, status: 201 });
    }
  });

  it('Q3 a proof whose iat is older than the window (60 s + skew) or in the future: 401', async () => {
    for (const iat of [now() - 120, now() + 120]) {
      await expectDpopRefusal(
        await callMcp(f, tokens.access_token, await proof({ iat })),
        'invalid_dpop_proof',
        'The DPoP proof is too old or from the future',
      );
    }
    expect((await callMcp(f, tokens.access_token, await proof({ iat: now() - 50 }))).status).toBe(201);
  });

  it('Q4 a proof sent twice (same jti) is refused the second time, also by another replica sharing the store; its mark is a hash', async () => {
    const once = await proof();
    expect((await callMcp(f, tokens.access_token, once)).status).toBe(201);
    await expectDpopRefusal(await callMcp(f, tokens.access_token, once), 'invalid_dpop_proof', 'The DPoP proof was already used');
    const replica = await startProxyFixture({ store: f.store }, { base: f.base, idp: f.idp });
    try {
      const twice = await proof();
      expect((await callMcp(f, tokens.access_token, twice, 'DPoP', `${replica.origin}/mcp`)).status).toBe(201);
      await expectDpopRefusal(await callMcp(f, tokens.access_token, twice), 'invalid_dpop_proof', 'The DPoP proof was already used');
    } finally {
      await replica.close();
    }
    const marks = f.store.keys().filter((k) => k.startsWith('dpop-jti:'));
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.every((k) => /^dpop-jti:[A-Za-z0-9_-]{43}$/.test(k))).toBe(true);
  });

  it('Q5 a proof whose ath is the hash of another token (or that has none): 401', async () => {
    await expectDpopRefusal(
      await callMcp(f, tokens.access_token, await proof({ ath: sha256('another token') })),
      'invalid_dpop_proof',
      'The DPoP proof is for another access token',
    );
    const noAth = await dpopProof(key, { htu: f.resource });
    await expectDpopRefusal(await callMcp(f, tokens.access_token, noAth), 'invalid_dpop_proof', 'The DPoP proof is missing a required claim');
  });

  it('Q6 a valid proof by another key than the token is bound to (a thief with the token and a key of its own): 401', async () => {
    const thief = await dpopKey();
    await expectDpopRefusal(
      await callMcp(f, tokens.access_token, await proof({}, thief)),
      'invalid_dpop_proof',
      'The DPoP proof is signed with another key than the token is bound to',
    );
  });

  it('Q7 a DPoP-bound token presented as Bearer (with or without a proof) is refused: 401 invalid_token', async () => {
    for (const p of [undefined, await proof()]) {
      const res = await callMcp(f, tokens.access_token, p, 'Bearer');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="The access token is bound to a DPoP key/);
      expect(res.headers.get('www-authenticate')).toContain(', DPoP algs="');
    }
  });

  it('Q12 a bearer (unbound) token presented with the DPoP scheme and a proof: 401 invalid_token', async () => {
    const plain = await signInWithDpop(f, undefined);
    const res = await callMcp(f, plain.tokens.access_token, await dpopProof(key, { htu: f.resource, accessToken: plain.tokens.access_token }));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_token', error_description: 'The access token is not bound to a DPoP key' });
  });

  it('Q9 a cache hit never skips the proof check: after a valid request, the cached token with a bad or no proof, or as Bearer, is refused', async () => {
    const cache = f.app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE);
    const fresh = await signInWithDpop(f, key);
    const token = fresh.tokens.access_token;
    const sizeBefore = cache.size;
    expect((await callMcp(f, token, await dpopProof(key, { htu: f.resource, accessToken: token }))).status).toBe(201);
    expect(cache.size).toBe(sizeBefore + 1);
    await expectDpopRefusal(await callMcp(f, token, await dpopProof(key, { htu: f.resource, accessToken: token, htm: 'GET' })), 'invalid_dpop_proof');
    await expectDpopRefusal(await callMcp(f, token, await dpopProof(await dpopKey(), { htu: f.resource, accessToken: token })), 'invalid_dpop_proof');
    await expectDpopRefusal(await callMcp(f, token), 'invalid_dpop_proof', 'A DPoP proof is required');
    expect((await callMcp(f, token, undefined, 'Bearer')).status).toBe(401);
    expect(cache.size).toBe(sizeBefore + 1);
  });

  it('Q10 malformed proofs: none, two, not dpop+jwt, a MAC or none alg, a private key in jwk, a signature by another key, garbage: 401', async () => {
    const t = tokens.access_token;
    await expectDpopRefusal(await callMcp(f, t, [await proof(), await proof()]), 'invalid_dpop_proof', 'Exactly one DPoP proof must be sent');
    await expectDpopRefusal(await callMcp(f, t, await proof({ typ: 'JWT' })), 'invalid_dpop_proof');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    await expectDpopRefusal(await callMcp(f, t, await proof({ jwk: await exportJWK(privateKey) })), 'invalid_dpop_proof');
    const other = await dpopKey();
    await expectDpopRefusal(await callMcp(f, t, await proof({ jwk: other.publicJwk })), 'invalid_dpop_proof', 'The DPoP proof signature is invalid');
    const secret = new TextEncoder().encode('a-shared-secret-of-32-bytes-long!');
    const mac = await new SignJWT({ jti: 'x', htm: 'POST', htu: f.resource, iat: now() })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as never })
      .sign(secret);
    await expectDpopRefusal(await callMcp(f, t, mac), 'invalid_dpop_proof');
    const [h, p] = (await proof()).split('.');
    const none = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'none' })).toString('base64url')}.${p}.`;
    await expectDpopRefusal(await callMcp(f, t, none), 'invalid_dpop_proof');
    await expectDpopRefusal(await callMcp(f, t, 'not-a-jwt'), 'invalid_dpop_proof', 'The DPoP proof is malformed');
  });

  it('Q11 a public client’s refresh token is bound to its key: no proof or another key is 400 invalid_dpop_proof (nothing rotated); the key refreshes', async () => {
    const fresh = await signInWithDpop(f, key);
    const refresh = { grant_type: 'refresh_token', refresh_token: fresh.tokens.refresh_token, client_id: fresh.clientId };
    const htu = `${f.base}/oauth/token`;
    const none = await tokenRequest(f, refresh);
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'A DPoP proof is required' });
    const thief = await tokenRequest(f, refresh, { dpop: await dpopProof(await dpopKey(), { htu }) });
    expect(thief.status).toBe(400);
    expect(await thief.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'The refresh token is bound to another DPoP key' });
    const ok = await tokenRequest(f, refresh, { dpop: await dpopProof(key, { htu }) });
    expect(ok.status).toBe(200);
    const next = (await ok.json()) as Tokens;
    expect(next.token_type).toBe('DPoP');
    expect(decodeJwt(next.access_token).cnf).toEqual({ jkt: key.thumbprint });
    expect(clientId).not.toBe(fresh.clientId);
  });

  it('Q11 a confidential client’s refresh token is not bound to a key; each access token is bound to the proof sent with its request', async () => {
    const redirectUri = WEB_APP.redirectUri;
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(
      f,
      authorizeUrl(f, { client_id: WEB_APP.clientId, redirect_uri: redirectUri, code_challenge: challenge, resource: f.resource }),
    );
    const htu = `${f.base}/oauth/token`;
    const auth = { client_id: WEB_APP.clientId, client_secret: WEB_APP.secret };
    const first = await tokenRequest(
      f,
      { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: redirectUri, ...auth },
      { dpop: await dpopProof(key, { htu }) },
    );
    const bound = (await first.json()) as Tokens;
    expect(bound.token_type).toBe('DPoP');
    // Connected apps say how the grant's access tokens are held, for a confidential client too.
    const sub = decodeJwt(bound.access_token).sub!;
    const binding = async () => (await f.app.get(ConnectedAppsService).listForSubject(sub)).find((a) => a.clientId === WEB_APP.clientId)?.tokenBinding;
    expect(await binding()).toBe('DPoP');
    const plain = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: bound.refresh_token, ...auth });
    expect(plain.status).toBe(200);
    const next = (await plain.json()) as Tokens;
    expect(next.token_type).toBe('Bearer');
    expect(decodeJwt(next.access_token).cnf).toBeUndefined();
    expect(await binding()).toBe('bearer');
  });

  it('Q1/Q2/Q3 at the token endpoint: a proof for another method, URL or time is 400 invalid_dpop_proof and spends no code', async () => {
    const params = await codeExchange(f);
    const htu = `${f.base}/oauth/token`;
    for (const bent of [{ htm: 'GET' }, { htu: `${f.base}/oauth/revoke` }, { iat: now() - 600 }]) {
      const res = await tokenRequest(f, params, { dpop: await dpopProof(key, { htu, ...bent }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string; error_description?: string }).error).toBe('invalid_dpop_proof');
      expect(res.headers.get('www-authenticate')).toBeNull();
    }
    // A valid proof with a grant that fails (an unknown code) leaves no jti mark: nothing is stored for a refusal.
    const snapshot = storeSnapshot(f);
    const unknown = await tokenRequest(f, { ...params, code: 'unknown-code' }, { dpop: await dpopProof(key, { htu }) });
    expect(((await unknown.json()) as { error: string; error_description?: string }).error).toBe('invalid_grant');
    expect(snapshot.added().filter((k) => k.startsWith('dpop-jti:'))).toEqual([]);
    // The 2025-03-26 root alias `/token` is another URL than /oauth/token.
    const alias = await fetch(`${f.base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await dpopProof(key, { htu }) },
      body: new URLSearchParams(params),
    });
    expect(alias.status).toBe(400);
    expect(((await alias.json()) as { error: string; error_description?: string }).error_description).toBe('The DPoP proof is for another URL');
    const ok = await tokenRequest(f, params, { dpop: await dpopProof(key, { htu }) });
    expect(ok.status).toBe(200);
  });
});

describe('Q DPoP nonces and required DPoP (operator options)', () => {
  let f: ProxyFixture;
  let key: DpopKey;

  beforeAll(async () => {
    f = await startProxyFixture({ dpopNonce: true });
    key = await dpopKey();
  });
  afterAll(() => f.close());

  it('Q8 with dpopNonce a proof without the server nonce is use_dpop_nonce (400 at the token endpoint, 401 DPoP challenge at /mcp) with DPoP-Nonce; with it, it passes', async () => {
    const params = await codeExchange(f);
    const htu = `${f.base}/oauth/token`;
    const first = await tokenRequest(f, params, { dpop: await dpopProof(key, { htu }) });
    expect(first.status).toBe(400);
    expect(((await first.json()) as { error: string; error_description?: string }).error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce')!;
    expect(nonce).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]{32}$/);
    expect((await tokenRequest(f, params, { dpop: await dpopProof(key, { htu, nonce: 'x.forged' }) })).status).toBe(400);
    const ok = await tokenRequest(f, params, { dpop: await dpopProof(key, { htu, nonce }) });
    expect(ok.status).toBe(200);
    const { access_token } = (await ok.json()) as Tokens;

    const missing = await callMcp(f, access_token, await dpopProof(key, { htu: f.resource, accessToken: access_token }));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/, DPoP algs="[^"]+", error="use_dpop_nonce", error_description="/);
    expect(missing.headers.get('dpop-nonce')).toBe(nonce);
    expect((await callMcp(f, access_token, await dpopProof(key, { htu: f.resource, accessToken: access_token, nonce }))).status).toBe(201);
  });

  it('Q8 the nonce key is shared by replicas through the store (one key, created once)', async () => {
    const replica = await startProxyFixture({ dpopNonce: true, store: f.store }, { base: f.base, idp: f.idp });
    try {
      const a = (
        await tokenRequest(
          f,
          { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'native-app' },
          { dpop: await dpopProof(key, { htu: `${f.base}/oauth/token` }) },
        )
      ).headers.get('dpop-nonce');
      const b = (
        await fetch(`${replica.origin}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await dpopProof(key, { htu: `${f.base}/oauth/token` }) },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'native-app' }),
        })
      ).headers.get('dpop-nonce');
      expect(a).toBeTruthy();
      expect(b).toBe(a);
      expect(f.store.keys().filter((k) => k === 'keys:dpop-nonce')).toHaveLength(1);
    } finally {
      await replica.close();
    }
  });

  it('Q14 with dpopRequired a token request without a proof is 400 invalid_dpop_proof, a bearer token is refused at /mcp, and the challenge is DPoP alone', async () => {
    // A bearer token issued before the operator turned DPoP on (same store, same signing keys).
    const plain = await signInWithDpop(f, undefined);
    const required = await startProxyFixture({ dpopRequired: true, store: f.store }, { base: f.base, idp: f.idp });
    try {
      const res = await fetch(`${required.origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: plain.tokens.refresh_token, client_id: plain.clientId }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'A DPoP proof is required' });
      const mcp = await callMcp(f, plain.tokens.access_token, undefined, 'Bearer', `${required.origin}/mcp`);
      expect(mcp.status).toBe(401);
      expect(mcp.headers.get('www-authenticate')).toBe(
        `DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA", error="invalid_token", error_description="A DPoP-bound access token is required", resource_metadata="${f.base}/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write mcp:admin"`,
      );
      const anonymous = await fetch(`${required.origin}/mcp`, { method: 'POST' });
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^DPoP algs="[^"]+", resource_metadata="/);
      // The refresh token was not spent by the refused request.
      const ok = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: plain.tokens.refresh_token, client_id: plain.clientId });
      expect(ok.status).toBe(200);
    } finally {
      await required.close();
    }
  });
});

describe('Q DPoP on the machine grants', () => {
  it('Q4/Q11 client_credentials and the ID-JAG grant with a proof (used once): DPoP-bound access tokens (no refresh token), usable only with a proof', async () => {
    const e = await startEnterpriseFixture();
    try {
      const key = await dpopKey();
      const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
      const htu = `${e.f.base}/oauth/token`;
      const cc = await tokenRequest(e.f, { grant_type: 'client_credentials' }, { authorization: basic('ci', CI_SECRET), dpop: await dpopProof(key, { htu }) });
      const jag = await tokenRequest(
        e.f,
        { grant_type: JWT_BEARER, assertion: await idJag(e) },
        { authorization: basic('agent', AGENT_SECRET), dpop: await dpopProof(key, { htu }) },
      );
      // Q4 at the token endpoint: the same proof again (a machine grant has no code or refresh token to spend).
      const ccProof = await dpopProof(key, { htu });
      const once = await tokenRequest(e.f, { grant_type: 'client_credentials' }, { authorization: basic('ci', CI_SECRET), dpop: ccProof });
      expect(once.status).toBe(200);
      const replay = await tokenRequest(e.f, { grant_type: 'client_credentials' }, { authorization: basic('ci', CI_SECRET), dpop: ccProof });
      expect(replay.status).toBe(400);
      expect(await replay.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof was already used' });
      for (const res of [cc, jag]) {
        expect(res.status).toBe(200);
        const body = (await res.json()) as Tokens;
        expect(body.token_type).toBe('DPoP');
        expect(body.refresh_token).toBeUndefined();
        expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.thumbprint });
        expect((await callMcp(e.f, body.access_token, await dpopProof(key, { htu: e.f.resource, accessToken: body.access_token }))).status).toBe(201);
        expect((await callMcp(e.f, body.access_token, undefined, 'Bearer')).status).toBe(401);
      }
    } finally {
      await e.close();
    }
  });
});

describe('Q DPoP replay marks need the store', () => {
  it('Q15 the store cannot be reached while a proof’s jti is spent: 503 at the token endpoint and at /mcp, no token handed out', async () => {
    class FailingJtiStore extends MemoryStore {
      down = false;
      override setIfAbsent<T>(key: string, value: T, ttl?: number): Promise<boolean> {
        return this.down && key.startsWith('dpop-jti:') ? Promise.reject(new Error('down')) : super.setIfAbsent(key, value, ttl);
      }
    }
    const store = new FailingJtiStore();
    const f = await startProxyFixture({ store });
    try {
      const key = await dpopKey();
      const { tokens } = await signInWithDpop(f, key);
      store.down = true;
      const mcp = await callMcp(f, tokens.access_token, await dpopProof(key, { htu: f.resource, accessToken: tokens.access_token }));
      expect(mcp.status).toBe(503);
      expect(((await mcp.json()) as { error: string; error_description?: string }).error).toBe('temporarily_unavailable');
      const res = await signInWithDpop(f, key).catch((err: Error) => err.message);
      expect(res).toMatch(/^token request answered 503: .*temporarily_unavailable/);
    } finally {
      await f.close();
    }
  });
});

describe('Q DPoP across replicas sharing a real Redis', () => {
  const redis = new RedisServer();
  let a: ProxyFixture;
  let b: ProxyFixture;

  beforeAll(async () => {
    await redis.start();
    a = await startProxyFixture({ store: await redis.store('dpop:'), dpopNonce: true });
    b = await startProxyFixture({ store: await redis.store('dpop:'), dpopNonce: true }, { base: a.base, idp: a.idp });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis.stop();
  });

  it('Q4/Q8 a nonce from replica A is accepted by B; a proof used at A is a replay at B (the jti mark is in Redis)', async () => {
    const key = await dpopKey();
    const params = await codeExchange(a);
    const htu = `${a.base}/oauth/token`;
    const first = await tokenRequest(a, params, { dpop: await dpopProof(key, { htu }) });
    expect(((await first.json()) as { error: string; error_description?: string }).error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce')!;
    const atB = await fetch(`${b.origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await dpopProof(key, { htu, nonce }) },
      body: new URLSearchParams(params),
    });
    expect(atB.status).toBe(200);
    const { access_token } = (await atB.json()) as Tokens;
    const once = await dpopProof(key, { htu: a.resource, accessToken: access_token, nonce });
    expect((await callMcp(a, access_token, once)).status).toBe(201);
    await expectDpopRefusal(await callMcp(a, access_token, once, 'DPoP', `${b.origin}/mcp`), 'invalid_dpop_proof', 'The DPoP proof was already used');
  });
});

describe('Q DPoP on the Fastify adapter', () => {
  it('Q1/Q2/Q11 on Fastify: the token endpoint binds, /mcp takes the proof for its own method and URL only', async () => {
    const f = await startProxyFixture({}, undefined, 'fastify');
    try {
      const key = await dpopKey();
      const { tokens } = await signInWithDpop(f, key);
      expect(tokens.token_type).toBe('DPoP');
      const proof = (c: Partial<ProofClaims> = {}) => dpopProof(key, { htu: f.resource, accessToken: tokens.access_token, ...c });
      expect((await callMcp(f, tokens.access_token, await proof())).status).toBe(201);
      await expectDpopRefusal(
        await callMcp(f, tokens.access_token, await proof({ htm: 'GET' })),
        'invalid_dpop_proof',
        'The DPoP proof is for another HTTP method',
      );
      await expectDpopRefusal(
        await callMcp(f, tokens.access_token, await proof({ htu: `${f.base}/other` })),
        'invalid_dpop_proof',
        'The DPoP proof is for another URL',
      );
    } finally {
      await f.close();
    }
  });
});

describe('Q DPoP settings', () => {
  const env = {
    OAUTH_PROVIDER: 'hmac',
    JWT_SECRET: 'Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUek7',
    OIDC_AUDIENCE: 'http://localhost:9/mcp',
    MCP_URL: 'http://localhost:9',
  };
  const compile = async (extra: Record<string, string>) => {
    try {
      const moduleRef = await Test.createTestingModule({ imports: [OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv({ ...env, ...extra }))] }).compile();
      const config = moduleRef.get(OAuthMcpConfigService).config;
      await moduleRef.close();
      return config;
    } catch (err) {
      return err as Error;
    }
  };

  it('Q17 OAUTH_DPOP_* map to the options; a proof age outside 5–300 s or a flag that is not true/false stops the app, naming the variable', async () => {
    const config = await compile({ OAUTH_DPOP_REQUIRED: 'true', OAUTH_DPOP_NONCE: 'true', OAUTH_DPOP_PROOF_MAX_AGE_SECONDS: '30' });
    expect(config).toMatchObject({ dpopRequired: true, dpopNonce: true, dpopProofMaxAgeSeconds: 30 });
    expect(await compile({})).toMatchObject({ dpopRequired: false, dpopNonce: false, dpopProofMaxAgeSeconds: 60 });
    for (const [name, value] of [
      ['OAUTH_DPOP_PROOF_MAX_AGE_SECONDS', '301'],
      ['OAUTH_DPOP_PROOF_MAX_AGE_SECONDS', '4'],
      ['OAUTH_DPOP_REQUIRED', 'yes'],
      ['OAUTH_DPOP_NONCE', 'on'],
    ]) {
      const err = await compile({ [name]: value });
      expect(err).toBeInstanceOf(OAuthMcpConfigError);
      expect((err as Error).message).toContain(name);
    }
  });
});
