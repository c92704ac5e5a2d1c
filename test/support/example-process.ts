import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES_BUILD, SYSTEM_NODE } from './compiled.js';

/**
 * The compiled example (`node .build/examples/basic/main.js`) as a real process on the machine's
 * Node, from an empty directory (no .env), with exactly `env` (and PATH): for what only a process
 * shows (its exit code, its answer to a signal).
 */
export class ExampleProcess {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    const cwd = mkdtempSync(join(tmpdir(), 'oauth-mcp-'));
    this.child = spawn(SYSTEM_NODE, [join(EXAMPLES_BUILD, 'basic/main.js')], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        rmSync(cwd, { recursive: true, force: true });
        resolve(code);
      }),
    );
  }

  /** Resolves once the output matches; rejects when the process exits first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!pattern.test(this.output)) {
      if (exited) throw new Error(`the example exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    await this.exited;
  }
}
