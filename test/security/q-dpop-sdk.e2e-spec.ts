import type { INestApplication } from '@nestjs/common';
import { auth as authV2, Client as ClientV2, DpopSession, StreamableHTTPClientTransport as TransportV2, withDpop } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { headlessLogin } from '../../src/dev-idp/headless-login.js';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { MemoryOAuthClientProvider } from '../../src/testing/memory-client-provider.js';
import { type DpopKey, dpopKey, dpopProof, type ProofClaims } from '../support/dpop.js';
import { freePort } from '../support/free-port.js';
import { startExampleOn } from '../support/example-server.js';

/**
 * Catalogue group Q (issue 15) with the official v2 client (`@modelcontextprotocol/client`, which ships
 * `DpopSession`, `withDpop`, `generateDpopKeyPair`, `DPOP_SUPPORTED_ALGS`): its whole DPoP flow against
 * the example server, in proxy mode (this server issues the bound token) and in native mode (the
 * embedded dev IdP, oidc-provider, issues it), then every proof rule refused in native mode with that
 * IdP-issued token.
 */

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

/** The v2 client's provider with DPoP: `dpop()` hands the SDK the session it signs every proof with. */
class DpopClientProvider extends MemoryOAuthClientProvider {
  constructor(readonly session: DpopSession) {
    super('http://127.0.0.1:53690/callback', 'e2e-v2-dpop');
  }
  dpop(): DpopSession {
    return this.session;
  }
}

async function signIn(serverUrl: URL, provider: DpopClientProvider, username: string): Promise<void> {
  expect(await authV2(provider as never, { serverUrl })).toBe('REDIRECT');
  const cb = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username });
  const iss = cb.searchParams.get('iss') ?? undefined;
  expect(await authV2(provider as never, { serverUrl, authorizationCode: cb.searchParams.get('code')!, ...(iss ? { iss } : {}) })).toBe('AUTHORIZED');
}

async function whoami(serverUrl: URL, transport: TransportV2): Promise<Record<string, unknown>> {
  const client = new ClientV2({ name: 'e2e-v2-dpop', version: '0' });
  await client.connect(transport);
  const result = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
  await client.close();
  expect(result.isError).toBeFalsy();
  return JSON.parse(result.content[0].text);
}

async function sessionFor(key: DpopKey): Promise<DpopSession> {
  return DpopSession.create({ keyPair: key });
}

describe.each([
  ['proxy', {}],
  ['proxy, server nonces required', { OAUTH_DPOP_NONCE: 'true' }],
  ['native', { OAUTH_MODE: 'native' }],
])('Q16 the official v2 client with DPoP, %s mode', (mode, env) => {
  let app: INestApplication;
  let serverUrl: URL;

  beforeAll(async () => {
    ({ app, serverUrl } = await startExampleOn(env));
  });
  afterAll(() => app.close());

  it('Q16 sign-in with a DpopSession gets a DPoP-bound token (cnf.jkt = the session key); the transport presents it with withDpop and calls a tool', async () => {
    const session = await DpopSession.create();
    const provider = new DpopClientProvider(session);
    await signIn(serverUrl, provider, 'quinn');
    const tokens = provider.tokens()!;
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: session.thumbprint });
    // With server nonces the token endpoint answered use_dpop_nonce first; the session kept the nonce it sent.
    expect(session.nonceFor(serverUrl) !== undefined).toBe('OAUTH_DPOP_NONCE' in env);
    // The transport composes withDpop itself (provider.dpop()); and withDpop by hand around fetch, token known.
    expect(await whoami(serverUrl, new TransportV2(serverUrl, { authProvider: provider as never }))).toMatchObject({ sub: 'quinn' });
    const byHand = withDpop(session, () => tokens.access_token)(fetch);
    expect(await whoami(serverUrl, new TransportV2(serverUrl, { fetch: byHand }))).toMatchObject({ sub: 'quinn' });
    // The same token as Bearer, as a thief without the key would send it: refused.
    const stolen = await fetch(serverUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(stolen.status).toBe(401);
  });

  if (mode === 'proxy') {
    it('Q16 proxy: the v2 client refreshes with its key (a bound refresh token) and keeps calling tools', async () => {
      const session = await DpopSession.create();
      const provider = new DpopClientProvider(session);
      await signIn(serverUrl, provider, 'rosa');
      const first = provider.tokens()!;
      expect(await authV2(provider as never, { serverUrl })).toBe('AUTHORIZED');
      const second = provider.tokens()!;
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.token_type).toBe('DPoP');
      expect(await whoami(serverUrl, new TransportV2(serverUrl, { authProvider: provider as never }))).toMatchObject({ sub: 'rosa' });
    });
  }
});

describe('Q native mode: a DPoP-bound token from the IdP (oidc-provider) is checked the same way', () => {
  let app: INestApplication;
  let serverUrl: URL;
  let key: DpopKey;
  let token: string;
  const call = async (c: Partial<ProofClaims> | null, scheme = 'DPoP', k: DpopKey = key): Promise<Response> => {
    const headers: Record<string, string> = {
      authorization: `${scheme} ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (c !== null) headers.dpop = await dpopProof(k, { htu: serverUrl.href, accessToken: token, ...c });
    return fetch(serverUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
  };
  const refused = async (res: Response, error: string, description: string): Promise<void> => {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`, DPoP algs="[^"]+"(, error="${error}")?`));
    expect(await res.json()).toEqual({ error, error_description: description });
  };

  beforeAll(async () => {
    const port = await freePort();
    serverUrl = new URL(`http://localhost:${port}/mcp`);
    app = await startExampleServer({
      env: { MCP_PORT: String(port), MCP_URL: `http://localhost:${port}`, DEV_IDP_PORT: '0', OAUTH_MODE: 'native' },
      logger: false,
    });
    key = await dpopKey();
    const provider = new DpopClientProvider(await sessionFor(key));
    await signIn(serverUrl, provider, 'sam');
    token = provider.tokens()!.access_token;
    expect(decodeJwt(token).cnf).toEqual({ jkt: key.thumbprint });
  });
  afterAll(() => app.close());

  it('Q1 native: a proof for another method is refused', async () => {
    expect((await call({})).status).not.toBe(401);
    await refused(await call({ htm: 'GET' }), 'invalid_dpop_proof', 'The DPoP proof is for another HTTP method');
  });

  it('Q2 native: a proof for another URL is refused', async () => {
    await refused(await call({ htu: `${serverUrl.origin}/other` }), 'invalid_dpop_proof', 'The DPoP proof is for another URL');
  });

  it('Q3 native: a stale proof is refused', async () => {
    await refused(await call({ iat: Math.floor(Date.now() / 1000) - 300 }), 'invalid_dpop_proof', 'The DPoP proof is too old or from the future');
  });

  it('Q4 native: a replayed proof is refused', async () => {
    const headers = {
      authorization: `DPoP ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      dpop: await dpopProof(key, { htu: serverUrl.href, accessToken: token }),
    };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect((await fetch(serverUrl, { method: 'POST', headers, body })).status).not.toBe(401);
    await refused(await fetch(serverUrl, { method: 'POST', headers, body }), 'invalid_dpop_proof', 'The DPoP proof was already used');
  });

  it('Q5 native: a proof for another token (ath) is refused', async () => {
    await refused(await call({ accessToken: `${token}x` }), 'invalid_dpop_proof', 'The DPoP proof is for another access token');
  });

  it('Q6 native: a proof by another key is refused', async () => {
    await refused(await call({}, 'DPoP', await dpopKey()), 'invalid_dpop_proof', 'The DPoP proof is signed with another key than the token is bound to');
  });

  it('Q7 native: the IdP-bound token presented as Bearer is refused', async () => {
    await refused(await call(null, 'Bearer'), 'invalid_token', 'The access token is bound to a DPoP key; present it with the DPoP scheme and a proof');
  });

  it('Q9 native: after a cache hit, a bad proof is still refused', async () => {
    expect((await call({})).status).not.toBe(401);
    await refused(await call(null), 'invalid_dpop_proof', 'A DPoP proof is required');
  });
});

describe('Q8 native mode with server nonces: the v2 client retries with the DPoP-Nonce the resource server hands out', () => {
  let app: INestApplication;
  let serverUrl: URL;

  beforeAll(async () => {
    const port = await freePort();
    serverUrl = new URL(`http://localhost:${port}/mcp`);
    app = await startExampleServer({
      env: { MCP_PORT: String(port), MCP_URL: `http://localhost:${port}`, DEV_IDP_PORT: '0', OAUTH_MODE: 'native', OAUTH_DPOP_NONCE: 'true' },
      logger: false,
    });
  });
  afterAll(() => app.close());

  it('Q8 native: a proof without the nonce is 401 use_dpop_nonce with DPoP-Nonce; the v2 client retries and calls the tool', async () => {
    const key = await dpopKey();
    const provider = new DpopClientProvider(await sessionFor(key));
    await signIn(serverUrl, provider, 'tess');
    const token = provider.tokens()!.access_token;
    const res = await fetch(serverUrl, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, { htu: serverUrl.href, accessToken: token }) },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    expect(res.headers.get('dpop-nonce')).toBeTruthy();
    expect(await whoami(serverUrl, new TransportV2(serverUrl, { authProvider: provider as never }))).toMatchObject({ sub: 'tess' });
  });
});
