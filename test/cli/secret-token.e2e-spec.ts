import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { checkSecret } from '../../src/config/secret-rules.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { cli, emptyDir } from './cli-io.js';

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const SHORT_SECRET = 'Zq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0B'; // 31 bytes

describe('CLI: secret', () => {
  it('prints a fresh 32-byte base64 secret that passes the startup rules, alone on stdout', async () => {
    const a = await cli(['secret']);
    const b = await cli(['secret']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(a.stdout.trim(), 'base64')).toHaveLength(32);
    expect(checkSecret(a.stdout.trim())).toBeUndefined();
    expect(b.stdout).not.toBe(a.stdout);
  });

  it('refuses arguments it does not know (exit 2, usage on stderr)', async () => {
    const run = await cli(['secret', '--length', '16']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: nestjs-oauth-mcp secret');
  });
});

describe('CLI: token', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({ provider: 'hmac', jwtSecret: SECRET, audience: 'api://mcp', serverUrl: 'http://localhost:3000' });
    url = await appUrl(app);
  });
  afterAll(() => app.close());

  it('mints an HS256 token with JWT_SECRET that the hmac provider accepts', async () => {
    const run = await cli(['token', '--sub', 'alice', '--scope', 'mcp:read mcp:write', '--aud', 'api://mcp', '--ttl', '15m'], { JWT_SECRET: SECRET });
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(run.stdout.split('\n')).toHaveLength(2);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { audience: 'api://mcp' });
    expect(payload).toMatchObject({ sub: 'alice', scope: 'mcp:read mcp:write' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(run.stderr).toContain('HS256 token: sub=alice aud=api://mcp scope="mcp:read mcp:write"');
    expect(run.stderr).not.toContain(SECRET);

    const res = await fetch(`${url}/protected`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: unknown }).user).toMatchObject({ sub: 'alice', scopes: ['mcp:read', 'mcp:write'], provider: 'hmac' });
  });

  it('a comma-separated --scope mints what was asked (one scope) and warns, showing the space-separated form', async () => {
    const run = await cli(['token', '--sub', 'alice', '--scope', 'mcp:read,mcp:write', '--aud', 'api://mcp'], { JWT_SECRET: SECRET });
    expect(run.code).toBe(0);
    expect((await jwtVerify(run.stdout.trim(), new TextEncoder().encode(SECRET), { audience: 'api://mcp' })).payload.scope).toBe('mcp:read,mcp:write');
    expect(run.stderr).toContain('token: warning: Scopes are separated by spaces: "mcp:read,mcp:write" is one scope with a comma in its name');
    expect(run.stderr).toContain('--scope "mcp:read mcp:write"');
    const spaced = await cli(['token', '--sub', 'alice', '--scope', 'mcp:read mcp:write', '--aud', 'api://mcp'], { JWT_SECRET: SECRET });
    expect(spaced.stderr).not.toContain('warning');
  });

  it('reads JWT_SECRET, OIDC_AUDIENCE and OIDC_ISSUER from .env; the environment wins', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), `JWT_SECRET=${SHORT_SECRET}\nOIDC_AUDIENCE=api://from-dotenv\nOIDC_ISSUER=https://issuer.example\n`);
    const refused = await cli(['token', '--sub', 'bob'], {}, dir);
    expect(refused.code).toBe(1);
    const run = await cli(['token', '--sub', 'bob', '--scope', 'a', '--scope', 'b'], { JWT_SECRET: SECRET }, dir);
    expect(run.code).toBe(0);
    const { payload } = await jwtVerify(run.stdout.trim(), new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({ sub: 'bob', aud: 'api://from-dotenv', iss: 'https://issuer.example', scope: 'a b' });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('refuses with NODE_ENV=production, before anything else', async () => {
    const run = await cli(['token', '--sub', 'alice', '--aud', 'api://mcp'], { JWT_SECRET: SECRET, NODE_ENV: 'production' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('refused because NODE_ENV=production');
  });

  it('N131 refuses a weak JWT_SECRET with the startup rule, never printing it', async () => {
    for (const [secret, text] of [
      [SHORT_SECRET, 'must be at least 32 bytes'],
      ['changeme-changeme-changeme-changeme', 'looks like a placeholder'],
      ['a'.repeat(40), 'is not random enough'],
    ]) {
      const run = await cli(['token', '--sub', 'alice', '--aud', 'api://mcp'], { JWT_SECRET: secret });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`token: refused: JWT_SECRET ${text}`);
      expect(run.stderr).not.toContain(secret);
    }
    const missing = await cli(['token', '--sub', 'alice', '--aud', 'api://mcp'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('JWT_SECRET is not set');
  });

  it('usage errors exit 2: no --sub, no audience, bad --ttl, unknown option, unknown command', async () => {
    expect((await cli(['token', '--aud', 'x'], { JWT_SECRET: SECRET })).stderr).toContain('--sub is required');
    expect((await cli(['token', '--sub', 'a'], { JWT_SECRET: SECRET })).stderr).toContain('--aud is required');
    for (const ttl of ['0', '1w', '-5m', '31d', 'soon']) {
      const run = await cli(['token', '--sub', 'a', '--aud', 'x', `--ttl=${ttl}`], { JWT_SECRET: SECRET });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--ttl must be a duration');
    }
    expect((await cli(['token', '--sub', 'a', '--aud', 'x', '--secret', 'y'], { JWT_SECRET: SECRET })).code).toBe(2);
    const unknown = await cli(['mint']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "mint"');
    expect((await cli([])).code).toBe(2);
    const help = await cli(['token', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: nestjs-oauth-mcp token');
  });
});
