import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES_BUILD, SYSTEM_NODE } from '../support/compiled.js';
import { freePort } from '../support/free-port.js';

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
    const run = await runMain(
      { OAUTH_PROVIDER: 'hmac', JWT_SECRET: `${SHORT_SECRET}x`, OIDC_AUDIENCE: 'api://mcp', MCP_PORT: String(port) },
      /MCP endpoint/,
    );
    try {
      const res = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST' });
      expect(res.status).toBe(401);
    } finally {
      run.kill();
    }
  });
});
