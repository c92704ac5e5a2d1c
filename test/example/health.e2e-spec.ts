import type { INestApplication } from '@nestjs/common';
import { generateTestKey, JwksServer } from '../support/jwks-server.js';
import { startExampleOn } from '../support/example-server.js';

async function get(url: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const start = (env: Record<string, string>) => startExampleOn(env);

describe('example app health endpoints (OAuthMcpHealthIndicator, @nestjs/terminus)', () => {
  it('embedded dev IdP, native mode: /health/live and /health/ready are public and up, ready names the keys found', async () => {
    const { app, base } = await start({ OAUTH_MODE: 'native' });
    try {
      const live = await get(`${base}/health/live`);
      expect(live).toEqual({ status: 200, body: { status: 'ok', info: {}, error: {}, details: {} } });
      const ready = await get(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ok');
      expect(ready.body.details.oauth_idp).toMatchObject({ status: 'up', provider: 'oidc', keys: 2 });
      expect(ready.body.details.oauth_idp.jwksUri).toMatch(/^http:\/\/localhost:\d+\/jwks$/);
      // The MCP endpoint is still guarded.
      expect((await fetch(`${base}/mcp`, { method: 'POST' })).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('embedded dev IdP, proxy mode: ready checks the upstream OpenID configuration', async () => {
    const { app, base } = await start({ OAUTH_MODE: 'proxy' });
    try {
      const ready = await get(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.details.oauth_idp).toMatchObject({ status: 'up', mode: 'proxy', provider: 'oidc' });
      expect(ready.body.details.oauth_idp.upstream).toMatch(/^http:\/\/localhost:\d+$/);
    } finally {
      await app.close();
    }
  });

  it('hmac: ready is always up (nothing to fetch)', async () => {
    const { app, base } = await start({ OAUTH_PROVIDER: 'hmac', JWT_SECRET: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe', OIDC_AUDIENCE: 'api://mcp' });
    try {
      const ready = await get(`${base}/health/ready`);
      expect(ready).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          details: { oauth_idp: { status: 'up', provider: 'hmac' }, oauth_store: expect.objectContaining({ status: 'up', store: 'MemoryStore' }) },
        }),
      });
    } finally {
      await app.close();
    }
  });

  describe('an OIDC IdP whose JWKS fails', () => {
    let server: JwksServer;
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      server = await new JwksServer().start();
      server.keys = [(await generateTestKey('RS256', 'k1')).publicJwk];
      server.jwksResponse = (_req, res) => {
        res.statusCode = 500;
        res.end('{"secret":"internal details"}');
      };
      ({ app, base } = await start({ OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: server.issuer, OIDC_AUDIENCE: 'api://mcp' }));
    });
    afterAll(async () => {
      await app.close();
      await server.stop();
    });

    it('ready is 503 with a short reason, live stays 200; the result is cached for a few seconds', async () => {
      const before = server.jwksRequests;
      const ready = await get(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('error');
      expect(ready.body.error.oauth_idp).toMatchObject({ status: 'down', message: 'JWKS unexpected HTTP status 500' });
      expect(JSON.stringify(ready.body)).not.toContain('internal details');
      expect((await get(`${base}/health/live`)).status).toBe(200);

      const again = await get(`${base}/health/ready`);
      expect(again.status).toBe(503);
      expect(again.body.error.oauth_idp.cachedResponse).toBe(true);
      expect(server.jwksRequests - before).toBe(1);
    });
  });
});
