import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/dev-idp.js';
import { CapturingLogger, startCapturedProxy } from '../support/capture.js';
import { FIXTURE_SECRET, pkce, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { cli } from '../cli/cli-io.js';

/**
 * O3 (outside review): the SSRF guard of Client ID Metadata Document fetches hung on
 * `NODE_ENV === 'production'` exactly. It is now keyed on `allowPrivateNetworkFetch`
 * (`OAUTH_ALLOW_PRIVATE_NETWORK_FETCH`), whose default is safe: private and loopback addresses (and
 * plain http) only when this server's own URL is on loopback. An https server that runs with
 * development rules is warned about at startup and by `doctor`.
 */

/** A TCP listener on loopback that only counts connections: proof that nothing even connected. */
async function tcpCounter(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, close: () => new Promise((r) => server.close(() => r())) };
}

const DEPLOYED = { serverUrl: 'https://mcp.example.com', issuer: 'https://idp.example.com' };

/** The unauthenticated requests that make the server look a client_id URL up. */
function lookups(f: ProxyFixture, clientId: string): Promise<Response>[] {
  const form = (params: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: 'http://127.0.0.1:51000/callback',
    response_type: 'code',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });
  return [
    fetch(`${f.origin}/oauth/authorize?${query}`, { redirect: 'manual' }),
    fetch(`${f.origin}/oauth/token`, form({ grant_type: 'authorization_code', code: 'x', client_id: clientId })),
    fetch(`${f.origin}/oauth/revoke`, form({ token: 'x', client_id: clientId })),
  ];
}

describe('O3 the CIMD SSRF guard follows an explicit option with a safe default', () => {
  let counter: Awaited<ReturnType<typeof tcpCounter>>;
  beforeAll(async () => {
    counter = await tcpCounter();
  });
  afterAll(() => counter.close());

  it('O3 an https server without NODE_ENV=production never fetches client_id URLs from loopback or over http; the explicit option turns it on, with a startup warning', async () => {
    // NODE_ENV unset (production: false) on an https deployment: the review's setting.
    const deployed = await startProxyFixture(DEPLOYED);
    try {
      for (const clientId of [
        `http://127.0.0.1:${counter.port}/client.json`,
        `https://127.0.0.1:${counter.port}/client.json`,
        `https://localhost:${counter.port}/client.json`,
      ]) {
        const answers = await Promise.all(lookups(deployed, clientId));
        expect(answers.map((r) => r.status)).toEqual([400, 400, 400]);
        expect(answers.every((r) => r.headers.get('location') === null)).toBe(true);
        expect({ clientId, connections: counter.connections() }).toEqual({ clientId, connections: 0 });
      }
    } finally {
      await deployed.close();
    }

    // Opting in is explicit, and warned about at startup.
    const idp: DevIdp = await startDevIdp({
      resource: 'https://mcp.example.com/mcp',
      scopes: ['mcp:read'],
      port: 0,
      proxyCallbackUrl: 'https://mcp.example.com/oauth/callback',
    });
    const logger = new CapturingLogger();
    let optedIn: ProxyFixture | undefined;
    try {
      optedIn = await startCapturedProxy(idp, logger, { serverUrl: 'https://mcp.example.com', jwtSecret: FIXTURE_SECRET, allowPrivateNetworkFetch: true });
      await Promise.all(
        lookups(
          { ...optedIn, origin: `http://127.0.0.1:${(optedIn.app.getHttpServer().address() as AddressInfo).port}` },
          `http://127.0.0.1:${counter.port}/client.json`,
        ),
      );
      expect(counter.connections()).toBeGreaterThan(0);
      const warnings = logger.entries.filter((e) => e.level === 'warn').map((e) => e.text);
      expect(warnings).toContainEqual(expect.stringContaining('OAUTH_ALLOW_PRIVATE_NETWORK_FETCH'));
      expect(warnings).toContainEqual(expect.stringContaining('NODE_ENV'));
    } finally {
      await optedIn?.close();
      await idp.close();
    }
  });

  it('O3 doctor warns when an https MCP_URL runs with development rules or opts into private-network fetches', async () => {
    const env = {
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe',
      OIDC_AUDIENCE: 'https://mcp.example.com/mcp',
      MCP_URL: 'https://mcp.example.com',
    };
    const dev = await cli(['doctor'], env);
    expect(dev.stdout).toMatch(/^⚠ https: Development rules on an https server: NODE_ENV is not production while MCP_URL is https/m);
    const optIn = await cli(['doctor'], { ...env, NODE_ENV: 'production', OAUTH_ALLOW_PRIVATE_NETWORK_FETCH: 'true' });
    expect(optIn.stdout).toMatch(/^⚠ ssrf: OAUTH_ALLOW_PRIVATE_NETWORK_FETCH/m);
    const prod = await cli(['doctor'], { ...env, NODE_ENV: 'production' });
    expect(prod.stdout).not.toMatch(/^⚠/m);
    expect(prod.code).toBe(0);
  });
});
