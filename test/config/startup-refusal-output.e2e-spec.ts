import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DIST, ROOT, SYSTEM_NODE } from '../support/compiled.js';

/**
 * What an application that follows the README sees when its settings are refused: Nest's exception
 * handler prints the OAuthMcpConfigError, and it must be the problems, once (from a user trial, where a
 * stack through Nest's injector and a `problems` dump followed them).
 */
describe('a refused configuration, as an application prints it', () => {
  it('lists the problems once: no stack trace through the injector, no problems dump, a failing exit', async () => {
    const script = `
      import 'reflect-metadata';
      import { Module } from '@nestjs/common';
      import { NestFactory } from '@nestjs/core';
      const { OAuthMcpModule, oauthMcpOptionsFromEnv } = await import(${JSON.stringify(join(DIST, 'index.js'))});
      class AppModule {}
      Module({ imports: [OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv({ OIDC_AUDIENCE: 'api://mcp' }))] })(AppModule);
      await NestFactory.create(AppModule);`;
    const child = spawn(SYSTEM_NODE, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code).not.toBe(0);
    expect(output).toContain(
      'OAuthMcpConfigError: nestjs-oauth-mcp refused to start: 1 configuration problem(s):\n  - provider (OAUTH_PROVIDER) must be one of',
    );
    expect(output).not.toMatch(/\n\s+at .*injector/);
    expect(output).not.toContain('problems: [');
  });
});
