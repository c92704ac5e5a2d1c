import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** Where a command writes: `process.stdout`/`process.stderr`, or a test's collector. */
export interface CliOutput {
  write(chunk: string): unknown;
}

/** What a CLI run reads and writes; every member defaults to the current process. */
export interface CliContext {
  /** Environment variables (default `process.env`); they win over `.env`, as in the example app. */
  env?: Readonly<Record<string, string | undefined>>;
  stdout?: CliOutput;
  stderr?: CliOutput;
  /** Directory whose `.env` is read (default `process.cwd()`). */
  cwd?: string;
}

/** A `CliContext` with every default applied. */
export interface ResolvedCliContext {
  env: Readonly<Record<string, string | undefined>>;
  stdout: CliOutput;
  stderr: CliOutput;
  cwd: string;
}

export function resolveContext(context: CliContext = {}): ResolvedCliContext {
  return {
    env: context.env ?? process.env,
    stdout: context.stdout ?? process.stdout,
    stderr: context.stderr ?? process.stderr,
    cwd: context.cwd ?? process.cwd(),
  };
}

/**
 * The environment the application would see: `.env` in `cwd` (when present), overridden by the
 * variables already set — the order the example app (`examples/basic/main.ts`, `process.loadEnvFile`) and `ConfigModule` use.
 */
export function loadEnv(context: ResolvedCliContext): Record<string, string | undefined> {
  const file = join(context.cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [key, value] of Object.entries(context.env)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Thrown by a command for a usage error (exit code 2); the message is printed with the usage. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
