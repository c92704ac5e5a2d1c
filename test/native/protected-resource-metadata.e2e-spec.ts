import type { INestApplication } from '@nestjs/common';
import { appUrl, createTestApp } from '../support/test-app.js';

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

describe('RFC 9728 protected resource metadata', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await createTestApp({
      provider: 'hmac',
      jwtSecret: SECRET,
      audience: 'https://mcp.example.com/mcp',
      issuer: 'https://idp.example.com',
      serverUrl: 'https://mcp.example.com',
      scopes: ['mcp:read', 'mcp:write'],
    });
    base = await appUrl(app);
  });
  afterAll(() => app.close());

  const expected = {
    resource: 'https://mcp.example.com/mcp',
    authorization_servers: ['https://idp.example.com'],
    scopes_supported: ['mcp:read', 'mcp:write'],
    bearer_methods_supported: ['header'],
  };

  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource/mcp/'])(
    'J107 GET %s: the same document, no nulls, CORS *, no auth needed',
    async (path) => {
      const res = await fetch(`${base}${path}`, { headers: { origin: 'http://localhost:6274' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await res.text();
      expect(text).not.toContain('null');
      expect(JSON.parse(text)).toEqual(expected);
    },
  );

  it('HEAD answers 200 without a body', async () => {
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('PRM-04 a CORS preflight echoes the requested headers', async () => {
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('J109 %s is 405 with Allow', async (method) => {
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('another path suffix is 404', async () => {
    expect((await fetch(`${base}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
  });

  it('J107 the 401 challenge points at the path-suffixed document', async () => {
    const res = await fetch(`${base}/mcp`, { method: 'POST' });
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"');
  });
});

describe('PRM for hmac without an issuer', () => {
  it('omits authorization_servers instead of publishing null or an empty list', async () => {
    const app = await createTestApp({ provider: 'hmac', jwtSecret: SECRET, audience: 'api://mcp', serverUrl: 'http://localhost:8080' });
    try {
      const body = await (await fetch(`${await appUrl(app)}/.well-known/oauth-protected-resource`)).json();
      expect(body).toEqual({ resource: 'http://localhost:8080/mcp', scopes_supported: [], bearer_methods_supported: ['header'] });
    } finally {
      await app.close();
    }
  });
});
