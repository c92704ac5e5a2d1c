import { type ChildProcess, spawn } from 'node:child_process';
import { RedisStore } from '../../src/store/redis.store.js';
import { freePort } from './free-port.js';

/**
 * A real redis-server (Debian's) on a loopback port, owned by the test so it can be stopped and
 * started again mid-run. No persistence: a restart starts empty.
 */
export class RedisServer {
  private child?: ChildProcess;
  private readonly stores: RedisStore[] = [];
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
    return this;
  }

  /** A connected RedisStore on this server (one per replica), closed by `stop()`. */
  async store(keyPrefix: string): Promise<RedisStore> {
    const store = await new RedisStore({ url: this.url, keyPrefix }).connect();
    this.stores.push(store);
    return store;
  }

  /** Closes the stores `store()` opened, then kills the server. */
  async stop(): Promise<void> {
    await Promise.all(this.stores.splice(0).map((s) => s.close()));
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
