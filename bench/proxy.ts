/**
 * Item 7: proxy mode (this server is the authorization server in front of the embedded dev IdP).
 *
 * - Token endpoint throughput: `authorization_code` and `refresh_token` grants per second, with the
 *   MemoryStore and with Redis (a spawned `redis-server`), beside node-oidc-provider's own token endpoint
 *   (oidc-peer.ts) in the same run, in A B B A slices. Codes are prepared by real flows before the timed
 *   window (each is single-use, 60 s TTL); the refresh families are the ones those codes opened, and each
 *   request carries the current refresh token of its own family. A concurrent loop of `CONNECTIONS`
 *   workers (keep-alive) sends the requests; throughput = responses / elapsed time.
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
import { freePort } from '../src/testing/free-port.js';
import os from 'node:os';
import { judged, ServerProcess } from './load.js';

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
  /** Who signs in at the dev IdP. */
  login = 'alice';

  constructor(private readonly idpOrigin: string) {}

  /**
   * The next flows sign in as `login`, with fresh cookies when it changes (another person's browser: the
   * module refuses a sign-in by a user other than the one who approved in that browser session). Each grant
   * is a user's own, as in real traffic; one user holding hundreds of grants would meet the per-user cap
   * (MAX_GRANTS_PER_USER), which revokes that user's oldest grant for each new one.
   */
  signInAs(login: string): this {
    if (login !== this.login) this.jars.clear();
    this.login = login;
    return this;
  }

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
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
    resource: `${base}/mcp`,
    scope: SCOPES.join(' '),
  });
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
    const post = await browser.request(new URL(action, next).href, { method: 'POST', form: { login: browser.login } });
    next = new URL(post.headers.get('location')!, next).href;
  }
  throw new Error('too many redirects');
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
}

async function token(tokenUrl: string, params: Record<string, string>): Promise<{ status: number; body: TokenResponse }> {
  const res = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
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

/** This module in proxy mode, in front of the dev IdP, with one public client registered by DCR. */
interface ProxyServer extends GrantTarget {
  base: string;
  clientId: string;
  verifier: string;
  challenge: string;
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
    label: 'nestjs-oauth-mcp',
    server,
    base,
    clientId,
    verifier,
    challenge,
    tokenUrl: `${base}/oauth/token`,
    idpOrigin: new URL(idp.issuer).origin,
    code: (browser, i) => flow(browser.signInAs(`bench-user-${i}`), base, clientId, challenge),
    redeem: (code) => ({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
      resource: `${base}/mcp`,
    }),
    refresh: (refreshToken) => ({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
    close: async () => {
      await server.stop();
      await idp.close();
    },
  };
}

/** node-oidc-provider in its own process (oidc-peer.ts), its state in memory or in the same Redis. */
async function startPeerServer(redisUrl: string | undefined, label: string): Promise<GrantTarget> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const resource = `${base}/mcp`;
  const clientId = 'bench-peer';
  const server = await ServerProcess.start({ kind: 'oidc-peer', port, resource, scopes: SCOPES, clientId, redirectUri: REDIRECT, redisUrl }, label);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = `${base}/auth?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource, scope: SCOPES.join(' ') })}`;
  return {
    label: 'node-oidc-provider',
    server,
    tokenUrl: `${base}/token`,
    idpOrigin: base,
    code: async (browser) => {
      let next = authorize;
      for (let hop = 0; hop < 10; hop++) {
        const res = await browser.request(next);
        const location = res.headers.get('location');
        if (!location) throw new Error(`oidc-provider answered ${res.status} during the flow`);
        const url = new URL(location, next);
        if (url.href.startsWith(REDIRECT)) {
          const code = url.searchParams.get('code');
          if (!code) throw new Error(`oidc-provider redirected without a code: ${url.href}`);
          return code;
        }
        next = url.href;
      }
      throw new Error('too many redirects at oidc-provider');
    },
    redeem: (code) => ({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId, resource }),
    refresh: (refreshToken) => ({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
    close: () => server.stop(),
  };
}

/** An authorization server whose token endpoint is measured: this module, or node-oidc-provider. */
interface GrantTarget {
  label: string;
  server: ServerProcess;
  tokenUrl: string;
  /** Origin whose requests a Browser times as the IdP's (unused for throughput). */
  idpOrigin: string;
  /** One authorization in `browser` (which keeps its cookies): an authorization code. */
  /** The code of the `i`th prepared flow. */
  code(browser: Browser, i: number): Promise<string>;
  redeem(code: string): Record<string, string>;
  refresh(refreshToken: string): Record<string, string>;
  close(): Promise<void>;
}

/** What one target did in a timed phase. */
interface Phase {
  requests: number;
  seconds: number;
  cpuMicros: number;
  statuses: Record<string, number>;
}

const addPhase = (into: Phase, p: Phase): void => {
  into.requests += p.requests;
  into.seconds += p.seconds;
  into.cpuMicros += p.cpuMicros;
  for (const [k, v] of Object.entries(p.statuses)) into.statuses[k] = (into.statuses[k] ?? 0) + v;
};
const emptyPhase = (): Phase => ({ requests: 0, seconds: 0, cpuMicros: 0, statuses: {} });

/** Codes for `count` redemptions, by full flows of PREP_CONCURRENCY browsers that keep their cookies. */
async function prepareCodes(t: GrantTarget, count: number): Promise<{ codes: string[]; seconds: number }> {
  const codes: string[] = new Array(count);
  const browsers = Array.from({ length: PREP_CONCURRENCY }, () => new Browser(t.idpOrigin));
  const start = performance.now();
  await pool(count, PREP_CONCURRENCY, async (i, w) => {
    codes[i] = await t.code(browsers[w], i);
  });
  return { codes, seconds: (performance.now() - start) / 1000 };
}

/** BENCH_PHASE_PROF=1: each timed token phase is profiled in the server, to bench/.build/prof/<target>-<phase>-<n>.cpuprofile. */
const PHASE_PROF = process.env.BENCH_PHASE_PROF === '1';
let profiled = 0;
async function profiledPhase<T>(t: GrantTarget, phase: string, run: () => Promise<T>): Promise<T> {
  if (!PHASE_PROF) return run();
  await t.server.profileStart();
  try {
    return await run();
  } finally {
    await t.server.profileStop(new URL(`../prof/${t.label}-${phase}-${++profiled}.cpuprofile`, import.meta.url).pathname);
  }
}

/** Redeems `codes` on CONNECTIONS workers; collects the refresh tokens. */
async function redeemPhase(t: GrantTarget, codes: string[], refreshTokens: string[]): Promise<Phase> {
  const statuses: Record<string, number> = {};
  const cpu0 = await t.server.cpuMicros();
  const start = performance.now();
  await pool(codes.length, CONNECTIONS, async (i) => {
    const r = await token(t.tokenUrl, t.redeem(codes[i]));
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 200) refreshTokens.push(r.body.refresh_token);
  });
  const seconds = (performance.now() - start) / 1000;
  return { requests: codes.length, seconds, cpuMicros: (await t.server.cpuMicros()) - cpu0, statuses };
}

/** Refresh grants for `seconds` on CONNECTIONS workers, each owning every CONNECTIONS-th family and sending its current token. */
async function refreshPhase(t: GrantTarget, families: string[], seconds: number): Promise<Phase> {
  const statuses: Record<string, number> = {};
  let count = 0;
  let firstError: string | undefined;
  const cpu0 = await t.server.cpuMicros();
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, worker) => {
      const own = families.map((_f, i) => i).filter((i) => i % CONNECTIONS === worker);
      for (let k = 0; performance.now() < stopAt; k++) {
        const f = own[k % own.length];
        const r = await token(t.tokenUrl, t.refresh(families[f]));
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status !== 200) firstError ??= JSON.stringify(r.body);
        if (r.status === 200) families[f] = r.body.refresh_token;
        count++;
      }
    }),
  );
  if (firstError) console.error(`${t.label}: a refresh grant was refused: ${firstError}`);
  return { requests: count, seconds: (performance.now() - start) / 1000, cpuMicros: (await t.server.cpuMicros()) - cpu0, statuses };
}

const rateOf = (p: Phase) => p.requests / p.seconds;
/** Coefficient of variation of the per-slice rates. */
const noiseOf = (rates: number[]) => {
  const m = rates.reduce((a, b) => a + b, 0) / rates.length;
  return Math.sqrt(rates.reduce((a, x) => a + (x - m) ** 2, 0) / rates.length) / m;
};

/**
 * Token endpoint throughput for one store, this module and node-oidc-provider in the same run:
 * `authorization_code` (codes prepared by real flows just before, redeemed in slices in A B B A
 * order), then `refresh_token` on the families those codes opened (slices in A B B A order too).
 */
async function throughput(ours: GrantTarget, peer: GrantTarget, store: string, log: (m: string) => void): Promise<ProxyCaseResult[]> {
  const targets = [ours, peer];
  const order = [0, 1, 1, 0];
  const perSlice = Math.ceil(TIMED_CODES / 2);
  const prepared = new Map<GrantTarget, { codes: string[]; seconds: number }>();
  for (const t of targets) {
    const p = await prepareCodes(t, WARM_CODES + 2 * perSlice);
    prepared.set(t, p);
    log(`${t.label} (${store}): prepared ${p.codes.length} codes by full flows in ${p.seconds.toFixed(1)} s (outside the measured time)`);
  }
  const refreshTokens = new Map<GrantTarget, string[]>(targets.map((t) => [t, []]));
  for (const t of targets) await redeemPhase(t, prepared.get(t)!.codes.slice(0, WARM_CODES), refreshTokens.get(t)!);
  const code = new Map<GrantTarget, Phase>(targets.map((t) => [t, emptyPhase()]));
  const codeRates = new Map<GrantTarget, number[]>(targets.map((t) => [t, []]));
  const used = new Map<GrantTarget, number>(targets.map((t) => [t, WARM_CODES]));
  for (const i of order) {
    const t = targets[i];
    const from = used.get(t)!;
    const phase = await profiledPhase(t, 'code', () => redeemPhase(t, prepared.get(t)!.codes.slice(from, from + perSlice), refreshTokens.get(t)!));
    used.set(t, from + perSlice);
    addPhase(code.get(t)!, phase);
    codeRates.get(t)!.push(rateOf(phase));
  }
  const refresh = new Map<GrantTarget, Phase>(targets.map((t) => [t, emptyPhase()]));
  const refreshRates = new Map<GrantTarget, number[]>(targets.map((t) => [t, []]));
  for (const t of targets) await refreshPhase(t, refreshTokens.get(t)!, REFRESH_WARMUP_SECONDS);
  for (const i of order) {
    const t = targets[i];
    const phase = await profiledPhase(t, 'refresh', () => refreshPhase(t, refreshTokens.get(t)!, REFRESH_SECONDS / 2));
    addPhase(refresh.get(t)!, phase);
    refreshRates.get(t)!.push(rateOf(phase));
  }
  for (const t of targets) {
    const c = code.get(t)!;
    const r = refresh.get(t)!;
    if (c.statuses['200'] !== c.requests) throw new Error(`${t.label} code grants (${store}): expected only 200, got ${JSON.stringify(c.statuses)}`);
    if (r.statuses['200'] !== r.requests) throw new Error(`${t.label} refresh grants (${store}): expected only 200, got ${JSON.stringify(r.statuses)}`);
    log(
      `${t.label} (${store}): ${Math.round(rateOf(c))} code grants/s (${c.requests}, ${round(c.cpuMicros / c.requests, 0)} µs CPU/grant), ${Math.round(rateOf(r))} refresh grants/s (${r.requests}, ${round(r.cpuMicros / r.requests, 0)} µs CPU/grant)`,
    );
  }
  const entry = (kind: 'code' | 'refresh', phases: Map<GrantTarget, Phase>, rates: Map<GrantTarget, number[]>): ProxyCaseResult[] => {
    const o = phases.get(ours)!;
    const p = phases.get(peer)!;
    const noise = round(Math.max(noiseOf(rates.get(ours)!), noiseOf(rates.get(peer)!)), 3);
    const shared = { connections: CONNECTIONS, noise, loadAverage1m: round(os.loadavg()[0], 2) };
    return [
      {
        name: `proxy-token-${kind}-${store}`,
        reqPerSec: Math.round(rateOf(o)),
        requests: o.requests,
        seconds: round(o.seconds, 3),
        serverMicrosPerReq: round(o.cpuMicros / o.requests),
        peerReqPerSec: Math.round(rateOf(p)),
        target: Math.round(rateOf(p)),
        targetOf: 'reqPerSec >= (node-oidc-provider, same run)',
        ...judged(rateOf(o) >= rateOf(p), noise),
        ...shared,
      },
      {
        name: `peer-oidc-provider-${kind}-${store}`,
        reqPerSec: Math.round(rateOf(p)),
        requests: p.requests,
        seconds: round(p.seconds, 3),
        serverMicrosPerReq: round(p.cpuMicros / p.requests),
        note: 'node-oidc-provider token endpoint: public client, PKCE, JWT access token (ES256) for the resource, refresh rotation',
        ...shared,
      },
    ];
  };
  return [...entry('code', code, codeRates), ...entry('refresh', refresh, refreshRates)];
}

/** One browser at a time, fresh cookies: authorize → consent → IdP login → callback → token. */
async function roundTrip(p: ProxyServer, log: (m: string) => void): Promise<ProxyCaseResult[]> {
  const totals: number[] = [];
  const idps: number[] = [];
  const modules: number[] = [];
  const backChannelBefore = backChannelRequests;
  for (let i = 0; i < ROUNDTRIP_WARMUP + ROUNDTRIPS; i++) {
    const browser = new Browser(p.idpOrigin).signInAs(`round-trip-user-${i}`);
    const back0 = backChannelMs;
    const t = performance.now();
    const code = await flow(browser, p.base, p.clientId, p.challenge);
    const r = await token(p.tokenUrl, p.redeem(code));
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
  for (const e of out)
    log(
      `${e.name}: module ${e.valueMs} ms (total ${e.totalMs} ms, dev IdP ${e.idpMs} ms; ${ROUNDTRIPS} sequential flows, ${((backChannelRequests - backChannelBefore) / (ROUNDTRIP_WARMUP + ROUNDTRIPS)).toFixed(1)} back-channel requests per flow)`,
    );
  return out;
}

/** A throwaway redis-server on a free loopback port, or undefined when it is not installed. */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  if (spawnSync('redis-server', ['--version']).error) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
        if (['proxy-token-code-memory', 'proxy-token-refresh-memory'].some(wanted)) {
          const peer = await startPeerServer(undefined, 'oidc-peer-memory');
          try {
            results.push(...(await throughput(p, peer, 'memory', log)));
          } finally {
            await peer.close();
          }
        }
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
          const peer = await startPeerServer(redis.url, 'oidc-peer-redis');
          try {
            results.push(...(await throughput(p, peer, 'redis', log)));
          } finally {
            await peer.close();
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
