import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import autocannon from 'autocannon';
import type { ServerSpec } from './server.js';

/** A server under test in its own process. */
export class ServerProcess {
  port = 0;
  /** A Nest bench server (it has `/guarded-noop`, `/guarded-bare`). */
  hasNoopRoute = false;
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
    server.hasNoopRoute = spec.kind === 'nest';
    return server;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Total CPU time (user + system) the server process has used, µs. */
  async cpuMicros(): Promise<number> {
    return (await this.cpu()).micros;
  }

  /** CPU time of the whole process and of its main thread (when Node reports it), µs. */
  cpu(): Promise<{ micros: number; mainMicros?: number }> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; micros: number; mainMicros?: number }) => {
        if (m.type !== 'cpu') return;
        this.child.off('message', onMessage);
        resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send('cpu');
    });
  }

  /** Starts a CPU profile of the server (inspector), for one phase of a case. */
  profileStart(): Promise<void> {
    return this.request('profile-start', 'profile-started');
  }

  /** Stops the profile and writes it to `file` (.cpuprofile). */
  profileStop(file: string): Promise<void> {
    return this.request(`profile-stop:${file}`, 'profile-stopped');
  }

  private request(message: string, answer: string): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== answer) return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.send(message);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send('stop');
    });
  }
}

/** Where each request's token comes from. */
export interface TokenSource {
  next(): string;
  /** Tokens not handed out yet (Infinity for a cycling source). */
  remaining(): number;
}

/** Cycles through a list forever (unguarded runs, floods: nothing is cached there). */
export function cycle(tokens: readonly string[]): TokenSource {
  let i = 0;
  return { next: () => tokens[i++ % tokens.length], remaining: () => Infinity };
}

/** A run needed more distinct tokens than it was given; its result is void. */
export class TokensExhausted extends Error {}

/**
 * Hands out each token once, across runs; `add` tops it up. Handing out more than there are is a
 * bug in the sizing (a reused token would be a cache hit in a cold run), so it throws.
 */
export class OnceSource implements TokenSource {
  private i = 0;
  constructor(private tokens: string[]) {}
  next(): string {
    if (this.i >= this.tokens.length) throw new TokensExhausted(`token list exhausted after ${this.i} tokens`);
    return this.tokens[this.i++];
  }
  remaining(): number {
    return this.tokens.length - this.i;
  }
  add(more: string[]): void {
    this.tokens = this.tokens.slice(this.i).concat(more);
    this.i = 0;
  }
}

export interface LoadOptions {
  url: string;
  /** One token for every request (static request buffer). */
  token?: string;
  /** A token per request. */
  tokens?: TokenSource;
  /** `Authorization: DPoP <token>` with a fresh proof per request (each handed out once). */
  dpop?: { token: string; proofs: TokenSource };
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Send exactly this many requests. */
  amount?: number;
  connections?: number;
}

export interface LoadResult {
  reqPerSec: number;
  requests: number;
  seconds: number;
  statusCodes: Record<string, number>;
  errors: number;
  /** Server CPU time (all threads) during the run, µs. */
  serverCpuMicros?: number;
  /** Server CPU use during the run, percent of one core. */
  serverCpu?: number;
  /** Server CPU time per response, µs. */
  serverMicrosPerReq?: number;
  /** Server main-thread CPU time during the run, µs (the request path; GC and JIT helper threads excluded). */
  serverMainMicros?: number;
  /** Server main-thread CPU time per response, µs. */
  serverMainMicrosPerReq?: number;
  /** Rate of each slice (for `alternate`). */
  sliceRates?: number[];
}

/**
 * One autocannon run. Throughput is responses / (last response − start), measured here rather than
 * from autocannon's 1-second samples so short runs are not padded by the sampling tick.
 */
export async function runLoad(options: LoadOptions, server?: ServerProcess): Promise<LoadResult> {
  const connections = options.connections ?? 10;
  const source = options.dpop?.proofs ?? options.tokens;
  let sourceError: Error | undefined;
  let stop: (() => void) | undefined;
  const dpopToken = options.dpop?.token;
  const requests = source
    ? [
        {
          setupRequest: (req: { headers?: Record<string, string> }) => {
            let value: string;
            try {
              value = source.next();
            } catch (err) {
              sourceError ??= err as Error;
              stop?.();
              value = 'exhausted';
            }
            req.headers = dpopToken === undefined ? { authorization: `Bearer ${value}` } : { authorization: `DPoP ${dpopToken}`, dpop: value };
            return req;
          },
        },
      ]
    : undefined;
  const cpuBefore = server ? await server.cpu() : { micros: 0 };
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
    stop = () => instance.stop();
    instance.on('start', () => {
      start = performance.now();
    });
    instance.on('response', () => {
      count++;
      last = performance.now();
    });
  });
  if (sourceError) throw sourceError;
  const seconds = (last - start) / 1000;
  const cpuAfter = server ? await server.cpu() : { micros: 0 };
  const mainMicros = cpuAfter.mainMicros !== undefined && cpuBefore.mainMicros !== undefined ? cpuAfter.mainMicros - cpuBefore.mainMicros : undefined;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
  return {
    reqPerSec: count / seconds,
    requests: count,
    seconds,
    statusCodes,
    errors: result.errors,
    serverCpuMicros: server ? cpuAfter.micros - cpuBefore.micros : undefined,
    serverCpu: server ? ((cpuAfter.micros - cpuBefore.micros) / 1000 / (seconds * 1000)) * 100 : undefined,
    serverMicrosPerReq: server ? (cpuAfter.micros - cpuBefore.micros) / count : undefined,
    serverMainMicros: mainMicros,
    serverMainMicrosPerReq: mainMicros === undefined ? undefined : mainMicros / count,
  };
}

/** Sums runs into one: rate = all responses / all measured time. */
export function combine(runs: LoadResult[]): LoadResult {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const cpu = runs.reduce((a, r) => a + (r.serverCpuMicros ?? 0), 0);
  const main = runs.every((r) => r.serverMainMicros !== undefined) ? runs.reduce((a, r) => a + r.serverMainMicros!, 0) : undefined;
  const statusCodes: Record<string, number> = {};
  for (const r of runs) for (const [c, n] of Object.entries(r.statusCodes)) statusCodes[c] = (statusCodes[c] ?? 0) + n;
  return {
    reqPerSec: requests / seconds,
    requests,
    seconds,
    statusCodes,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    serverCpuMicros: cpu,
    serverCpu: (cpu / 1000 / (seconds * 1000)) * 100,
    serverMicrosPerReq: cpu / requests,
    serverMainMicros: main,
    serverMainMicrosPerReq: main === undefined ? undefined : main / requests,
    sliceRates: runs.map((r) => r.reqPerSec),
  };
}

export interface Side {
  url: string;
  token?: string;
  tokens?: TokenSource;
  dpop?: LoadOptions['dpop'];
}

/**
 * Measures two routes of the same server for `seconds` each, in alternating slices of
 * `sliceSeconds` in A B B A order, so a noisy neighbour or thermal drift weighs on both sides alike.
 * `beforeSlice` runs outside the measured time (e.g. to top up a cold token list).
 */
export async function alternate(
  server: ServerProcess,
  a: Side,
  b: Side,
  seconds: number,
  sliceSeconds: number,
  beforeSlice?: (side: 'a' | 'b', sliceSeconds: number, retry: boolean) => Promise<void>,
): Promise<{ a: LoadResult; b: LoadResult }> {
  const slices = Math.max(1, Math.round(seconds / sliceSeconds));
  const runs: { a: LoadResult[]; b: LoadResult[] } = { a: [], b: [] };
  for (let i = 0; i < 2 * slices; i++) {
    const side: 'a' | 'b' = [0, 3].includes(i % 4) ? 'a' : 'b';
    const spec = side === 'a' ? a : b;
    for (let attempt = 0; ; attempt++) {
      await beforeSlice?.(side, sliceSeconds, attempt > 0);
      try {
        runs[side].push(await runLoad({ url: spec.url, token: spec.token, tokens: spec.tokens, dpop: spec.dpop, duration: sliceSeconds }, server));
        break;
      } catch (err) {
        // Out of fresh tokens mid-slice (the server got faster): discard the slice, top up, redo it.
        if (!(err instanceof TokensExhausted) || attempt >= 2) throw err;
      }
    }
  }
  return { a: combine(runs.a), b: combine(runs.b) };
}

/** Above this coefficient of variation of its slices, a run says the machine was busy. */
export const NOISE_LIMIT = 0.1;

/**
 * Above this 1-minute load average the machine is busy whatever the slices say: the benchmark itself
 * keeps about two processes running (load generator and server), one per core here.
 */
export const LOAD_LIMIT = os.cpus().length + 1;

/**
 * `met` for an in-process target judged on block quartiles: met when it holds even at the unfavourable
 * quartile, missed when it fails even at the favourable one; in between, the blocks disagree (noisy).
 */
export function judgedByQuartiles(holdsAtWorse: boolean, holdsAtBetter: boolean): { met: boolean; noisy?: true } {
  if (os.loadavg()[0] > LOAD_LIMIT) return { met: false, noisy: true };
  if (holdsAtWorse) return { met: true };
  return holdsAtBetter ? { met: false, noisy: true } : { met: false };
}

/** `met` for a target: held, on a run quiet enough to say so (a noisy run is reported, never met). */
export function judged(ok: boolean, noise: number): { met: boolean; noisy?: true } {
  return noise > NOISE_LIMIT || os.loadavg()[0] > LOAD_LIMIT ? { met: false, noisy: true } : { met: ok };
}
