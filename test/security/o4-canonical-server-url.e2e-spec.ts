import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { OAuthMcpConfigError } from '../../src/index.js';
import { freePort } from '../support/free-port.js';
import { authorizeUrl, pkce, startProxyFixture } from '../support/proxy-fixture.js';
import { get, NATIVE_APP } from './flow-helpers.js';

/**
 * O4 (outside review): `MCP_URL` was used verbatim, and "https" was `startsWith('https:')`, so
 * `HTTPS://…` lost the Secure/__Host- cookies and HSTS, and the raw string became `iss`/`aud`. It is
 * now refused unless it is already what the WHATWG URL parser prints, and "https" comes from the
 * parsed URL.
 */

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

describe('O4 MCP_URL must be canonical; https, cookies and HSTS follow the parsed URL', () => {
  it('O4 a non-canonical MCP_URL (scheme or host case, default port, trailing dot, numeric or expanded IP forms, dot segments) stops the server; canonical https gets __Host- Secure cookies and HSTS', async () => {
    const port = await freePort();
    const nonCanonical = [
      'HTTPS://mcp.example.com',
      'Https://mcp.example.com',
      'https://MCP.Example.com',
      'https://mcp.example.com:443',
      'https://mcp.example.com.',
      'https://mcp.example.com:0443',
      'https://2130706433',
      'https://0x7f000001',
      'http://127.1:8080',
      'http://LOCALHOST:8080',
      'https://localhost.:8443',
      'http://[0:0:0:0:0:0:0:1]:8080',
      'https://mcp.example.com/a/../mcp-base',
      'https://bücher.example',
    ];
    for (const url of nonCanonical) {
      const env = { MCP_PORT: String(port), MCP_URL: url, OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: 'api://mcp' };
      const refused = await startExampleServer({ env, logger: false }).then(
        async (app) => {
          await app.close();
          return undefined;
        },
        (err: unknown) => err,
      );
      expect({ url, refused: refused instanceof OAuthMcpConfigError }).toEqual({ url, refused: true });
      expect((refused as OAuthMcpConfigError).problems.join('\n')).toMatch(/serverUrl \(MCP_URL\) must be canonical/);
    }

    // Control: the canonical form boots (a trailing slash on an origin is the parser's own form).
    const app = await startExampleServer({
      env: { MCP_PORT: String(port), MCP_URL: `http://127.0.0.1:${port}/`, OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: 'api://mcp' },
      logger: false,
    });
    await app.close();

    // https from the parsed URL: cookies are __Host- and Secure, and HSTS is sent (a real host name,
    // production or not); the fixture listens on loopback http behind its https public URL.
    const f = await startProxyFixture({ serverUrl: 'https://mcp.example.com' });
    try {
      const query = new URL(
        authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: 'http://127.0.0.1:51000/callback', code_challenge: pkce().challenge }),
      ).search;
      const res = await get(`${f.origin}/oauth/authorize${query}`);
      expect(res.status).toBe(200);
      const cookies = res.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const cookie of cookies) expect(cookie).toMatch(/^__Host-mcp_consent_[^=]+=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
    } finally {
      await f.close();
    }
  });
});
