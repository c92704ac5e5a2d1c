import { fork, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import type { ServerSpec } from './server.js';

/** A server under test in its own process. */
export class ServerProcess {
  port = 0;
  private constructor(private readonly child: ChildProcess) {}

  static async start(spec: ServerSpec, label: string): Promise<ServerProcess> {
    const execArgv = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${new URL('../prof/', import.meta.url).pathname}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`]
      : [];
    const child = fork(new URL('./server.js', import.meta.url), [JSON.stringify(spec)], { execArgv, stdio: 'inherit' });
    const server = new ServerProcess(child);
    server.port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`server ${label} exited (${code}) before it was ready`)));
      child.once('message', (m: { type: string; port: number }) => resolve(m.port));
    });
    child.removeAllListeners('exit');
    return server;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Total CPU time (user + system) the server process has used, µs. */
  cpuMicros(): Promise<number> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; micros: number }) => {
        if (m.type !== 'cpu') return;
        this.child.off('message', onMessage);
        resolve(m.micros);
      };
      this.child.on('message', onMessage);
      this.child.send('cpu');
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send('stop');
    });
  }
}

export interface LoadOptions {
  url: string;
  /** One token for every request (static request buffer). */
  token?: string;
  /** Token per request: the next one from the list (cycling when `amount` is not set). */
  tokens?: readonly string[];
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Send exactly this many requests (one token each, no reuse). */
  amount?: number;
  connections?: number;
}

export interface LoadResult {
  reqPerSec: number;
  requests: number;
  seconds: number;
  statusCodes: Record<string, number>;
  errors: number;
  /** Server CPU use during the run, percent of one core. */
  serverCpu?: number;
}

/**
 * One autocannon run. Throughput is responses / (last response − start), measured here rather than
 * from autocannon's 1-second samples so short `amount` runs are not padded by the sampling tick.
 */
export async function runLoad(options: LoadOptions, server?: ServerProcess): Promise<LoadResult> {
  const connections = options.connections ?? 10;
  let next = 0;
  const tokens = options.tokens;
  const requests = tokens
    ? [
        {
          setupRequest: (req: { headers?: Record<string, string> }) => {
            const token = tokens[next++ % tokens.length];
            req.headers = { authorization: `Bearer ${token}` };
            return req;
          },
        },
      ]
    : undefined;
  const cpuBefore = server ? await server.cpuMicros() : 0;
  let count = 0;
  let start = 0;
  let last = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections,
        pipelining: 1,
        duration: options.duration ?? 5,
        amount: options.amount,
        timeout: 30,
        sampleInt: 100,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
        requests: requests as never,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('start', () => {
      start = performance.now();
    });
    instance.on('response', () => {
      count++;
      last = performance.now();
    });
  });
  const seconds = (last - start) / 1000;
  const cpuAfter = server ? await server.cpuMicros() : 0;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
  if (tokens && options.amount !== undefined && next > tokens.length) {
    throw new Error(`token list exhausted (${next} requests built for ${tokens.length} tokens)`);
  }
  return {
    reqPerSec: count / seconds,
    requests: count,
    seconds,
    statusCodes,
    errors: result.errors,
    serverCpu: server ? ((cpuAfter - cpuBefore) / 1000 / (seconds * 1000)) * 100 : undefined,
  };
}
