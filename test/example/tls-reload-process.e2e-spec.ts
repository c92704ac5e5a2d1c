import { rmSync } from 'node:fs';
import { ExampleProcess } from '../support/example-process.js';
import { freePort } from '../support/free-port.js';
import { certificateDir, generateCertificate, installCertificate } from '../support/tls-certs.js';
import { eventually, KeptAliveConnection, servedSerial } from '../support/tls-client.js';

const HMAC = { OAUTH_PROVIDER: 'hmac', JWT_SECRET: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe', OIDC_AUDIENCE: 'api://mcp' };

/** The example as a real process: SIGHUP reloads the certificate (and does not stop the server); production refuses a bad certificate at start. */
describe('the example process and its TLS certificate', () => {
  const dir = certificateDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGHUP (polling off) reloads the files: new connections get the new certificate, the open one keeps working, the process stays up', async () => {
    const served = { certFile: `${dir}/served-cert.pem`, keyFile: `${dir}/served-key.pem` };
    const a = generateCertificate(dir, 'a');
    const b = generateCertificate(dir, 'b');
    const ca = [a.cert, b.cert];
    installCertificate(served, a);
    const port = await freePort();
    const example = new ExampleProcess({
      ...HMAC,
      MCP_PORT: String(port),
      HTTPS_CERT_FILE: served.certFile,
      HTTPS_KEY_FILE: served.keyFile,
      HTTPS_RELOAD_INTERVAL_SECONDS: '0',
    });
    const kept = new KeptAliveConnection(port, ca);
    try {
      await example.waitFor(/MCP endpoint/);
      expect(example.output).toContain(`TLS certificate from ${served.certFile}: serial ${a.serial}`);
      expect(example.output).toContain('no polling, and reloaded on SIGHUP');
      expect(await kept.get('/health/live')).toEqual({ status: 200, reused: false, serial: a.serial });
      kept.heartbeat('/health/live');

      installCertificate(served, b);
      expect(await servedSerial(port, ca)).toBe(a.serial); // nothing polls: the files alone change nothing
      example.signal('SIGHUP');
      await example.waitFor(/TLS certificate reloaded from/);
      expect(await servedSerial(port, ca)).toBe(b.serial);
      expect(await kept.get('/health/live')).toEqual({ status: 200, reused: true, serial: a.serial });

      // A broken pair on SIGHUP: refused with one line, the process keeps serving b.
      installCertificate(served, { certFile: a.certFile, keyFile: b.keyFile });
      example.signal('SIGHUP');
      await example.waitFor(
        /TLS certificate reload refused: the private key in \S+ does not belong to the certificate in \S+\. Still serving serial [0-9A-F]+/,
      );
      expect(await servedSerial(port, ca)).toBe(b.serial);
      // SIGHUP did not run Nest's shutdown: the process is up and answers.
      expect(example.running).toBe(true);
      expect(example.output).not.toMatch(/Nest application successfully (closed|stopped)/i);
      expect(await kept.get('/health/live')).toEqual({ status: 200, reused: true, serial: a.serial });
    } finally {
      kept.close();
      await example.stop();
    }
  });

  describe('NODE_ENV=production refuses at start (exit 1, the file and the reason named)', () => {
    const production = (port: number, files: { certFile: string; keyFile: string }) => ({
      ...HMAC,
      NODE_ENV: 'production',
      MCP_PORT: String(port),
      MCP_URL: `https://mcp.example.com:${port}`,
      HTTPS_CERT_FILE: files.certFile,
      HTTPS_KEY_FILE: files.keyFile,
    });

    it('a certificate whose names do not cover MCP_URL’s host', async () => {
      const local = generateCertificate(dir, 'local-only');
      const example = new ExampleProcess(production(await freePort(), local));
      expect(await example.exited).toBe(1);
      expect(example.output).toContain(
        `TLS certificate refused: ${local.certFile}: the certificate's names (DNS:localhost, IP Address:127.0.0.1) do not cover mcp.example.com, the host clients connect to`,
      );
    });

    it('an expired certificate', async () => {
      const expired = generateCertificate(dir, 'expired', { names: ['DNS:mcp.example.com'], notBefore: '20200101000000Z', notAfter: '20200102000000Z' });
      const example = new ExampleProcess(production(await freePort(), expired));
      expect(await example.exited).toBe(1);
      expect(example.output).toContain(`TLS certificate refused: ${expired.certFile}: the certificate expired on 2020-01-02T00:00:00.000Z`);
    });

    it('a current certificate naming the host starts and serves it', async () => {
      const good = generateCertificate(dir, 'mcp', { names: ['DNS:mcp.example.com'] });
      const port = await freePort();
      const example = new ExampleProcess(production(port, good));
      try {
        await example.waitFor(/MCP endpoint/);
        await eventually(async () => (await servedSerial(port, [good.cert], 'mcp.example.com')) === good.serial, 5000, 'the certificate');
      } finally {
        await example.stop();
      }
    });
  });
});
