import { signedIn, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';

describe('browser access to /mcp (CORS, Origin)', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture({ allowedOrigins: ['http://localhost:6274'] });
  });
  afterAll(() => f.close());

  const preflight = (origin: string) =>
    fetch(`${f.base}/mcp`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, mcp-protocol-version' },
    });

  it('RS-08 an allowed origin gets a preflight answer (exact origin, MCP headers allowed, no credentials) before any guard', async () => {
    const res = await preflight('http://localhost:6274');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    expect(res.headers.get('access-control-allow-headers')).toContain('MCP-Protocol-Version');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const challenge = await fetch(`${f.base}/mcp`, { method: 'POST', headers: { origin: 'http://localhost:6274' } });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    expect(challenge.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });

  it('K113 another origin gets no CORS headers and its preflight is refused; the handler never runs', async () => {
    for (const origin of ['https://evil.com', 'null']) {
      const res = await preflight(origin);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('K114 DNS rebinding: a valid token from a foreign Origin is refused with 403; same-origin, allowed and no Origin pass', async () => {
    const { tokens } = await signedIn(f);
    const call = (origin?: string) =>
      fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}`, ...(origin ? { origin } : {}) } });
    const refused = await call('http://evil.com');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect((await call(f.base)).status).toBe(201);
    expect((await call('http://localhost:6274')).status).toBe(201);
    expect((await call()).status).toBe(201);
  });
});
