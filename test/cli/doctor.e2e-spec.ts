import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/dev-idp.js';
import { generateTestKey, JwksServer } from '../support/jwks-server.js';
import { certificateDir, generateCertificate } from '../support/tls-certs.js';
import { cli, emptyDir } from './cli-io.js';

const MCP_URL = 'http://localhost:8080';
const RESOURCE = `${MCP_URL}/mcp`;
const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const SHORT_SECRET = 'Zq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0B'; // 31 bytes

const lines = (out: string, mark: string) => out.split('\n').filter((l) => l.startsWith(mark));

describe('CLI: doctor against the embedded dev IdP (healthy)', () => {
  let idp: DevIdp;
  let env: Record<string, string>;

  beforeAll(async () => {
    idp = await startDevIdp({ resource: RESOURCE, scopes: ['mcp:read'], port: 0 });
    env = { OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: RESOURCE, MCP_URL, OAUTH_REQUIRE_AT_JWT: 'true' };
  });
  afterAll(() => idp.close());

  it('every check passes: exit 0, one ✔ line per check, progress on stderr', async () => {
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(0);
    expect(lines(run.stdout, '✘')).toEqual([]);
    for (const check of ['config', 'audience', 'redirects', 'discovery', 'clients', 'jwks', 'clock']) {
      expect(run.stdout).toMatch(new RegExp(`^✔ ${check}: `, 'm'));
    }
    expect(run.stdout).toContain(`✔ discovery: ${idp.issuer}/.well-known/openid-configuration: issuer "${idp.issuer}" matches byte for byte`);
    expect(run.stdout).toContain(`✔ jwks: ${idp.jwksUri}: 2 usable key(s) for RS256, ES256`);
    expect(run.stdout).toContain(`✔ audience: OIDC_AUDIENCE contains the MCP endpoint ${RESOURCE}`);
    // Loopback http is a warning, not a failure.
    expect(lines(run.stdout, '⚠')).toEqual([expect.stringMatching(/^⚠ https: MCP_URL, OIDC_ISSUER use http on loopback/)]);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('No problems, 1 warning(s).');
    expect(run.stderr).toContain(`… checking discovery at ${idp.issuer}/.well-known/openid-configuration`);
    expect(run.stderr).toContain(`… checking JWKS at ${idp.jwksUri}`);
  });

  it('reads .env from the working directory like the app does', async () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, '.env'),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    const run = await cli(['doctor'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✔ config: valid (mode native, provider oidc');
  });

  it('audience: another audience is a ⚠ (exit 0); a near miss of the resource URL is a ✘ (exit 1)', async () => {
    const other = await cli(['doctor'], { ...env, OAUTH_PROVIDER: 'okta', OIDC_AUDIENCE: 'api://default' });
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/^⚠ audience: OIDC_AUDIENCE \(api:\/\/default\) is not the MCP endpoint http:\/\/localhost:8080\/mcp/m);
    const near = await cli(['doctor'], { ...env, OIDC_AUDIENCE: `${RESOURCE}/` });
    expect(near.code).toBe(1);
    expect(lines(near.stdout, '✘')).toEqual([
      `✘ audience: OIDC_AUDIENCE "${RESOURCE}/" is almost the MCP endpoint "${RESOURCE}" but not byte-identical: tokens issued for the resource MCP clients request carry exactly "${RESOURCE}"; set OIDC_AUDIENCE=${RESOURCE}`,
    ]);
  });

  it('OAUTH_REDIRECT_URIS set in native mode is a ⚠ (only proxy mode uses it)', async () => {
    const run = await cli(['doctor'], { ...env, OAUTH_REDIRECT_URIS: 'http://localhost:6274/oauth/callback' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^⚠ redirects: OAUTH_REDIRECT_URIS is set but only proxy mode/m);
  });
});

describe('CLI: doctor against a broken IdP', () => {
  let server: JwksServer;
  let env: Record<string, string>;

  beforeEach(async () => {
    server = await new JwksServer().start();
    server.keys = [(await generateTestKey('RS256', 'k1')).publicJwk];
    env = { OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: server.issuer, OIDC_AUDIENCE: RESOURCE, MCP_URL };
  });
  afterEach(() => server.stop());

  it('the same loopback IdP, well behaved, passes (control)', async () => {
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`✔ jwks: ${server.jwksUri}: 1 usable key(s) for RS256, ES256`);
    // No registration endpoint and no PKCE metadata: what MCP clients will miss, as warnings.
    expect(run.stdout).toMatch(/^⚠ clients: the IdP metadata does not advertise PKCE S256/m);
    expect(run.stdout).toMatch(/^⚠ clients: the IdP has no registration_endpoint/m);
  });

  it('PIT-01 discovery names the issuer with a trailing slash: exit 1, ✘ discovery naming both values', async () => {
    server.issuerOverride = `${server.issuer}/`;
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `✘ discovery: the IdP publishes issuer "${server.issuer}/" but OIDC_ISSUER is "${server.issuer}": they must be byte-identical (trailing slash included); set OIDC_ISSUER=${server.issuer}/`,
    );
    expect(run.stdout).toContain('✘ jwks: not checked: the JWKS URI comes from discovery, which failed above');
  });

  it('an empty JWKS: exit 1, ✘ jwks "no key usable"', async () => {
    server.keys = [];
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(1);
    expect(lines(run.stdout, '✘')).toEqual([expect.stringContaining(`✘ jwks: ${server.jwksUri} has no key usable for RS256, ES256 (0 key(s) published)`)]);
  });

  it('a JWKS of unusable keys only (private members, 1024-bit RSA, symmetric): exit 1', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    server.keys = [
      { ...server.keys[0], d: 'private' },
      { ...weak, kid: 'weak', alg: 'RS256', use: 'sig' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hs' },
    ];
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('has no key usable for RS256, ES256 (3 key(s) published)');
  });

  it('a JWKS answering 500: exit 1, ✘ jwks with the status', async () => {
    server.jwksResponse = (_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    };
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✘ jwks: ${server.jwksUri}: unexpected HTTP status 500; tokens are refused until the keys can be fetched`);
    expect(run.stdout).not.toContain('boom');
  });

  it('an unreachable issuer: exit 1, ✘ discovery', async () => {
    await server.stop();
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✘ discovery: ${server.issuer}/.well-known/openid-configuration: unreachable`);
  });

  it('OIDC_JWKS_URI set: discovery "not needed"; an IdP clock 10 minutes off is ✘ clock', async () => {
    server.jwksResponse = (_req, res) => {
      res.setHeader('date', new Date(Date.now() + 600_000).toUTCString());
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: server.keys }));
    };
    const run = await cli(['doctor'], { ...env, OIDC_JWKS_URI: server.jwksUri });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✔ discovery: not needed (OIDC_JWKS_URI is set: nothing else is fetched from the issuer)');
    expect(lines(run.stdout, '✘')).toEqual([
      expect.stringMatching(/^✘ clock: this host's clock is behind the IdP's by about 600 s, more than OAUTH_CLOCK_SKEW_SECONDS \(30\)/),
    ]);
    expect(server.discoveryRequests).toBe(0);
  });

  it('an IdP clock 10 s off is only a ⚠ (within OAUTH_CLOCK_SKEW_SECONDS)', async () => {
    server.jwksResponse = (_req, res) => {
      res.setHeader('date', new Date(Date.now() - 10_000).toUTCString());
      res.end(JSON.stringify({ keys: server.keys }));
    };
    const run = await cli(['doctor'], { ...env, OIDC_JWKS_URI: server.jwksUri });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^⚠ clock: this host's clock is ahead of the IdP's by about (9|10|11) s \(tolerated up to 30 s\)/m);
  });
});

describe('CLI: doctor with a bad configuration', () => {
  it('N131 a 31-byte JWT_SECRET: exit 1, the startup rule as a ✘ config line, the secret never printed, no network', async () => {
    const run = await cli(['doctor'], { OAUTH_PROVIDER: 'hmac', JWT_SECRET: SHORT_SECRET, OIDC_AUDIENCE: 'api://mcp' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✘ config: jwtSecret (JWT_SECRET) must be at least 32 bytes (generate one with: openssl rand -base64 32)');
    expect(run.stdout + run.stderr).not.toContain(SHORT_SECRET);
    expect(run.stderr).toBe('');
  });

  it('one ✘ line per startup problem', async () => {
    const run = await cli(['doctor'], {
      NODE_ENV: 'production',
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: 'http://localhost:1234',
      MCP_URL: 'https://mcp.example.com',
    });
    expect(run.code).toBe(1);
    expect(lines(run.stdout, '✘')).toEqual([
      '✘ config: issuer (OIDC_ISSUER) must use https when NODE_ENV=production (even on loopback)',
      '✘ config: audience (OIDC_AUDIENCE) is required: the value the token `aud` claim must contain (no wildcards)',
    ]);
  });

  it('no OAUTH_PROVIDER: the module refuses (the example app alone falls back to the dev IdP)', async () => {
    const run = await cli(['doctor'], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✘ config: provider (OAUTH_PROVIDER) must be one of hmac, okta, google, azure, oidc');
    // What the issuer must be depends on the provider: no second line about it (from a user trial).
    expect(run.stdout).not.toContain('OIDC_ISSUER');
  });

  it('hmac with a good secret: exit 0; the network checks are "not needed"', async () => {
    const run = await cli(['doctor'], {
      NODE_ENV: 'production',
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      OIDC_AUDIENCE: 'api://mcp',
      MCP_URL: 'https://mcp.example.com',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✔ https: MCP_URL and the identity provider URLs use https');
    expect(run.stdout).toContain('✔ discovery: not needed (provider hmac: there is no identity provider)');
    expect(run.stdout.trim().split('\n').at(-1)).toBe('No problems.');
  });

  it('TLS files without an https MCP_URL is a ✘', async () => {
    const run = await cli(['doctor'], {
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      OIDC_AUDIENCE: 'api://mcp',
      MCP_URL: 'http://localhost:8443',
      HTTPS_CERT_FILE: 'cert.pem',
      HTTPS_KEY_FILE: 'key.pem',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✘ https: HTTPS_CERT_FILE and HTTPS_KEY_FILE are set \(the server speaks TLS\) but MCP_URL is http:\/\//m);
  });
});

describe('CLI: doctor shows the TLS certificate (HTTPS_CERT_FILE, HTTPS_KEY_FILE)', () => {
  const dir = certificateDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hmac = { OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET, OIDC_AUDIENCE: 'api://mcp', MCP_URL: 'https://mcp.example.com' };
  const tls = (pair: { certFile: string; keyFile: string }) => ({ ...hmac, HTTPS_CERT_FILE: pair.certFile, HTTPS_KEY_FILE: pair.keyFile });
  const certificateLines = (out: string) => out.split('\n').filter((l) => / certificate: /.test(l));

  it('a good pair: ✔ with its names, expiry date and days left; one expiring within 14 days: ⚠ renew', async () => {
    const good = generateCertificate(dir, 'good', { names: ['DNS:mcp.example.com'], notBefore: '20250101000000Z', notAfter: '20991231000000Z' });
    const run = await cli(['doctor'], tls(good));
    expect(run.code).toBe(0);
    expect(certificateLines(run.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^✔ certificate: ${good.certFile}: DNS:mcp\\.example\\.com, valid until 2099-12-31T00:00:00\\.000Z \\(\\d+ day\\(s\\) left\\); the key belongs to it and the names cover mcp\\.example\\.com$`,
        ),
      ),
    ]);
    const soon = generateCertificate(dir, 'soon', { names: ['DNS:mcp.example.com'] }); // one day
    const due = await cli(['doctor'], tls(soon));
    expect(due.code).toBe(0);
    expect(certificateLines(due.stdout)).toEqual([expect.stringMatching(/^⚠ certificate: .*valid until \S+ \(0 day\(s\) left\): renew it now/)]);
  });

  it('expired or not naming MCP_URL’s host: ⚠ in development, ✘ with NODE_ENV=production', async () => {
    const expired = generateCertificate(dir, 'expired', { names: ['DNS:mcp.example.com'], notBefore: '20200101000000Z', notAfter: '20200102000000Z' });
    const dev = await cli(['doctor'], tls(expired));
    expect(dev.code).toBe(0);
    expect(certificateLines(dev.stdout)).toEqual([
      `⚠ certificate: ${expired.certFile}: the certificate expired on 2020-01-02T00:00:00.000Z: clients refuse it (a warning in development; NODE_ENV=production does not start with it)`,
    ]);
    const local = generateCertificate(dir, 'local');
    const prod = await cli(['doctor'], { ...tls(local), NODE_ENV: 'production' });
    expect(prod.code).toBe(1);
    expect(lines(prod.stdout, '✘')).toEqual([
      `✘ certificate: ${local.certFile}: the certificate's names (DNS:localhost, IP Address:127.0.0.1) do not cover mcp.example.com, the host clients connect to: clients refuse it, and NODE_ENV=production does not start with it`,
    ]);
  });

  it('a key of another certificate, or a missing file: ✘ (the server would not start)', async () => {
    const a = generateCertificate(dir, 'a', { names: ['DNS:mcp.example.com'] });
    const b = generateCertificate(dir, 'b', { names: ['DNS:mcp.example.com'] });
    const mismatched = await cli(['doctor'], tls({ certFile: a.certFile, keyFile: b.keyFile }));
    expect(mismatched.code).toBe(1);
    expect(lines(mismatched.stdout, '✘')).toEqual([
      `✘ certificate: the private key in ${b.keyFile} does not belong to the certificate in ${a.certFile}: the server would not start`,
    ]);
    const missing = await cli(['doctor'], tls({ certFile: a.certFile, keyFile: join(dir, 'none.pem') }));
    expect(lines(missing.stdout, '✘')).toEqual([`✘ certificate: cannot read the key file ${join(dir, 'none.pem')} (ENOENT): the server would not start`]);
    expect(mismatched.stdout + missing.stdout).not.toContain(b.key.toString().split('\n')[1]);
  });
});

describe('CLI: doctor in proxy mode against the dev IdP (a pre-registered confidential client)', () => {
  let idp: DevIdp;
  let env: Record<string, string>;

  beforeAll(async () => {
    idp = await startDevIdp({ resource: RESOURCE, scopes: ['mcp:read'], port: 0, proxyCallbackUrl: `${MCP_URL}/oauth/callback` });
    env = {
      OAUTH_MODE: 'proxy',
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.proxyClient!.clientId,
      OIDC_CLIENT_SECRET: idp.proxyClient!.clientSecret,
      JWT_SECRET: SECRET,
      MCP_URL,
    };
  });
  afterAll(() => idp.close());

  it('healthy: every proxy check passes, the IdP accepts the client with the callback URL; no secret printed', async () => {
    const run = await cli(['doctor'], env);
    expect(lines(run.stdout, '✘')).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✔ config: valid (mode proxy, provider oidc');
    expect(run.stdout).toContain(
      `✔ callback: the IdP sends users back to ${MCP_URL}/oauth/callback: register exactly this redirect URI for OIDC_CLIENT_ID (a confidential web application); loopback http is for development only`,
    );
    expect(run.stdout).toContain('✔ redirects: MCP clients may register any https or loopback redirect URI (set OAUTH_REDIRECT_URIS to restrict them)');
    expect(run.stdout).toContain(`✔ audience: proxy mode: this server issues its own tokens for ${RESOURCE} (OIDC_AUDIENCE is not used)`);
    expect(run.stdout).toContain(
      '✔ store: in memory (REDIS_URL not set): clients, grants and keys are lost on restart and not shared between replicas, unless the application passes its own store',
    );
    expect(run.stdout).toContain(
      '✔ signing: OAUTH_SIGNING_JWKS not set: one ES256 key is generated and kept (sealed with JWT_SECRET) in the store; with the in-memory store it changes at every restart and differs between replicas, which invalidates issued tokens',
    );
    expect(run.stdout).toContain(
      `✔ clients: MCP clients use dynamic registration at ${MCP_URL}/oauth/register, Client ID Metadata Documents; no static clients (OAUTH_STATIC_CLIENTS)`,
    );
    expect(run.stdout).toContain(`✔ discovery: ${idp.issuer}/.well-known/openid-configuration: issuer "${idp.issuer}" matches byte for byte`);
    expect(run.stdout).toContain('✔ upstream: authorization and token endpoints published; PKCE S256 advertised (this server always uses it upstream)');
    expect(run.stdout).toContain(
      `✔ upstream-client: the IdP accepts OIDC_CLIENT_ID "${idp.proxyClient!.clientId}" with redirect URI ${MCP_URL}/oauth/callback (it answered with its sign-in page)`,
    );
    expect(run.stdout).toContain('✔ jwks: not needed (proxy mode: this server verifies the tokens it signs itself)');
    expect(run.stdout).toMatch(/^✔ clock: /m);
    // Only the loopback-http warning; the old "doctor checks the upstream IdP only" warning is gone.
    expect(lines(run.stdout, '⚠')).toEqual([expect.stringMatching(/^⚠ https: MCP_URL, OIDC_ISSUER use http on loopback/)]);
    expect(run.stdout).not.toMatch(/^. mode: /m);
    expect(run.stderr).toContain(`… asking ${idp.issuer}/auth whether it accepts OIDC_CLIENT_ID`);
    expect(run.stdout + run.stderr).not.toContain(idp.proxyClient!.clientSecret);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('MCP_URL differs from the redirect URI registered at the IdP: exit 1, ✘ upstream-client naming the IdP error', async () => {
    const run = await cli(['doctor'], { ...env, MCP_URL: 'http://localhost:8081' });
    expect(run.code).toBe(1);
    expect(lines(run.stdout, '✘')).toEqual([
      `✘ upstream-client: the IdP refused OIDC_CLIENT_ID "${idp.proxyClient!.clientId}" with redirect URI http://localhost:8081/oauth/callback: HTTP 400 (invalid_redirect_uri); register the redirect URI exactly (scheme, host, port, path) for this client at the IdP, and check OIDC_CLIENT_ID`,
    ]);
  });

  it('an OIDC_CLIENT_ID the IdP does not know: exit 1, ✘ upstream-client (invalid_client)', async () => {
    const run = await cli(['doctor'], { ...env, OIDC_CLIENT_ID: 'not-registered' });
    expect(run.code).toBe(1);
    expect(lines(run.stdout, '✘')).toEqual([
      expect.stringMatching(/^✘ upstream-client: the IdP refused OIDC_CLIENT_ID "not-registered" .*: HTTP 400 \(invalid_client\)/),
    ]);
  });

  it('OAUTH_SIGNING_JWKS, static clients and OAUTH_REDIRECT_URIS are described; the callback URL in OAUTH_REDIRECT_URIS is a ⚠', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const run = await cli(['doctor'], {
      ...env,
      OAUTH_SIGNING_JWKS: JSON.stringify({
        keys: [
          { ...ec, kid: 'sig-2026', alg: 'ES256' },
          { ...rsa, kid: 'sig-old', alg: 'RS256' },
        ],
      }),
      OAUTH_STATIC_CLIENTS: JSON.stringify([
        { client_id: 'web-app', client_secret: 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb', redirect_uris: ['https://app.example.com/callback'] },
        { client_id: 'cli', redirect_uris: ['http://127.0.0.1/callback'] },
      ]),
      // The allowlist limits static clients too (O2), so theirs are listed.
      OAUTH_REDIRECT_URIS: `http://localhost:6274/oauth/callback,https://app.example.com/callback,http://127.0.0.1/callback,${MCP_URL}/oauth/callback`,
      REDIS_URL: 'redis://:Rd5ecretPassw0rd@redis.internal:6379/0',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✔ store: Redis at redis://redis.internal:6379 (REDIS_URL): state is shared by replicas and survives restarts');
    expect(run.stdout + run.stderr).not.toContain('Rd5ecretPassw0rd');
    expect(run.stdout).toContain(
      `✔ signing: OAUTH_SIGNING_JWKS: 2 usable private key(s) ("sig-2026" ES256, "sig-old" RS256); "sig-2026" signs, all are published at ${MCP_URL}/.well-known/jwks.json`,
    );
    expect(run.stdout).toContain(
      `✔ clients: 2 valid static client(s): "web-app" (confidential, 1 redirect URI(s)), "cli" (public, 1 redirect URI(s)); other MCP clients use dynamic registration at ${MCP_URL}/oauth/register, Client ID Metadata Documents`,
    );
    expect(run.stdout).toMatch(
      /^⚠ redirects: OAUTH_REDIRECT_URIS contains http:\/\/localhost:8080\/oauth\/callback, which is where the upstream IdP returns to this server/m,
    );
    expect(run.stdout).not.toContain(String(ec.d));
    expect(run.stdout).not.toContain('Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb');
  });

  it('config problems of proxy mode are ✘ config lines (MCP_URL with a path, a public key in OAUTH_SIGNING_JWKS, a static client with an unsafe redirect URI)', async () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const run = await cli(['doctor'], {
      ...env,
      MCP_URL: 'http://localhost:8080/base',
      OAUTH_SIGNING_JWKS: JSON.stringify({ keys: [{ ...pub, kid: 'pub' }] }),
      OAUTH_STATIC_CLIENTS: JSON.stringify([{ client_id: 'evil', redirect_uris: ['http://evil.example.com/cb'] }]),
    });
    expect(run.code).toBe(1);
    const failures = lines(run.stdout, '✘');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.every((l) => l.startsWith('✘ config: '))).toBe(true);
    expect(failures.join('\n')).toMatch(/MCP_URL/);
    expect(failures.join('\n')).toMatch(/OAUTH_SIGNING_JWKS/);
    expect(failures.join('\n')).toMatch(/OAUTH_STATIC_CLIENTS/);
    expect(run.stderr).toBe('');
  });
});

describe('CLI: doctor in proxy mode against other upstreams', () => {
  it('NODE_ENV=production without REDIS_URL: ⚠ store (state in memory)', async () => {
    const run = await cli(['doctor'], {
      NODE_ENV: 'production',
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: 'https://idp.invalid',
      OIDC_CLIENT_ID: 'mcp-proxy',
      OIDC_CLIENT_SECRET: 'Xz9Wq4Lm7Kp2Nv8Rt5Ys1Hd6Fg3Jc0B',
      JWT_SECRET: SECRET,
      MCP_URL: 'https://mcp.example.com',
    });
    expect(run.stdout).toContain('✔ config: valid (mode proxy, provider oidc');
    expect(run.stdout).toMatch(/^⚠ store: in memory \(REDIS_URL not set\): .*; set REDIS_URL for production$/m);
    expect(run.stdout).toMatch(/^✘ discovery: https:\/\/idp\.invalid\/\.well-known\/openid-configuration: unreachable/m);
  });

  it('an upstream whose discovery names another issuer: ✘ discovery, the upstream checks are skipped', async () => {
    const server = await new JwksServer().start();
    try {
      const env = {
        OAUTH_PROVIDER: 'oidc',
        OIDC_ISSUER: server.issuer,
        OIDC_CLIENT_ID: 'mcp-proxy',
        OIDC_CLIENT_SECRET: 'Xz9Wq4Lm7Kp2Nv8Rt5Ys1Hd6Fg3Jc0B',
        JWT_SECRET: SECRET,
        MCP_URL,
      };
      server.issuerOverride = `${server.issuer}/`;
      const broken = await cli(['doctor'], env);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/^✘ discovery: the IdP publishes issuer "http:\/\/127\.0\.0\.1:\d+\/" but OIDC_ISSUER is/m);
      expect(broken.stdout).toContain('✘ upstream: not checked: the upstream OpenID configuration is needed (see discovery above)');
      // A discovery document without endpoints (a bare JWKS host) cannot sign anyone in.
      server.issuerOverride = undefined;
      const bare = await cli(['doctor'], env);
      expect(bare.code).toBe(1);
      expect(lines(bare.stdout, '✘')).toEqual([
        '✘ upstream: the upstream OpenID configuration has no usable https "authorization_endpoint" and "token_endpoint": users cannot sign in',
      ]);
    } finally {
      await server.stop();
    }
  });

  describe('an upstream that does not advertise PKCE (like Entra ID) and answers the authorization request with a page', () => {
    let server: Server;
    let issuer: string;
    let authorizePage = '<html>Sign in</html>';

    beforeAll(async () => {
      server = createServer((req, res) => {
        const path = new URL(req.url!, issuer).pathname;
        res.setHeader('content-type', path === '/authorize' ? 'text/html' : 'application/json');
        if (path === '/.well-known/openid-configuration') {
          res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/keys` }));
        } else if (path === '/authorize') {
          res.end(authorizePage);
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((done) => server.close(() => done())));

    const proxyEnv = () => ({
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: 'mcp-proxy',
      OIDC_CLIENT_SECRET: 'Xz9Wq4Lm7Kp2Nv8Rt5Ys1Hd6Fg3Jc0B',
      JWT_SECRET: SECRET,
      MCP_URL,
    });

    it('⚠ upstream (no S256 advertised); a sign-in page (200) without a known error is ✔', async () => {
      authorizePage = '<html>Sign in</html>';
      const run = await cli(['doctor'], proxyEnv());
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^⚠ upstream: the upstream metadata does not advertise PKCE S256 \(code_challenge_methods_supported missing\): this server always sends S256/m,
      );
      expect(run.stdout).toContain('✔ upstream-client: the IdP answered HTTP 200 with a page and no known error for OIDC_CLIENT_ID "mcp-proxy"');
    });

    it('an error page answered with 200 naming a redirect URI mismatch (Entra AADSTS50011) is a ⚠', async () => {
      authorizePage = '<html>AADSTS50011: The redirect URI specified in the request does not match</html>';
      const run = await cli(['doctor'], proxyEnv());
      expect(run.stdout).toMatch(/^⚠ upstream-client: the IdP answered HTTP 200 with a page mentioning "AADSTS50011"/m);
    });
  });
});
