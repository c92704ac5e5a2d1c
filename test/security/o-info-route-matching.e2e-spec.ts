import { type ProxyFixture, startProxyFixture } from '../support/proxy-fixture.js';
import { rawRequest } from '../support/raw-http.js';

/**
 * O-info (outside review): paths are matched the way the router matches them. Express routes
 * `/OAUTH/TOKEN` and `/oauth/token/` to the token handler, so a body it cannot parse there must get the
 * OAuth error answer (no parser message echoed, no-store), and `OPTIONS /MCP` must get the CORS preflight.
 */
describe('O-info route matching', () => {
  let f: ProxyFixture;

  beforeAll(async () => {
    f = await startProxyFixture({ allowedOrigins: ['https://inspector.example'] });
  });
  afterAll(() => f.close());

  it('O-info /OAUTH/TOKEN and /oauth/token/ answer an unparsable body with the OAuth error, never the parser message', async () => {
    for (const path of ['/OAUTH/TOKEN', '/oauth/token/', '/Oauth/Register/']) {
      const res = await rawRequest(`${f.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"grant_type":<secret-value>',
      });
      expect({ path, status: res.status, cache: res.headers['cache-control'], body: JSON.parse(res.body) }).toEqual({
        path,
        status: 400,
        cache: 'no-store',
        body: {
          error: path.toLowerCase().includes('register') ? 'invalid_client_metadata' : 'invalid_request',
          error_description: 'The request body cannot be parsed',
        },
      });
      expect(res.body).not.toContain('secret-value');
    }
  });

  it('O-info OPTIONS /MCP and /mcp/ get the CORS preflight answer for an allowed origin, before any guard', async () => {
    for (const path of ['/MCP', '/mcp/']) {
      const res = await rawRequest(`${f.base}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://inspector.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect({ path, status: res.status, origin: res.headers['access-control-allow-origin'] }).toEqual({
        path,
        status: 204,
        origin: 'https://inspector.example',
      });
    }
  });
});
