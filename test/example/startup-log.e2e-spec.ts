import type { INestApplication } from '@nestjs/common';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/dev-idp.js';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { DEV_IDP } from '../../examples/basic/dev-idp.module.js';
import { CapturingLogger } from '../support/capture.js';
import { freePort } from '../support/free-port.js';

const SECRET = 'Kq7Vm2Zp9XwR4tYb8NcL1sDf6GhJ3aUe';

async function start(env: Record<string, string>, mcpUrl?: (port: number) => string) {
  const port = await freePort();
  const base = mcpUrl ? mcpUrl(port) : `http://127.0.0.1:${port}`;
  const logger = new CapturingLogger();
  const app = await startExampleServer({ env: { MCP_PORT: String(port), MCP_URL: base, DEV_IDP_PORT: '0', ...env }, logger });
  return { app, base, logger };
}

describe('example startup log: one block with mode, provider, issuers, every endpoint URL, then the warnings', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('embedded default (proxy mode in front of the dev IdP): every AS endpoint, http + MemoryStore + dev IdP warnings, no secret', async () => {
    const started = await start({ JWT_SECRET: SECRET });
    app = started.app;
    const { base, logger } = started;
    const devIdp = app.get<DevIdp>(DEV_IDP);
    const startup = logger.forContext('OAuthMcp');
    expect(startup.map((e) => e.level)).toEqual(['log', 'warn', 'warn', 'warn']);
    expect(startup[0].message).toBe(
      [
        'nestjs-oauth-mcp example: mode proxy, provider oidc',
        `  Issuer (this server):          ${base}`,
        `  Upstream issuer:               ${devIdp.issuer}`,
        `  MCP endpoint:                  ${base}/mcp`,
        `  Protected resource metadata:   ${base}/.well-known/oauth-protected-resource/mcp`,
        `  Browser origins:               ${base}, http://localhost:6274, http://127.0.0.1:6274 (development default: this server and the MCP Inspector; OAUTH_ALLOWED_ORIGINS sets them)`,
        `  Authorization server metadata: ${base}/.well-known/oauth-authorization-server`,
        `  Authorize:                     ${base}/oauth/authorize`,
        `  Token:                         ${base}/oauth/token`,
        `  Register:                      ${base}/oauth/register`,
        `  Revoke:                        ${base}/oauth/revoke`,
        `  Upstream callback:             ${base}/oauth/callback`,
        `  JWKS:                          ${base}/.well-known/jwks.json`,
        `  Health:                        ${base}/health/live, ${base}/health/ready`,
      ].join('\n'),
    );
    expect(startup.slice(1).map((e) => e.message)).toEqual([
      'Serving over http: fine on loopback for development, never in production (set an https MCP_URL).',
      'Proxy-mode state (clients, grants, refresh tokens, signing key) is in a MemoryStore: lost on restart and not shared between replicas; run a single replica, or set REDIS_URL (or the `store` option).',
      `Embedded development IdP at ${devIdp.issuer} (any user name signs in). DEVELOPMENT ONLY: set OAUTH_PROVIDER for real use.`,
    ]);
    // Every URL in the block answers (none is a typo): the metadata names the same endpoints.
    const as = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
    for (const url of [as.authorization_endpoint, as.token_endpoint, as.registration_endpoint, as.revocation_endpoint, as.jwks_uri]) {
      expect(startup[0].message).toContain(url);
    }
    // No secret anywhere in the whole log: neither JWT_SECRET nor the upstream client secret.
    expect(logger.text()).not.toContain(SECRET);
    expect(logger.text()).not.toContain(devIdp.proxyClient!.clientSecret);
  });

  it('native mode, hmac, https MCP_URL in production (TLS at a reverse proxy): issuer and audience, no AS endpoints, no warning', async () => {
    const started = await start(
      { NODE_ENV: 'production', OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: 'api://mcp', OIDC_ISSUER: 'https://tokens.example.com' },
      () => 'https://mcp.example.com',
    );
    app = started.app;
    const startup = started.logger.forContext('OAuthMcp');
    expect(startup.map(({ level, context, message }) => ({ level, context, message }))).toEqual([
      {
        level: 'log',
        context: 'OAuthMcp',
        message: [
          'nestjs-oauth-mcp example: mode native, provider hmac',
          '  Issuer:                      https://tokens.example.com',
          '  Audience:                    api://mcp',
          '  MCP endpoint:                https://mcp.example.com/mcp',
          '  Protected resource metadata: https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
          '  Browser origins:             https://mcp.example.com',
          '  Health:                      https://mcp.example.com/health/live, https://mcp.example.com/health/ready',
        ].join('\n'),
      },
    ]);
    expect(started.logger.text()).not.toContain(SECRET);
  });

  describe('proxy mode against an external IdP (OAUTH_PROVIDER set)', () => {
    let idp: DevIdp;
    afterEach(() => idp.close());

    it('names the upstream issuer; warns about http and the MemoryStore, not about a dev IdP', async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      idp = await startDevIdp({ resource: `${base}/mcp`, scopes: ['mcp:read'], port: 0, proxyCallbackUrl: `${base}/oauth/callback` });
      const started = await start(
        {
          OAUTH_PROVIDER: 'oidc',
          OAUTH_MODE: 'proxy',
          OIDC_ISSUER: idp.issuer,
          OIDC_CLIENT_ID: idp.proxyClient!.clientId,
          OIDC_CLIENT_SECRET: idp.proxyClient!.clientSecret,
          JWT_SECRET: SECRET,
          MCP_PORT: String(port),
        },
        () => base,
      );
      app = started.app;
      const startup = started.logger.forContext('OAuthMcp');
      expect(startup[0].message).toMatch(/^nestjs-oauth-mcp example: mode proxy, provider oidc\n/);
      expect(startup[0].message).toContain(`  Upstream issuer:               ${idp.issuer}\n`);
      expect(startup.slice(1).map((e) => e.message)).toEqual([
        expect.stringMatching(/^Serving over http/),
        expect.stringMatching(/^Proxy-mode state .* MemoryStore/),
      ]);
      expect(started.logger.text()).not.toContain(idp.proxyClient!.clientSecret);
      expect(started.logger.text()).not.toContain(SECRET);
    });
  });

  describe('MCP_URL and the listen address (npm start listens on 127.0.0.1)', () => {
    const warningsOf = (logger: CapturingLogger) =>
      logger
        .forContext('OAuthMcp')
        .filter((e) => e.level === 'warn')
        .map((e) => e.message);

    it('the defaults agree: with neither MCP_URL nor MCP_HOST set, MCP_URL is the listen address and nothing is said about it', async () => {
      const port = await freePort();
      const logger = new CapturingLogger();
      app = await startExampleServer({ env: { MCP_PORT: String(port), DEV_IDP_PORT: '0', JWT_SECRET: SECRET }, logger });
      expect(logger.forContext('OAuthMcp')[0].message).toContain(`  MCP endpoint:                  http://127.0.0.1:${port}/mcp\n`);
      expect(((await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`).then((r) => r.json())) as { resource: string }).resource).toBe(
        `http://127.0.0.1:${port}/mcp`,
      );
      expect(warningsOf(logger).filter((w) => w.startsWith('MCP_URL'))).toEqual([]);
    });

    it('MCP_URL=http://localhost:<port> while listening on 127.0.0.1 warns that clients must use exactly MCP_URL', async () => {
      const started = await start({ JWT_SECRET: SECRET }, (port) => `http://localhost:${port}`);
      app = started.app;
      const port = new URL(started.base).port;
      expect(warningsOf(started.logger)[0]).toBe(
        `MCP_URL (http://localhost:${port}) and the listen address (127.0.0.1:${port}) differ: MCP clients must use exactly http://localhost:${port}/mcp. ` +
          'One pointed at another host name or port fails its resource check ("Protected resource … does not match"), and "localhost" may resolve to ::1 where nothing listens. ' +
          'Make MCP_URL and MCP_HOST/MCP_PORT agree (or leave MCP_URL unset).',
      );
    });

    it('a loopback MCP_URL on another port warns; a public https MCP_URL (a reverse proxy in front) does not', async () => {
      const started = await start({ JWT_SECRET: SECRET }, () => 'http://127.0.0.1:9');
      app = started.app;
      expect(warningsOf(started.logger)[0]).toMatch(/^MCP_URL \(http:\/\/127\.0\.0\.1:9\) and the listen address \(127\.0\.0\.1:\d+\) differ/);
      await app.close();
      const proxied = await start({ JWT_SECRET: SECRET }, () => 'https://mcp.example.com');
      app = proxied.app;
      expect(warningsOf(proxied.logger).filter((w) => w.startsWith('MCP_URL'))).toEqual([]);
    });
  });

  it('a comma-separated OAUTH_SCOPES is warned about at startup (one scope with a comma), and served as configured', async () => {
    const started = await start({ JWT_SECRET: SECRET, OAUTH_SCOPES: 'mcp:read,mcp:write mcp:admin' });
    app = started.app;
    expect(started.logger.text()).toContain('"mcp:read,mcp:write" is one scope with a comma in its name');
    const metadata = (await fetch(`${started.base}/.well-known/oauth-protected-resource/mcp`).then((r) => r.json())) as { scopes_supported: string[] };
    expect(metadata.scopes_supported).toEqual(['mcp:read,mcp:write', 'mcp:admin']);
  });
});
