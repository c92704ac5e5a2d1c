import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run-cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** An empty directory, so no developer `.env` leaks into a test. */
export function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'oauth-mcp-cli-'));
}

/** Runs the CLI in-process with exactly `env` (no process.env) and collects both streams. */
export async function cli(argv: string[], env: Record<string, string | undefined> = {}, cwd = emptyDir()): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}
