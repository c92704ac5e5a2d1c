import { rmSync } from 'node:fs';
import { request } from 'node:https';
import type { INestApplication } from '@nestjs/common';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { freePort } from '../support/free-port.js';
import { certificateDir, generateCertificate, type TestCertificate } from '../support/tls-certs.js';

/** GET over TLS trusting only the test's own self-signed certificate. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

describe('HTTPS_CERT_FILE + HTTPS_KEY_FILE: the example serves TLS', () => {
  let dir: string;
  let cert: TestCertificate;
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    dir = certificateDir();
    cert = generateCertificate(dir, 'localhost');
    port = await freePort();
    app = await startExampleServer({
      env: {
        OAUTH_PROVIDER: 'hmac',
        JWT_SECRET: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe',
        OIDC_AUDIENCE: 'api://mcp',
        MCP_PORT: String(port),
        HTTPS_CERT_FILE: cert.certFile,
        HTTPS_KEY_FILE: cert.keyFile,
      },
      logger: false,
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers over https and derives an https MCP_URL', async () => {
    // The derived MCP_URL names the listen address (MCP_HOST, default 127.0.0.1).
    const res = await httpsGet(`https://127.0.0.1:${port}/mcp`, cert.cert);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="https://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp"`);
  });
});
