import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintTestToken } from '../../src/testing/index.js';
import { ROOT, SYSTEM_NODE } from '../support/compiled.js';
import { freePort } from '../support/free-port.js';

/**
 * The package as an adopter gets it (issue 10): `npm pack`, installed into scratch Nest 12 apps from the
 * npm registry, compiled with TypeScript against the installed declarations and run on the machine's
 * own Node (20.19+, what `engines` promises).
 * - ESM app (hoisted install, latest Nest 12): its main.ts is the README's quick start, verbatim, type-checked
 *   with the package's declarations (skipLibCheck off); also measures what the package adds to a production install.
 * - CommonJS app (linked install, as pnpm lays it out, with the oldest peers in range): loads the ES
 *   module package through require(esm); one copy of Nest.
 */
const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const NPM = process.env.npm_execpath;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const NEST_APP = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs', 'class-validator', 'class-transformer'];
const OLDEST_PEERS = [
  '@nestjs/common@12.0.1',
  '@nestjs/core@12.0.1',
  '@nestjs/platform-express@12.0.1',
  'reflect-metadata@0.2.0',
  'rxjs@7.8.0',
  'class-validator@0.14.0',
  'class-transformer',
];
const APP_EXTRAS = ['@modelcontextprotocol/sdk@^1', '@types/express@^5', '@types/node'];

function npm(cwd: string, args: string[]): string {
  const [cmd, pre] = NPM && NPM.endsWith('.js') ? [SYSTEM_NODE, [NPM]] : ['npm', []];
  return execFileSync(cmd, [...pre, ...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

/** Packages and bytes of a production install (the root itself excluded). */
function footprint(cwd: string): { packages: number; bytes: number } {
  const listed = npm(cwd, ['ls', '--all', '--omit=dev', '--parseable']).trim().split('\n').slice(1);
  const unique = new Set(listed);
  const bytes = Number(execFileSync('du', ['-sb', join(cwd, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
  return { packages: unique.size, bytes };
}

function readmeQuickStart(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README has no quick start TypeScript block');
  return block[1];
}

/** `skipLibCheck: false` checks our published declarations too; Nest 12.0.1's own need it on (they name a package it does not install). */
function tsconfig(dir: string, skipLibCheck: boolean, include = ['main.ts']): void {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck,
        types: ['node'],
        outDir: 'out',
      },
      include,
    }),
  );
}

function compile(dir: string): void {
  try {
    execFileSync(SYSTEM_NODE, [TSC, '-p', dir], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`tsc failed in ${dir}:\n${(err as { stdout?: string }).stdout ?? ''}`);
  }
}

interface Running {
  base: string;
  output: () => string;
  stop(): Promise<void>;
}

async function run(dir: string): Promise<Running> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(SYSTEM_NODE, [join(dir, 'out/main.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      // No MCP_URL: the advertised default (MCP_HOST:MCP_PORT) must be where the app listens.
      MCP_PORT: String(port),
      OAUTH_PROVIDER: 'hmac',
      JWT_SECRET: SECRET,
      OIDC_AUDIENCE: `${base}/mcp`,
      OAUTH_SCOPES: 'mcp:read mcp:admin',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(`${base}/mcp`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    base,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const toolCall = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });

async function expectGuardedMcp(app: Running): Promise<void> {
  const anonymous = await fetch(`${app.base}/mcp`, { method: 'POST' });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe(
    `Bearer resource_metadata="${app.base}/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:admin", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
  );
  expect((await fetch(`${app.base}/.well-known/oauth-protected-resource/mcp`)).status).toBe(200);
  const call = async (scope: string, tool: string) =>
    fetch(`${app.base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await mintTestToken({ secret: SECRET, sub: 'ada', aud: `${app.base}/mcp`, scope })}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: toolCall(tool),
    });
  expect((await call('mcp:read', 'deploy')).status).toBe(403);
  const deployed = await call('mcp:read mcp:admin', 'deploy');
  expect({ status: deployed.status, text: ((await deployed.json()) as any).result?.content?.[0]?.text }).toEqual({ status: 200, text: 'deployed' });
}

describe('the packed package in scratch Nest 12 applications', () => {
  let work: string;
  let tarball: string;
  const figures: Record<string, unknown> = {};

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'oauth-mcp-consumer-'));
    // --ignore-scripts: the run's global setup built dist/ already, and prepack's rebuild would delete it under
    // the other workers' feet. That prepack builds is checked below.
    const packed = JSON.parse(npm(ROOT, ['pack', '--ignore-scripts', '--json', '--pack-destination', work]))[0] as { filename: string };
    tarball = join(work, packed.filename);
  }, 120_000);
  afterAll(() => {
    if (Object.keys(figures).length > 0) process.stdout.write(`consumer figures: ${JSON.stringify(figures)}\n`);
    rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the compiled library, its declarations, README, LICENSE and SECURITY.md: no test, bench, example, source or map', () => {
    const files = (JSON.parse(npm(ROOT, ['pack', '--ignore-scripts', '--dry-run', '--json']))[0] as { files: { path: string }[] }).files.map((f) => f.path);
    const stray = files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f) && !['README.md', 'LICENSE', 'SECURITY.md', 'package.json'].includes(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => /\.spec\.|examples?\/|^dist\/(main|example)/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/testing/index.js', 'dist/health/index.js']));
    // dist/ is not in git: `npm pack` and `npm publish` on a fresh clone build it first.
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prepack).toBe('npm run build');
  });

  it('ESM app: the README quick start compiles as-is and runs, options are typed per mode; a native-mode install adds at most 32 packages and 15 MB', async () => {
    const dir = join(work, 'esm');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'esm-consumer', private: true, type: 'module' }));
    npm(dir, ['install', ...NEST_APP]);
    const bare = footprint(dir);
    npm(dir, ['install', tarball]);
    const withLibrary = footprint(dir);
    figures.footprint = { packages: withLibrary.packages - bare.packages, megabytes: +((withLibrary.bytes - bare.bytes) / 1e6).toFixed(1) };

    npm(dir, ['install', ...APP_EXTRAS]);
    writeFileSync(join(dir, 'main.ts'), readmeQuickStart());
    // And the options' per-mode types, as an app sees them (issue 10: the compiler says which fields belong to which mode).
    copyFileSync(join(ROOT, 'test/consumer/apps/options-per-mode.ts'), join(dir, 'options-per-mode.ts'));
    tsconfig(dir, false, ['main.ts', 'options-per-mode.ts']);
    compile(dir);
    const app = await run(dir);
    try {
      await expectGuardedMcp(app);
    } finally {
      await app.stop();
    }
    // REDIS_URL without the optional peer ioredis: a startup refusal that says what to install.
    const noRedis = spawnSync(SYSTEM_NODE, [join(dir, 'out/main.js')], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? '',
        OAUTH_PROVIDER: 'hmac',
        JWT_SECRET: SECRET,
        OIDC_AUDIENCE: 'http://127.0.0.1:1/mcp',
        MCP_PORT: '1',
        REDIS_URL: 'redis://127.0.0.1:1',
      },
    });
    expect(noRedis.status).not.toBe(0);
    expect(noRedis.stderr + noRedis.stdout).toContain('needs the optional peer ioredis (npm install ioredis)');
    // Issue 10 asked for at most 30 packages; the floor is 32: the design card's libraries alone bring 31
    // (passport 3, passport-jwt + jsonwebtoken 16, jwks-rsa 4 with its runtime @types/* 10, @nestjs/passport,
    // @nestjs/throttler) plus this package. The bound keeps it from growing; 15 MB is met with room.
    expect(withLibrary.packages - bare.packages).toBeLessThanOrEqual(32);
    expect(withLibrary.bytes - bare.bytes).toBeLessThanOrEqual(15e6);
  }, 300_000);

  it('CommonJS app, linked install (pnpm layout), oldest peers in range: require(esm) loads it, one copy of Nest, guarded tool call', async () => {
    const dir = join(work, 'cjs');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cjs-consumer', private: true }));
    npm(dir, ['install', '--install-strategy=linked', ...OLDEST_PEERS, tarball, ...APP_EXTRAS]);
    // One @nestjs/common, whoever resolves it: the app, the library, and the library's @nestjs/passport.
    const script = `
      const { createRequire } = require('node:module'); const fs = require('node:fs');
      const real = (p) => fs.realpathSync(p);
      const lib = real(require.resolve('nestjs-oauth-mcp/package.json'));
      const passport = real(createRequire(lib).resolve('@nestjs/passport'));
      console.log(JSON.stringify([real(require.resolve('@nestjs/common')), real(createRequire(lib).resolve('@nestjs/common')), real(createRequire(passport).resolve('@nestjs/common'))]));`;
    const copies = JSON.parse(execFileSync(SYSTEM_NODE, ['-e', script], { cwd: dir, encoding: 'utf8' })) as string[];
    expect(new Set(copies).size).toBe(1);
    expect(copies[0]).toContain('@nestjs/common@12.0.1');
    figures.oldestNest = '12.0.1';

    copyFileSync(join(ROOT, 'test/consumer/apps/cjs-main.ts'), join(dir, 'main.ts'));
    tsconfig(dir, true);
    compile(dir);
    expect(readFileSync(join(dir, 'out/main.js'), 'utf8')).toMatch(/require\("nestjs-oauth-mcp"\)/);
    const running = await run(dir);
    try {
      await expectGuardedMcp(running);
    } finally {
      await running.stop();
    }
  }, 300_000);
});
