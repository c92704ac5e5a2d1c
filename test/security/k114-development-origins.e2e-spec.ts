/**
 * K114 (DNS rebinding) and browser clients in development: on a loopback MCP_URL outside production,
 * the MCP Inspector's default origins are allowed without configuration, so its direct mode works
 * against `npm start`. Anywhere else (production, a public MCP_URL) or once the operator lists origins,
 * only this server's own origin and the listed ones pass.
 */
import type { INestApplication } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../src/config/oauth-mcp-config.service.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { now, signHmac } from '../support/tokens.js';
import { anyMode, type AnyModeOptions } from '../support/any-mode-options.js';

const SECRET = 'Wq4Zt8Mm1Xp6Rv9Ks2Ld7Nf4Gb5Jc0Yb';
const INSPECTOR = ['http://localhost:6274', 'http://127.0.0.1:6274'];
const OTHERS = ['http://evil.com', 'http://localhost:6275', 'http://localhost:3000', 'https://localhost:6274', 'null'];

async function start(options: AnyModeOptions) {
  const serverUrl = options.serverUrl ?? 'http://127.0.0.1:9';
  const app = await createTestApp(anyMode({ provider: 'hmac', jwtSecret: SECRET, audience: `${serverUrl}/mcp`, serverUrl, ...options }));
  const base = await appUrl(app);
  const token = await signHmac(SECRET, { sub: 'alice', aud: `${serverUrl}/mcp`, exp: now() + 600, iat: now() });
  const call = (origin: string) => fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}`, origin } }).then((r) => r.status);
  const preflight = (origin: string) =>
    fetch(`${base}/mcp`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version' },
    });
  return { app, call, preflight };
}

describe('K114 development default origins (MCP Inspector)', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('K114 loopback MCP_URL, not production, no OAUTH_ALLOWED_ORIGINS: the Inspector’s origins pass (preflight and call); every other origin is still 403', async () => {
    const s = await start({});
    app = s.app;
    for (const origin of INSPECTOR) {
      const pre = await s.preflight(origin);
      expect({ origin, status: pre.status, allow: pre.headers.get('access-control-allow-origin') }).toEqual({ origin, status: 204, allow: origin });
      expect({ origin, status: await s.call(origin) }).toEqual({ origin, status: 200 });
    }
    for (const origin of OTHERS) {
      expect({ origin, preflight: (await s.preflight(origin)).status, call: await s.call(origin) }).toEqual({ origin, preflight: 403, call: 403 });
    }
    expect(app.get(OAuthMcpConfigService).config.allowedOrigins).toEqual(['http://127.0.0.1:9', ...INSPECTOR]);
  });

  it('K114 production (NODE_ENV=production) on the same loopback host: the Inspector’s origins are refused until listed', async () => {
    const s = await start({ serverUrl: 'https://127.0.0.1:9', production: true });
    app = s.app;
    for (const origin of INSPECTOR)
      expect({ origin, preflight: (await s.preflight(origin)).status, call: await s.call(origin) }).toEqual({ origin, preflight: 403, call: 403 });
    await app.close();
    const listed = await start({ serverUrl: 'https://127.0.0.1:9', production: true, allowedOrigins: ['http://localhost:6274'] });
    app = listed.app;
    expect(await listed.call('http://localhost:6274')).toBe(200);
    expect(await listed.call('http://127.0.0.1:6274')).toBe(403);
  });

  it('K114 a public MCP_URL outside production gets no development origins', async () => {
    const s = await start({ serverUrl: 'https://mcp.example.com' });
    app = s.app;
    for (const origin of INSPECTOR) expect({ origin, status: await s.call(origin) }).toEqual({ origin, status: 403 });
  });

  it('K114 an operator’s OAUTH_ALLOWED_ORIGINS replaces the development default (what is listed is what passes)', async () => {
    const s = await start({ allowedOrigins: ['http://localhost:3000'] });
    app = s.app;
    expect(await s.call('http://localhost:3000')).toBe(200);
    for (const origin of INSPECTOR) expect({ origin, status: await s.call(origin) }).toEqual({ origin, status: 403 });
  });
});
