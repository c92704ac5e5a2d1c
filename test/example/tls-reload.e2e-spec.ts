import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { readTlsCertificate, TlsCertificateError, watchTlsCertificate } from '../../src/index.js';
import { CapturingLogger } from '../support/capture.js';
import { freePort } from '../support/free-port.js';
import { certificateDir, generateCertificate, installCertificate, type TestCertificate } from '../support/tls-certs.js';
import { eventually, KeptAliveConnection, servedSerial } from '../support/tls-client.js';

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const HMAC = { OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: 'api://mcp' };

/**
 * Certificate reload over real TLS (issue 18): the example serves HTTPS_CERT_FILE/HTTPS_KEY_FILE and
 * re-reads them every HTTPS_RELOAD_INTERVAL_SECONDS; the pair is swapped for new connections only,
 * and a pair that cannot be served is refused with one log line while the previous one stays.
 */
describe('TLS certificate reload in the example server (real TLS, files replaced while a connection is open)', () => {
  const dir = certificateDir();
  const served = { certFile: `${dir}/served-cert.pem`, keyFile: `${dir}/served-key.pem` };
  const a = generateCertificate(dir, 'a');
  const b = generateCertificate(dir, 'b');
  const c = generateCertificate(dir, 'c');
  const d = generateCertificate(dir, 'd');
  const expired = generateCertificate(dir, 'expired', { notBefore: '20200101000000Z', notAfter: '20200102000000Z' });
  const otherHost = generateCertificate(dir, 'other-host', { names: ['DNS:other.example.com'] });
  const ca = [a, b, c, d, expired, otherHost].map((x) => x.cert);
  const logger = new CapturingLogger();
  let app: INestApplication;
  let port: number;
  let kept: KeptAliveConnection;

  const serial = () => servedSerial(port, ca);
  const tlsLines = () => logger.entries.filter((e) => e.text.includes('TLS certificate'));
  /** Waits for one more refusal line than `before`, and returns it. */
  const nextRefusal = async (before: number): Promise<string> => {
    const refusals = () => tlsLines().filter((e) => e.level === 'error' && e.text.startsWith('TLS certificate reload refused'));
    await eventually(() => refusals().length > before, 10_000, 'a refusal log line');
    return refusals()[before].message;
  };
  const refusalCount = () => tlsLines().filter((e) => e.text.startsWith('TLS certificate reload refused')).length;

  beforeAll(async () => {
    installCertificate(served, a);
    port = await freePort();
    app = await startExampleServer({
      env: { ...HMAC, MCP_PORT: String(port), HTTPS_CERT_FILE: served.certFile, HTTPS_KEY_FILE: served.keyFile, HTTPS_RELOAD_INTERVAL_SECONDS: '1' },
      logger,
    });
    // Node closes idle keep-alive connections after 5 s; the reloads below take longer than that.
    (app.getHttpServer() as Server).keepAliveTimeout = 120_000;
    kept = new KeptAliveConnection(port, ca);
  });
  afterAll(async () => {
    kept?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the pair and says so: file, serial, names, expiry, how it reloads', async () => {
    expect(await serial()).toBe(a.serial);
    const first = await kept.get('/health/live');
    expect(first).toEqual({ status: 200, reused: false, serial: a.serial });
    expect(tlsLines()[0]).toMatchObject({ level: 'log' });
    expect(tlsLines()[0].text).toMatch(
      new RegExp(
        `^TLS certificate from ${served.certFile}: serial ${a.serial}, DNS:localhost, IP Address:127.0.0.1, valid until \\S+Z; the files are checked for changes every 1 s, and reloaded on SIGHUP`,
      ),
    );
  });

  it('new files: new connections get the new certificate, the open connection keeps working with its own', async () => {
    installCertificate(served, b);
    await eventually(async () => (await serial()) === b.serial, 10_000, 'the new certificate on a new connection');
    const again = await kept.get('/health/live');
    expect(again).toEqual({ status: 200, reused: true, serial: a.serial });
    expect(tlsLines().map((e) => e.text)).toContainEqual(expect.stringContaining(`TLS certificate reloaded from ${served.certFile}: serial ${b.serial}`));
  });

  it('a key that does not belong to the certificate: refused, logged once (however many polls), the previous pair stays', async () => {
    const before = refusalCount();
    installCertificate(served, { certFile: c.certFile, keyFile: b.keyFile });
    expect(await nextRefusal(before)).toBe(
      `TLS certificate reload refused: the private key in ${served.keyFile} does not belong to the certificate in ${served.certFile}. Still serving serial ${b.serial}, DNS:localhost, IP Address:127.0.0.1, valid until ${readTlsCertificate(b).validTo.toISOString()}`,
    );
    expect(await serial()).toBe(b.serial);
    // Three more polls see the same bytes: no more lines.
    await new Promise((r) => setTimeout(r, 3200));
    expect(refusalCount()).toBe(before + 1);
    expect(await kept.get('/health/live')).toEqual({ status: 200, reused: true, serial: a.serial });
  });

  it.each<[string, () => void, RegExp]>([
    ['an expired certificate', () => installCertificate(served, expired), /: the certificate expired on 2020-01-02T00:00:00.000Z\. Still serving serial /],
    [
      'names that do not cover MCP_URL’s host',
      () => installCertificate(served, otherHost),
      /do not cover 127\.0\.0\.1, the host clients connect to\. Still serving /,
    ],
    ['an unreadable key file', () => rmSync(served.keyFile), /cannot read the key file \S+served-key\.pem \(ENOENT\)\. Still serving /],
  ])('%s: refused and logged, new connections still get the previous certificate', async (_case, install, message) => {
    const before = refusalCount();
    install();
    expect(await nextRefusal(before)).toMatch(message);
    expect(await serial()).toBe(b.serial);
  });

  it('a good pair after the broken ones is served; the connection opened first still works', async () => {
    installCertificate(served, d);
    await eventually(async () => (await serial()) === d.serial, 10_000, 'the good pair');
    expect(await kept.get('/health/live')).toEqual({ status: 200, reused: true, serial: a.serial });
    // Nothing about keys in the log: no PEM body of any served key.
    const text = logger.text();
    for (const pair of [a, b, c, d] as TestCertificate[]) expect(text).not.toContain(pair.key.toString().split('\n')[1]);
  });
});

describe('certificate checks at start (development: a warning; production refusals run the real process, see tls-reload-process)', () => {
  const dir = certificateDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an expired certificate, or one not naming MCP_URL’s host, starts in development with a warning line each', async () => {
    const expired = generateCertificate(dir, 'expired', { notBefore: '20200101000000Z', notAfter: '20200102000000Z' });
    const logger = new CapturingLogger();
    const port = await freePort();
    const app = await startExampleServer({
      env: { ...HMAC, MCP_PORT: String(port), MCP_URL: `https://localhost:${port}`, HTTPS_CERT_FILE: expired.certFile, HTTPS_KEY_FILE: expired.keyFile },
      logger,
    });
    try {
      const warnings = logger.entries.filter((e) => e.level === 'warn' && e.text.startsWith('TLS certificate'));
      expect(warnings.map((e) => e.message)).toEqual([
        `TLS certificate ${expired.certFile}: the certificate expired on 2020-01-02T00:00:00.000Z. Clients will refuse it; in production the server would not start.`,
      ]);
    } finally {
      await app.close();
    }
    const other = generateCertificate(dir, 'other', { names: ['DNS:other.example.com'] });
    const logger2 = new CapturingLogger();
    const app2 = await startExampleServer({
      env: { ...HMAC, MCP_PORT: String(port), HTTPS_CERT_FILE: other.certFile, HTTPS_KEY_FILE: other.keyFile },
      logger: logger2,
    });
    try {
      expect(logger2.text()).toContain(
        `TLS certificate ${other.certFile}: the certificate's names (DNS:other.example.com) do not cover 127.0.0.1, the host clients connect to.`,
      );
    } finally {
      await app2.close();
    }
  });

  it('a key of another certificate never reaches OpenSSL: the start is refused naming both files', async () => {
    const x = generateCertificate(dir, 'x');
    const y = generateCertificate(dir, 'y');
    await expect(
      startExampleServer({ env: { ...HMAC, MCP_PORT: String(await freePort()), HTTPS_CERT_FILE: x.certFile, HTTPS_KEY_FILE: y.keyFile }, logger: false }),
    ).rejects.toThrow(new TlsCertificateError([`the private key in ${y.keyFile} does not belong to the certificate in ${x.certFile}`]));
  });

  it('HTTPS_RELOAD_INTERVAL_SECONDS that is not a whole number refuses the start', async () => {
    const x = generateCertificate(dir, 'z');
    await expect(
      startExampleServer({ env: { ...HMAC, HTTPS_CERT_FILE: x.certFile, HTTPS_KEY_FILE: x.keyFile, HTTPS_RELOAD_INTERVAL_SECONDS: '1.5' }, logger: false }),
    ).rejects.toThrow('HTTPS_RELOAD_INTERVAL_SECONDS must be a whole number of seconds (0 = reload only on SIGHUP)');
  });
});

@Controller()
class PingController {
  @Get('ping')
  ping() {
    return { ok: true };
  }
}
@Module({ controllers: [PingController] })
class PingModule {}

describe('watchTlsCertificate on the Fastify adapter, reloaded by calling reload()', () => {
  const dir = certificateDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reload(): unchanged, reloaded, refused, each with its result and one log line; polling off', async () => {
    const files = { certFile: `${dir}/cert.pem`, keyFile: `${dir}/key.pem` };
    const a = generateCertificate(dir, 'fa');
    const b = generateCertificate(dir, 'fb');
    const ca = [a.cert, b.cert];
    installCertificate(files, a);
    const initial = readTlsCertificate(files);
    const app = await NestFactory.create(PingModule, new FastifyAdapter({ https: { cert: initial.cert, key: initial.key } }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const logger = new CapturingLogger();
    const reloader = watchTlsCertificate(app.getHttpServer(), { ...files, initial, hostname: '127.0.0.1', intervalMs: 0, logger });
    const { port } = app.getHttpServer().address();
    try {
      const kept = new KeptAliveConnection(port, ca);
      expect(await kept.get('/ping')).toEqual({ status: 200, reused: false, serial: a.serial });
      expect(reloader.reload()).toMatchObject({ outcome: 'unchanged' });
      installCertificate(files, b);
      // No polling: nothing changes until asked.
      await new Promise((r) => setTimeout(r, 300));
      expect(await servedSerial(port, ca)).toBe(a.serial);
      expect(reloader.reload()).toMatchObject({ outcome: 'reloaded', certificate: { certificate: { serialNumber: b.serial } } });
      expect(await servedSerial(port, ca)).toBe(b.serial);
      expect(await kept.get('/ping')).toEqual({ status: 200, reused: true, serial: a.serial });
      installCertificate(files, { certFile: a.certFile, keyFile: b.keyFile });
      expect(reloader.reload()).toMatchObject({
        outcome: 'refused',
        problems: [`the private key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`],
      });
      expect(await servedSerial(port, ca)).toBe(b.serial);
      expect(logger.entries.map((e) => [e.level, e.text.slice(0, 40)])).toEqual([
        ['log', `TLS certificate from ${files.certFile}`.slice(0, 40)],
        ['log', 'TLS certificate files unchanged: still s'],
        ['log', `TLS certificate reloaded from ${files.certFile}`.slice(0, 40)],
        ['error', 'TLS certificate reload refused: the priv'],
      ]);
      kept.close();
    } finally {
      await app.close();
    }
  });

  it('the pair in use expires while running: one error line, however many polls', async () => {
    const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
    const soon = generateCertificate(dir, 'soon', { notBefore: stamp(Date.now() - 60_000), notAfter: stamp(Date.now() + 2000) });
    const server = createServer({ cert: soon.cert, key: soon.key });
    const logger = new CapturingLogger();
    const reloader = watchTlsCertificate(server, { ...soon, intervalMs: 300, logger });
    try {
      await eventually(() => logger.entries.some((e) => e.level === 'error'), 10_000, 'the expiry line');
      await new Promise((r) => setTimeout(r, 1000));
      expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^The TLS certificate in use expired on \\S+: clients refuse new connections until a valid pair is in ${soon.certFile} and ${soon.keyFile}$`,
          ),
        ),
      ]);
    } finally {
      reloader.close();
    }
  });

  it('a plain http server is refused at once', async () => {
    const app = await NestFactory.create(PingModule, new FastifyAdapter(), { logger: false });
    try {
      expect(() => watchTlsCertificate(app.getHttpServer(), { certFile: 'x', keyFile: 'y' })).toThrow('watchTlsCertificate needs a TLS server');
    } finally {
      await app.close();
    }
  });
});
