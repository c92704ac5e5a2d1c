/**
 * Item 7: proxy mode (this server is the authorization server in front of the embedded dev IdP).
 *
 * - Token endpoint throughput: `authorization_code` and `refresh_token` grants per second, with the
 *   MemoryStore and with Redis (a spawned `redis-server`). Codes are prepared by real flows before the
 *   timed window (each is single-use, 60 s TTL); the refresh families are the ones those codes opened,
 *   and each request carries the current refresh token of its own family. A concurrent loop of
 *   `CONNECTIONS` workers (keep-alive) sends the requests; throughput = responses / elapsed time.
 * - Round trip authorize → consent → dev IdP login → callback → token, one browser at a time with fresh
 *   cookies: total latency, the dev IdP's own time (the browser's IdP legs timed on the client, plus the
 *   server's back-channel calls timed inside the IdP via the `http.server.*` diagnostics channels), and
 *   the difference, the time added by the module.
 *
 * The dev IdP runs in the bench process (the only HTTP server in it at that point); the module runs in
 * its own process (server.ts, `nest-proxy`), with rate limits off.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { startDevIdp } from '../src/dev-idp/dev-idp.js';
import { freePort } from '../src/testing/sign-in.js';
import { ServerProcess } from './load.js';

const CONNECTIONS = 10;
/** Codes redeemed in the timed window (after `WARM_CODES` untimed ones); prepared just before, well within the 60 s code TTL. */
const TIMED_CODES = Number(process.env.BENCH_PROXY_CODES ?? 500);
const WARM_CODES = 100;
/** Parallel browsers preparing codes. */
const PREP_CONCURRENCY = 8;
const REFRESH_SECONDS = Number(process.env.BENCH_PROXY_REFRESH_SECONDS ?? 3);
const REFRESH_WARMUP_SECONDS = 1;
const ROUNDTRIPS = Number(process.env.BENCH_PROXY_ROUNDTRIPS ?? 200);
const ROUNDTRIP_WARMUP = 10;
const REDIRECT = 'http://127.0.0.1:52000/callback';
const SCOPES = ['mcp:read', 'mcp:write'];
const BROWSER_HEADER = 'x-bench-browser';

export interface ProxyCaseResult {
  name: string;
  [key: string]: unknown;
}

// ---- IdP-side timing of requests that do not come from the bench browser (the module's back channel) ----

const started = new WeakMap<IncomingMessage, number>();
let backChannelMs = 0;
let backChannelRequests = 0;
const onStart = (message: unknown) => {
  const { request } = message as { request: IncomingMessage };
  started.set(request, performance.now());
};
const onFinish = (message: unknown) => {
  const { request } = message as { request: IncomingMessage };
  const t = started.get(request);
  if (t === undefined || request.headers[BROWSER_HEADER]) return;
  backChannelMs += performance.now() - t;
  backChannelRequests++;
};

// ---- A browser: one cookie jar per origin, plain HTTP, redirects by hand ----

class Browser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Client-observed time of requests to the IdP origin, ms. */
  idpMs = 0;

  constructor(private readonly idpOrigin: string) {}

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    const headers: Record<string, string> = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), [BROWSER_HEADER]: '1' };
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const t = performance.now();
    const res = await fetch(url, { method: init.method ?? 'GET', redirect: 'manual', headers, body: init.form ? new URLSearchParams(init.form) : undefined });
    const body = await res.text();
    if (origin === this.idpOrigin) this.idpMs += performance.now() - t;
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (/max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return Object.assign(res, { bodyText: body }) as Response & { bodyText: string };
  }
}

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';

/** authorize → (consent) → dev IdP (login) → callback; returns our authorization code. */
async function flow(browser: Browser, base: string, clientId: string, challenge: string): Promise<string> {
  const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: `${base}/mcp`, scope: SCOPES.join(' ') });
  let res = (await browser.request(`${base}/oauth/authorize?${q}`)) as Response & { bodyText: string };
  if (res.status === 200) {
    res = (await browser.request(`${base}/oauth/consent`, {
      method: 'POST',
      form: { request_id: field(res.bodyText, 'request_id'), csrf_token: field(res.bodyText, 'csrf_token'), decision: 'approve' },
    })) as Response & { bodyText: string };
  }
  if (res.status !== 302 && res.status !== 303) throw new Error(`authorize/consent answered ${res.status}: ${res.bodyText.slice(0, 200)}`);
  let next = new URL(res.headers.get('location')!, base).href;
  for (let hop = 0; hop < 15; hop++) {
    if (new URL(next).origin === base) {
      const cb = await browser.request(next);
      if (cb.status !== 302) throw new Error(`callback answered ${cb.status}`);
      const code = new URL(cb.headers.get('location')!).searchParams.get('code');
      if (!code) throw new Error(`callback redirected without a code: ${cb.headers.get('location')}`);
      return code;
    }
    const r = (await browser.request(next)) as Response & { bodyText: string };
    if (r.status >= 300 && r.status < 400) {
      next = new URL(r.headers.get('location')!, next).href;
      continue;
    }
    const action = /<form method="post" action="([^"]+)">/.exec(r.bodyText)?.[1];
    if (!action) throw new Error(`dev IdP answered ${r.status}`);
    const post = await browser.request(new URL(action, next).href, { method: 'POST', form: { login: 'alice' } });
    next = new URL(post.headers.get('location')!, next).href;
  }
  throw new Error('too many redirects');
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
}

async function token(base: string, params: Record<string, string>): Promise<{ status: number; body: TokenResponse }> {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

/** Runs `task(i)` for i in [0, n) on `concurrency` workers. */
async function pool(n: number, concurrency: number, task: (i: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < n) await task(next++, worker);
    }),
  );
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

interface ProxyServer {
  server: ServerProcess;
  base: string;
  clientId: string;
  verifier: string;
  challenge: string;
  idpOrigin: string;
  close(): Promise<void>;
}

async function startProxyServer(redisUrl: string | undefined, label: string): Promise<ProxyServer> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const idp = await startDevIdp({ resource: `${base}/mcp`, scopes: SCOPES, port: 0, proxyCallbackUrl: `${base}/oauth/callback` });
  const server = await ServerProcess.start(
    {
      kind: 'nest-proxy',
      port,
      options: {
        mode: 'proxy',
        provider: 'oidc',
        issuer: idp.issuer,
        clientId: idp.proxyClient!.clientId,
        clientSecret: idp.proxyClient!.clientSecret,
        jwtSecret: randomBytes(32).toString('base64url'),
        serverUrl: base,
        scopes: SCOPES,
        rateLimits: false,
        ...(redisUrl ? { redisUrl, redisKeyPrefix: `bench-${Date.now()}:` } : {}),
      },
    },
    label,
  );
  const reg = await fetch(`${base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', client_name: 'bench' }),
  });
  if (reg.status !== 201) throw new Error(`registration failed: ${reg.status} ${await reg.text()}`);
  const clientId = ((await reg.json()) as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return {
    server,
    base,
    clientId,
    verifier,
    challenge,
    idpOrigin: new URL(idp.issuer).origin,
    close: async () => {
      await server.stop();
      await idp.close();
    },
  };
}

/** Token endpoint throughput for one store: `authorization_code`, then `refresh_token` on the families it opened. */
async function throughput(p: ProxyServer, store: string, log: (m: string) => void): Promise<ProxyCaseResult[]> {
  // Prepare codes: PREP_CONCURRENCY browsers that keep their cookies (consent remembered, IdP session).
  const total = WARM_CODES + TIMED_CODES;
  const codes: string[] = new Array(total);
  const browsers = Array.from({ length: PREP_CONCURRENCY }, () => new Browser(p.idpOrigin));
  const prepStart = performance.now();
  await pool(total, PREP_CONCURRENCY, async (i, w) => {
    codes[i] = await flow(browsers[w], p.base, p.clientId, p.challenge);
  });
  const prepSeconds = (performance.now() - prepStart) / 1000;
  log(`proxy-token-code-${store}: prepared ${total} codes by full flows in ${prepSeconds.toFixed(1)} s (outside the measured time)`);

  const refreshTokens: string[] = [];
  const statuses: Record<string, number> = {};
  const redeem = async (i: number) => {
    const r = await token(p.base, { grant_type: 'authorization_code', code: codes[i], code_verifier: p.verifier, redirect_uri: REDIRECT, client_id: p.clientId });
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 200) refreshTokens.push(r.body.refresh_token);
  };
  // Warm-up: the first WARM_CODES codes, untimed.
  await pool(WARM_CODES, CONNECTIONS, (i) => redeem(i));
  for (const k of Object.keys(statuses)) delete statuses[k];
  const cpu0 = await p.server.cpuMicros();
  const t0 = performance.now();
  await pool(TIMED_CODES, CONNECTIONS, (i) => redeem(WARM_CODES + i));
  const codeSeconds = (performance.now() - t0) / 1000;
  const codeCpu = (await p.server.cpuMicros()) - cpu0;
  if (statuses['200'] !== TIMED_CODES) throw new Error(`proxy-token-code-${store}: expected ${TIMED_CODES} × 200, got ${JSON.stringify(statuses)}`);
  const codeRate = TIMED_CODES / codeSeconds;
  log(`proxy-token-code-${store}: ${Math.round(codeRate)} grants/s (${TIMED_CODES} in ${codeSeconds.toFixed(2)} s, ${CONNECTIONS} connections, server ${(codeCpu / TIMED_CODES).toFixed(0)} µs CPU/grant)`);

  // Refresh: each worker owns every CONNECTIONS-th family and always sends its current refresh token.
  const families = refreshTokens.slice();
  const refreshStatuses: Record<string, number> = {};
  let stopAt = 0;
  let count = 0;
  const refreshLoop = async (worker: number) => {
    const own = families.map((_, i) => i).filter((i) => i % CONNECTIONS === worker);
    for (let k = 0; performance.now() < stopAt; k++) {
      const f = own[k % own.length];
      const r = await token(p.base, { grant_type: 'refresh_token', refresh_token: families[f], client_id: p.clientId });
      refreshStatuses[r.status] = (refreshStatuses[r.status] ?? 0) + 1;
      if (r.status === 200) families[f] = r.body.refresh_token;
      count++;
    }
  };
  const runRefresh = async (seconds: number) => {
    count = 0;
    for (const k of Object.keys(refreshStatuses)) delete refreshStatuses[k];
    const t = performance.now();
    stopAt = t + seconds * 1000;
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => refreshLoop(w)));
    return (performance.now() - t) / 1000;
  };
  await runRefresh(REFRESH_WARMUP_SECONDS);
  const cpu1 = await p.server.cpuMicros();
  const refreshSeconds = await runRefresh(REFRESH_SECONDS);
  const refreshCpu = (await p.server.cpuMicros()) - cpu1;
  if (refreshStatuses['200'] !== count) throw new Error(`proxy-token-refresh-${store}: expected only 200, got ${JSON.stringify(refreshStatuses)}`);
  const refreshRate = count / refreshSeconds;
  log(`proxy-token-refresh-${store}: ${Math.round(refreshRate)} grants/s (${count} in ${refreshSeconds.toFixed(2)} s over ${families.length} families, server ${(refreshCpu / count).toFixed(0)} µs CPU/grant)`);
  return [
    {
      name: `proxy-token-code-${store}`,
      reqPerSec: Math.round(codeRate),
      requests: TIMED_CODES,
      seconds: round(codeSeconds, 3),
      connections: CONNECTIONS,
      serverMicrosPerReq: round(codeCpu / TIMED_CODES),
      statusCodes: { ...statuses },
      preparedCodes: total,
      prepSeconds: round(prepSeconds),
    },
    {
      name: `proxy-token-refresh-${store}`,
      reqPerSec: Math.round(refreshRate),
      requests: count,
      seconds: round(refreshSeconds, 3),
      connections: CONNECTIONS,
      families: families.length,
      serverMicrosPerReq: round(refreshCpu / count),
      statusCodes: { ...refreshStatuses },
    },
  ];
}

/** One browser at a time, fresh cookies: authorize → consent → IdP login → callback → token. */
async function roundTrip(p: ProxyServer, log: (m: string) => void): Promise<ProxyCaseResult[]> {
  const totals: number[] = [];
  const idps: number[] = [];
  const modules: number[] = [];
  const backChannelBefore = backChannelRequests;
  for (let i = 0; i < ROUNDTRIP_WARMUP + ROUNDTRIPS; i++) {
    const browser = new Browser(p.idpOrigin);
    const back0 = backChannelMs;
    const t = performance.now();
    const code = await flow(browser, p.base, p.clientId, p.challenge);
    const r = await token(p.base, { grant_type: 'authorization_code', code, code_verifier: p.verifier, redirect_uri: REDIRECT, client_id: p.clientId });
    const total = performance.now() - t;
    if (r.status !== 200) throw new Error(`round trip: token answered ${r.status}`);
    if (i < ROUNDTRIP_WARMUP) continue;
    const idp = browser.idpMs + (backChannelMs - back0);
    totals.push(total);
    idps.push(idp);
    modules.push(total - idp);
  }
  const sort = (a: number[]) => a.slice().sort((x, y) => x - y);
  const [t, d, m] = [sort(totals), sort(idps), sort(modules)];
  const entry = (q: number, label: string): ProxyCaseResult => ({
    name: `proxy-roundtrip-${label}-ms`,
    valueMs: round(quantile(m, q), 2),
    totalMs: round(quantile(t, q), 2),
    idpMs: round(quantile(d, q), 2),
    flows: ROUNDTRIPS,
    store: 'memory',
    note: 'module ms = total − dev IdP ms per flow (browser legs to the IdP timed on the client, back-channel calls timed inside the IdP); fresh cookies, so every flow shows the consent page and the IdP login',
  });
  const out = [entry(0.5, 'p50'), entry(0.99, 'p99')];
  for (const e of out) log(`${e.name}: module ${e.valueMs} ms (total ${e.totalMs} ms, dev IdP ${e.idpMs} ms; ${ROUNDTRIPS} sequential flows, ${((backChannelRequests - backChannelBefore) / (ROUNDTRIP_WARMUP + ROUNDTRIPS)).toFixed(1)} back-channel requests per flow)`);
  return out;
}

/** A throwaway redis-server on a free loopback port, or undefined when it is not installed. */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  if (spawnSync('redis-server', ['--version']).error) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export async function proxyCases(log: (m: string) => void, wanted: (name: string) => boolean): Promise<ProxyCaseResult[]> {
  const results: ProxyCaseResult[] = [];
  diagnostics.subscribe('http.server.request.start', onStart);
  diagnostics.subscribe('http.server.response.finish', onFinish);
  try {
    const memoryWanted = ['proxy-token-code-memory', 'proxy-token-refresh-memory', 'proxy-roundtrip-p50-ms', 'proxy-roundtrip-p99-ms'].some(wanted);
    if (memoryWanted) {
      const p = await startProxyServer(undefined, 'nest-proxy-memory');
      try {
        if (['proxy-token-code-memory', 'proxy-token-refresh-memory'].some(wanted)) results.push(...(await throughput(p, 'memory', log)));
        if (['proxy-roundtrip-p50-ms', 'proxy-roundtrip-p99-ms'].some(wanted)) results.push(...(await roundTrip(p, log)));
      } finally {
        await p.close();
      }
    }
    if (['proxy-token-code-redis', 'proxy-token-refresh-redis'].some(wanted)) {
      const redis = await startRedis();
      if (!redis) {
        for (const name of ['proxy-token-code-redis', 'proxy-token-refresh-redis']) results.push({ name, skipped: 'skipped: redis-server not installed' });
        log('proxy-token-*-redis: skipped: redis-server not installed');
      } else {
        try {
          const p = await startProxyServer(redis.url, 'nest-proxy-redis');
          try {
            results.push(...(await throughput(p, 'redis', log)));
          } finally {
            await p.close();
          }
        } finally {
          await redis.stop();
        }
      }
    }
  } finally {
    diagnostics.unsubscribe('http.server.request.start', onStart);
    diagnostics.unsubscribe('http.server.response.finish', onFinish);
  }
  return results;
}
