import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { freePort } from '../support/free-port.js';

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
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oauth-mcp-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    port = await freePort();
    app = await startExampleServer({
      env: {
        OAUTH_PROVIDER: 'hmac',
        JWT_SECRET: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe',
        OIDC_AUDIENCE: 'api://mcp',
        MCP_PORT: String(port),
        HTTPS_CERT_FILE: join(dir, 'cert.pem'),
        HTTPS_KEY_FILE: join(dir, 'key.pem'),
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
    const res = await httpsGet(`https://127.0.0.1:${port}/mcp`, readFileSync(join(dir, 'cert.pem')));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="https://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp"`);
  });
});
