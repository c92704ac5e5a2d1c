import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES_BUILD, SYSTEM_NODE } from '../support/compiled.js';
import { freePort } from '../support/free-port.js';
import { generateTestKey, JwksServer } from '../support/jwks-server.js';
import { now, signWithKey } from '../support/tokens.js';

const SHORT_SECRET = 'Zq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0B'; // 31 bytes

interface Run {
  code: number | null;
  output: string;
}

/** Runs the compiled example (`node .build/examples/basic/main.js`) on the machine's Node, from an empty directory (no .env). */
function runMain(env: Record<string, string>, untilOutput?: RegExp): Promise<Run & { kill: () => void }> {
  const cwd = mkdtempSync(join(tmpdir(), 'oauth-mcp-'));
  const child = spawn(SYSTEM_NODE, [join(EXAMPLES_BUILD, 'basic/main.js')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const kill = () => child.kill('SIGTERM');
  return new Promise((done) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (untilOutput?.test(output)) done({ code: null, output, kill });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      done({ code, output, kill });
    });
  });
}

describe('the example process refuses unsafe configuration and exits non-zero', () => {
  it('N131 JWT_SECRET of 31 bytes: exit 1, the variable named, the value never printed', async () => {
    const run = await runMain({ OAUTH_PROVIDER: 'hmac', JWT_SECRET: SHORT_SECRET, OIDC_AUDIENCE: 'api://mcp' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('jwtSecret (JWT_SECRET) must be at least 32 bytes');
    expect(run.output).not.toContain(SHORT_SECRET);
  });

  it('N133 an http:// issuer with NODE_ENV=production: exit 1 naming OIDC_ISSUER', async () => {
    const run = await runMain({
      NODE_ENV: 'production',
      OAUTH_PROVIDER: 'oidc',
      OIDC_ISSUER: 'http://localhost:1234',
      OIDC_AUDIENCE: 'api://mcp',
      MCP_URL: 'https://mcp.example.com',
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain('issuer (OIDC_ISSUER) must use https when NODE_ENV=production');
  });

  it('production without a provider: no dev IdP, exit 1 naming OAUTH_PROVIDER', async () => {
    const run = await runMain({ NODE_ENV: 'production', MCP_URL: 'https://mcp.example.com' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('provider (OAUTH_PROVIDER) must be one of hmac, okta, google, azure, oidc');
    expect(run.output).not.toMatch(/Embedded development IdP/);
  });

  it('a valid configuration starts and answers /mcp with 401', async () => {
    const port = await freePort();
    const run = await runMain({ OAUTH_PROVIDER: 'hmac', JWT_SECRET: `${SHORT_SECRET}x`, OIDC_AUDIENCE: 'api://mcp', MCP_PORT: String(port) }, /MCP endpoint/);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST' });
      expect(res.status).toBe(401);
    } finally {
      run.kill();
    }
  });
});

describe("the compiled library on the machine's own Node (the engines minimum): its CommonJS dependencies load the ES modules", () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '0' } },
  };

  it('native oidc: an RS256 token is verified through jwks-rsa 4 (jose by require(esm)); a forged one is 401', async () => {
    const key = await generateTestKey('RS256', 'k1');
    const idp = await new JwksServer().start();
    idp.keys = [key.publicJwk];
    const port = await freePort();
    const run = await runMain(
      { OAUTH_PROVIDER: 'oidc', OIDC_ISSUER: idp.issuer, OIDC_JWKS_URI: idp.jwksUri, OIDC_AUDIENCE: 'api://mcp', MCP_PORT: String(port) },
      /MCP endpoint/,
    );
    try {
      const token = await signWithKey(key, { sub: 'alice', iss: idp.issuer, aud: 'api://mcp', exp: now() + 600, iat: now(), scope: 'mcp:read' });
      const call = (t: string) =>
        fetch(`http://127.0.0.1:${port}/mcp`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify(initialize),
        });
      expect((await call(token)).status).toBe(200);
      expect((await call(`${token.slice(0, -4)}AAAA`)).status).toBe(401);
    } finally {
      run.kill();
      await idp.stop();
    }
  });

  it('proxy mode (embedded dev IdP): /oauth/token is limited by @nestjs/throttler', async () => {
    const port = await freePort();
    const run = await runMain(
      { MCP_PORT: String(port), MCP_URL: `http://127.0.0.1:${port}`, DEV_IDP_PORT: '0', OAUTH_RATE_LIMITS: 'token=2/60' },
      /MCP endpoint/,
    );
    try {
      const token = () =>
        fetch(`http://127.0.0.1:${port}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=password',
        });
      expect([(await token()).status, (await token()).status, (await token()).status]).toEqual([400, 400, 429]);
    } finally {
      run.kill();
    }
  });
});
