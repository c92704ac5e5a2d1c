import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '../../src/store/memory.store.js';
import { OAuthMcpConfigError, OAuthMcpConfigService } from '../../src/index.js';
import { authorizeUrl, completeFlow, pkce, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { expectRejectedPage, get, storeSnapshot } from './flow-helpers.js';

/**
 * O2 (outside review): `OAUTH_REDIRECT_URIS` limits every client: dynamically registered ones,
 * Client ID Metadata Documents, pre-registered ones, and clients stored before the allowlist was set.
 */

const ALLOWED = ['https://app.example.com/callback', 'http://127.0.0.1/callback', 'http://[::1]/callback'];
const ATTACKER = 'https://attacker.example/cb';

/** Serves Client ID Metadata Documents on loopback: `/attacker.json` lists the attacker's URI, `/good.json` an allowed one. */
async function cimdServer(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  let base = '';
  const server: Server = createServer((req, res) => {
    hits++;
    const uris =
      req.url === '/attacker.json' ? [ATTACKER] : req.url === '/mixed.json' ? ['http://127.0.0.1/callback', ATTACKER] : ['http://127.0.0.1/callback'];
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ client_id: `${base}${req.url}`, client_name: 'Metadata App', redirect_uris: uris, token_endpoint_auth_method: 'none' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('O2 the redirect-URI allowlist limits every client', () => {
  let f: ProxyFixture;
  let cimd: Awaited<ReturnType<typeof cimdServer>>;
  const store = new MemoryStore();

  beforeAll(async () => {
    cimd = await cimdServer();
    f = await startProxyFixture({ redirectUris: ALLOWED, store });
  });
  afterAll(async () => {
    await f.close();
    await cimd.close();
  });

  it('O2 a Client ID Metadata Document listing a redirect URI outside OAUTH_REDIRECT_URIS gets no consent page and no code; DCR, static clients and stored clients obey the same list', async () => {
    // Control: DCR already refuses the attacker's URI.
    const dcr = await fetch(`${f.base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [ATTACKER], token_endpoint_auth_method: 'none' }),
    });
    expect({ status: dcr.status, error: ((await dcr.json()) as { error: string }).error }).toEqual({ status: 400, error: 'invalid_redirect_uri' });

    // The review's path: a metadata document naming the attacker's URI (alone, or next to an allowed one).
    for (const doc of ['/attacker.json', '/mixed.json']) {
      const snapshot = storeSnapshot(f);
      const res = await get(
        authorizeUrl(f, { client_id: `${cimd.url}${doc}`, redirect_uri: ATTACKER, code_challenge: pkce().challenge, resource: f.resource }),
      );
      await expectRejectedPage(res, 'invalid_client');
      expect(snapshot.added()).toEqual([]);
    }

    // A document that stays inside the allowlist still works end to end (control).
    const good = `${cimd.url}/good.json`;
    const { callback } = await completeFlow(
      f,
      authorizeUrl(f, { client_id: good, redirect_uri: 'http://127.0.0.1:51000/callback', code_challenge: pkce().challenge, resource: f.resource }),
    );
    expect(callback.searchParams.get('code')).toBeTruthy();

    // A client stored before the allowlist was set (same store, no allowlist) cannot use the URI now.
    const open = await startProxyFixture({ store });
    try {
      const res = await fetch(`${open.base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [ATTACKER], token_endpoint_auth_method: 'none' }),
      });
      expect(res.status).toBe(201);
      const { client_id } = (await res.json()) as { client_id: string };
      const refused = await get(authorizeUrl(f, { client_id, redirect_uri: ATTACKER, code_challenge: pkce().challenge, resource: f.resource }));
      await expectRejectedPage(refused, 'invalid_request');
    } finally {
      await open.close();
    }

    // A pre-registered client outside the allowlist stops the application at startup.
    expect(() =>
      OAuthMcpConfigService.resolve({
        mode: 'proxy',
        provider: 'oidc',
        issuer: 'https://idp.example.com',
        clientId: 'c',
        clientSecret: 's',
        jwtSecret: 'Tq9mZp2XwR4tYb8NcL1sDf6GhJ3aUe7k',
        serverUrl: 'https://mcp.example.com',
        redirectUris: ALLOWED,
        staticClients: [{ client_id: 'elsewhere', redirect_uris: [ATTACKER] }],
      }),
    ).toThrow(OAuthMcpConfigError);
  });
});
