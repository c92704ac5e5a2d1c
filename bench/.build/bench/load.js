import { fork } from 'node:child_process';
import autocannon from 'autocannon';
/** A server under test in its own process. */
export class ServerProcess {
    child;
    port = 0;
    constructor(child) {
        this.child = child;
    }
    static async start(spec, label) {
        const execArgv = process.env.BENCH_CPU_PROF
            ? ['--cpu-prof', `--cpu-prof-dir=${new URL('../prof/', import.meta.url).pathname}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`]
            : [];
        const child = fork(new URL('./server.js', import.meta.url), [JSON.stringify(spec)], { execArgv, stdio: 'inherit' });
        const server = new ServerProcess(child);
        server.port = await new Promise((resolve, reject) => {
            child.once('error', reject);
            child.once('exit', (code) => reject(new Error(`server ${label} exited (${code}) before it was ready`)));
            child.once('message', (m) => resolve(m.port));
        });
        child.removeAllListeners('exit');
        return server;
    }
    url(path) {
        return `http://127.0.0.1:${this.port}${path}`;
    }
    /** Total CPU time (user + system) the server process has used, µs. */
    cpuMicros() {
        return new Promise((resolve) => {
            const onMessage = (m) => {
                if (m.type !== 'cpu')
                    return;
                this.child.off('message', onMessage);
                resolve(m.micros);
            };
            this.child.on('message', onMessage);
            this.child.send('cpu');
        });
    }
    async stop() {
        await new Promise((resolve) => {
            this.child.once('exit', () => resolve());
            this.child.send('stop');
        });
    }
}
/**
 * One autocannon run. Throughput is responses / (last response − start), measured here rather than
 * from autocannon's 1-second samples so short `amount` runs are not padded by the sampling tick.
 */
export async function runLoad(options, server) {
    const connections = options.connections ?? 10;
    let next = 0;
    const tokens = options.tokens;
    const requests = tokens
        ? [
            {
                setupRequest: (req) => {
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
    const result = await new Promise((resolve, reject) => {
        const instance = autocannon({
            url: options.url,
            connections,
            pipelining: 1,
            duration: options.duration ?? 5,
            amount: options.amount,
            timeout: 30,
            sampleInt: 100,
            headers: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
            requests: requests,
        }, (err, res) => (err ? reject(err) : resolve(res)));
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
    const statusCodes = {};
    for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
        statusCodes[code] = stat.count;
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
