import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Builds the library (dist/) and the example apps (.build/examples/) once per run, for the specs that
 * start compiled processes (startup refusals, the CLI, the consumer install test).
 */
export default function buildOnce(): void {
  const root = resolve(import.meta.dirname, '../..');
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const [project, out] of [
    ['tsconfig.build.json', 'dist'],
    ['examples/tsconfig.json', '.build/examples'],
  ]) {
    rmSync(join(root, out), { recursive: true, force: true });
    execFileSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit' });
  }
}
