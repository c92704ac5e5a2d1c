import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, ROOT, SYSTEM_NODE } from '../support/compiled.js';
import { jwtVerify } from 'jose';
import { generateTestKey, JwksServer } from '../support/jwks-server.js';
import { emptyDir } from './cli-io.js';

const BIN = join(DIST, 'cli/main.js');
const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/cli/main.js …` as a real process, from an empty directory, with only PATH and `env`. */
function runBin(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(SYSTEM_NODE, [BIN, ...args], {
    cwd: emptyDir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

describe('the compiled CLI (package.json "bin") as a real process', () => {
  it('is the bin of the package, with a node shebang', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'nestjs-oauth-mcp': 'dist/cli/main.js' });
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('"exports" has ./testing mirroring ".", and the compiled kit loads in plain Node', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' });
    const kit = join(DIST, 'testing/index.js');
    const script = `const kit = await import(${JSON.stringify(kit)}); console.log(Object.keys(kit).sort().join(',')); console.log(await kit.mintTestToken({ secret: '${SECRET}', sub: 'a', aud: 'b' }));`;
    // stderr is kept, not inherited: on Node 20 oidc-provider (the kit's dev IdP) warns that the runtime is
    // unsupported, which belongs to that process, not the test log.
    const child = spawn(SYSTEM_NODE, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    expect({
      code: await new Promise((done) => child.on('close', done)),
      stderr: err.replace(/^oidc-provider WARNING: Unsupported runtime.*\n?/m, ''),
    }).toEqual({ code: 0, stderr: '' });
    const [names, token] = out.trim().split('\n');
    expect(names).toBe('MemoryOAuthClientProvider,freePort,headlessLogin,mintTestToken,signInWithDevIdp,startDevIdp');
    expect((await jwtVerify(token, new TextEncoder().encode(SECRET))).payload.sub).toBe('a');
  });

  it('secret → exit 0 and a 32-byte base64 secret', async () => {
    const run = await runBin(['secret']);
    expect(run.code).toBe(0);
    expect(Buffer.from(run.stdout.trim(), 'base64')).toHaveLength(32);
  });

  it('token → exit 0 and a verifiable HS256 token; NODE_ENV=production → exit 1', async () => {
    const run = await runBin(['token', '--sub', 'alice', '--scope', 'mcp:read', '--aud', 'api://mcp', '--ttl', '1h'], { JWT_SECRET: SECRET });
    expect(run.code).toBe(0);
    const { payload } = await jwtVerify(run.stdout.trim(), new TextEncoder().encode(SECRET), { audience: 'api://mcp' });
    expect(payload).toMatchObject({ sub: 'alice', scope: 'mcp:read' });
    const refused = await runBin(['token', '--sub', 'alice', '--aud', 'api://mcp'], { JWT_SECRET: SECRET, NODE_ENV: 'production' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
  });

  it('doctor with a 31-byte JWT_SECRET → exit 1 and the ✘ config line', async () => {
    const run = await runBin(['doctor'], { OAUTH_PROVIDER: 'hmac', JWT_SECRET: SECRET.slice(0, 31), OIDC_AUDIENCE: 'api://mcp' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✘ config: jwtSecret (JWT_SECRET) must be at least 32 bytes');
  });

  it('doctor against a reachable IdP → exit 0, progress on stderr; an unknown command → exit 2', async () => {
    const server = await new JwksServer().start();
    server.keys = [(await generateTestKey('ES256', 'k1')).publicJwk];
    try {
      const run = await runBin(['doctor'], {
        OAUTH_PROVIDER: 'oidc',
        OIDC_ISSUER: server.issuer,
        OIDC_AUDIENCE: 'http://localhost:8080/mcp',
        MCP_URL: 'http://localhost:8080',
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`✔ jwks: ${server.jwksUri}: 1 usable key(s) for RS256, ES256`);
      expect(run.stderr).toContain('… checking discovery at');
    } finally {
      await server.stop();
    }
    expect((await runBin(['nope'])).code).toBe(2);
  });

  it('doctor piped into a reader that stops early (| head -2) ends quietly, without an EPIPE stack trace', async () => {
    const server = await new JwksServer().start();
    server.keys = [(await generateTestKey('ES256', 'k1')).publicJwk];
    try {
      const child = spawn(SYSTEM_NODE, [BIN, 'doctor'], {
        cwd: emptyDir(),
        env: {
          PATH: process.env.PATH ?? '',
          OAUTH_PROVIDER: 'oidc',
          OIDC_ISSUER: server.issuer,
          OIDC_AUDIENCE: 'http://localhost:8080/mcp',
          MCP_URL: 'http://localhost:8080',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // The first line read, the reader goes away: every later write meets a closed pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise((done) => child.on('close', done));
      expect({ code, stderr: stderr.split('\n').filter((l) => !l.startsWith('… ') && l !== '') }).toEqual({ code: 0, stderr: [] });
    } finally {
      await server.stop();
    }
  });
});
