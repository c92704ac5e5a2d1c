/**
 * `npm run bench`: what the guard costs, in process against bare passport-jwt and end to end as ratios
 * against an unguarded baseline, the official MCP SDK's bearer middleware and bare passport-jwt behind
 * AuthGuard; in proxy mode, the token endpoint against node-oidc-provider's. One run, this machine (see
 * bench/README.md); a target is never reported met from a noisy run.
 *
 * Env: BENCH_DURATION (measured s per side, default 5), BENCH_SLICE (s per alternating slice, default 1),
 * BENCH_WARMUP (s, default 2), BENCH_ONLY (regex over case names), BENCH_CPU_PROF=1 (the servers write
 * .cpuprofile files to bench/.build/prof/), BENCH_PHASE_PROF=1 (profiles of the proxy token phases only).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { BenchJwksServer } from './jwks-server.js';
import { alternate, cycle, judged, judgedByQuartiles, LOAD_LIMIT, NOISE_LIMIT, OnceSource, runLoad, ServerProcess, type LoadResult } from './load.js';
import type { MemoryReport } from './memory.js';
import type { VerifyReport } from './verify.js';
import type { GuardReport } from './guard.js';
import { proxyCases } from './proxy.js';
import { dpopProofs, generateDpopKey } from './dpop.js';
import type { ServerSpec } from './server.js';
import { claims, garbageTokens, generateBenchKey, mintTokens, randomKidTokens, signer, type BenchKey, type ClaimsTemplate } from './tokens.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const SLICE = Number(process.env.BENCH_SLICE ?? 1);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const wanted = (name: string): boolean => !ONLY || ONLY.test(name);

const SERVER_URL = 'http://127.0.0.1:9';
const AUDIENCE = `${SERVER_URL}/mcp`;
const HMAC_ISSUER = 'https://bench-idp.example';
const SECRET = randomBytes(32).toString('base64url');
const CACHE_MAX_ENTRIES = 10_000;
const FLOOD_COOLDOWN_MS = 30_000;
const HERD_COOLDOWN_MS = 1_000;

/** One entry of bench/results.json. */
interface CaseResult {
  name: string;
  reqPerSec?: number;
  baselineReqPerSec?: number;
  ratio?: number;
  /** Numeric target; `targetOf` says which metric it bounds and in which direction. */
  target?: number;
  targetOf?: string;
  met?: boolean;
  [extra: string]: unknown;
}

const results: CaseResult[] = [];
const started = performance.now();

function log(message: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${t}s] ${message}`);
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function describeRun(label: string, r: LoadResult): string {
  const codes = Object.entries(r.statusCodes)
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  const main = r.serverMainMicrosPerReq === undefined ? '' : ` (main thread ${fmt(r.serverMainMicrosPerReq, 1)})`;
  const cpu = r.serverCpu === undefined ? '' : `, server CPU ${fmt(r.serverCpu)}%, ${fmt(r.serverMicrosPerReq, 1)} µs/req${main}`;
  return `${label.padEnd(10)} ${fmt(r.reqPerSec).padStart(7)} req/s (${r.requests} in ${r.seconds.toFixed(2)} s; ${codes}${r.errors ? `; ${r.errors} errors` : ''}${cpu})`;
}

function expectOnly(r: LoadResult, status: string, label: string): void {
  const others = Object.entries(r.statusCodes).filter(([c]) => c !== status);
  if (others.length > 0 || r.errors > 0) {
    throw new Error(`${label}: expected only ${status}, got ${JSON.stringify(r.statusCodes)} and ${r.errors} errors`);
  }
}

/** Records a guarded/unguarded pair measured by `alternate`. */
function recordRatio(name: string, guarded: LoadResult, open: LoadResult, target: number | undefined, extra: Record<string, unknown> = {}): CaseResult {
  const ratio = guarded.reqPerSec / open.reqPerSec;
  const micros = guarded.serverMicrosPerReq ?? 0;
  const baselineMicros = open.serverMicrosPerReq ?? 0;
  // Coefficient of variation of the slice rates: how noisy the machine was during the case.
  const noise = Math.max(variation(guarded), variation(open));
  const entry: CaseResult = {
    name,
    reqPerSec: Math.round(guarded.reqPerSec),
    baselineReqPerSec: Math.round(open.reqPerSec),
    ratio: Number(ratio.toFixed(3)),
    ...(target !== undefined ? { target, targetOf: 'ratio >=', ...judged(ratio >= target, noise) } : {}),
    // Server CPU time per request (all threads): a second view of the same cost.
    serverMicrosPerReq: Number(micros.toFixed(1)),
    baselineServerMicrosPerReq: Number(baselineMicros.toFixed(1)),
    extraServerMicrosPerReq: Number((micros - baselineMicros).toFixed(1)),
    // The main thread alone (the request path; GC and compiler helper threads excluded).
    ...(guarded.serverMainMicrosPerReq !== undefined && open.serverMainMicrosPerReq !== undefined
      ? {
          serverMainMicrosPerReq: Number(guarded.serverMainMicrosPerReq.toFixed(1)),
          baselineServerMainMicrosPerReq: Number(open.serverMainMicrosPerReq.toFixed(1)),
        }
      : {}),
    serverCpuPercent: Math.round(guarded.serverCpu ?? 0),
    baselineServerCpuPercent: Math.round(open.serverCpu ?? 0),
    noise: Number(noise.toFixed(3)),
    loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
    ...extra,
  };
  results.push(entry);
  log(`  ${describeRun('unguarded', open)}`);
  log(`  ${describeRun('guarded', guarded)}`);
  log(
    `${name}: ratio ${ratio.toFixed(3)}${target !== undefined ? ` (target ≥ ${target})` : ''}, +${(micros - baselineMicros).toFixed(1)} µs server CPU per request, noise ${noise.toFixed(3)}`,
  );
  return entry;
}

/** Coefficient of variation of the slice rates of a combined run. */
function variation(r: LoadResult): number {
  const rates = r.sliceRates ?? [r.reqPerSec];
  const m = rates.reduce((a, b) => a + b, 0) / rates.length;
  return Math.sqrt(rates.reduce((a, x) => a + (x - m) ** 2, 0) / rates.length) / m;
}

/**
 * Item 1 (and 6): one valid token on every request. After a warm-up of both routes, the unguarded
 * and guarded routes of the same process alternate in slices (A B B A …, DURATION s per side).
 */
async function cacheHitCase(
  name: string,
  server: ServerProcess,
  guardedPath: string,
  token: string,
  target: number | undefined,
  extra: Record<string, unknown> = {},
): Promise<CaseResult> {
  log(`${name}: warm-up`);
  await runLoad({ url: server.url('/open'), token, duration: WARMUP }, server);
  const warm = await runLoad({ url: server.url(guardedPath), token, duration: WARMUP }, server);
  expectOnly(warm, '200', `${name} warm-up`);
  const { a: open, b: guarded } = await alternate(server, { url: server.url('/open'), token }, { url: server.url(guardedPath), token }, DURATION, SLICE);
  expectOnly(open, '200', `${name} unguarded`);
  expectOnly(guarded, '200', `${name} guarded`);
  const entry = recordRatio(name, guarded, open, target, extra);
  if (server.hasNoopRoute) {
    // Nest's own price for running a guard (ExecutionContextHost, the guards consumer, its promises),
    // with a guard that returns true: the part of the extra CPU that is not this module's.
    const noop = await alternate(server, { url: server.url('/open'), token }, { url: server.url('/guarded-noop'), token }, DURATION, SLICE);
    const ref = recordRatio(`${name}-noop-guard`, noop.b, noop.a, undefined, { note: 'a Nest guard that returns true: the cost of any guard' });
    entry.moduleGuardMicrosPerReq = Number(((entry.extraServerMicrosPerReq as number) - (ref.extraServerMicrosPerReq as number)).toFixed(1));
  }
  return entry;
}

/**
 * Issue 15: a DPoP-bound token on every request (a cache hit for the token) with a fresh proof each time,
 * against the bearer cache hit of the same process, alternating: the proof check (ES256 verify with the
 * embedded JWK, thumbprint, claims, the jti mark in the MemoryStore) is the new per-request cost.
 * Proofs are minted (node:crypto) between slices, outside the measured time, each used once.
 */
async function dpopCacheHitCase(server: ServerProcess, bearerToken: string, hmac: BenchKey): Promise<CaseResult> {
  const name = 'cache-hit-dpop-vs-bearer';
  const key = generateDpopKey();
  const token = signer(hmac)({ ...claims({ iss: HMAC_ISSUER, aud: AUDIENCE, ttl: 3600 }, 'dpop-hit'), cnf: { jkt: key.jkt } });
  const htu = `${SERVER_URL}/guarded`;
  log(`${name}: warm-up`);
  const warm = await runLoad(
    { url: server.url('/guarded'), dpop: { token, proofs: new OnceSource(dpopProofs(key, token, htu, 20_000)) }, duration: WARMUP },
    server,
  );
  expectOnly(warm, '200', `${name} warm-up`);
  let rate = warm.reqPerSec;
  const proofs = new OnceSource([]);
  let remainingBefore = 0;
  const { a: bearer, b: dpop } = await alternate(
    server,
    { url: server.url('/guarded'), token: bearerToken },
    { url: server.url('/guarded'), dpop: { token, proofs } },
    DURATION,
    SLICE,
    async (side, seconds, retry) => {
      if (side !== 'b') return;
      if (remainingBefore > proofs.remaining()) rate = Math.max(rate, (remainingBefore - proofs.remaining()) / seconds);
      if (retry) rate *= 2;
      // Fresh proofs for every slice (iat = now), at 2 × the fastest rate seen.
      proofs.add(dpopProofs(key, token, htu, Math.ceil(rate * seconds * 2) + 500));
      remainingBefore = proofs.remaining();
    },
  );
  expectOnly(bearer, '200', `${name} bearer`);
  expectOnly(dpop, '200', `${name} dpop`);
  return recordRatio(name, dpop, bearer, undefined, {
    note: 'DPoP-bound cache hit (proof checked on every request) against the bearer cache hit, same process; extra µs = the proof check',
  });
}

/** The cache-hit budget end to end: extra server CPU per request over the unguarded route. */
function recordExtraCpu(entry: CaseResult, limitMicros: number): void {
  const extra = entry.extraServerMicrosPerReq as number;
  results.push({
    name: `${entry.name}-extra-cpu-us`,
    valueMicros: extra,
    target: limitMicros,
    targetOf: 'extra server µs/request <=',
    ...judged(extra <= limitMicros, entry.noise as number),
    noise: entry.noise,
  });
}

/**
 * Item 2: every guarded request carries a token the server has never seen (pre-minted, distinct
 * `jti`, each handed out once), so each one is a cache miss and a full validation. The warm-up
 * measures the rate to size the token list; it is topped up between slices (outside the measured
 * time) if the server turns out faster. The unguarded side cycles through the same tokens.
 */
async function coldCase(name: string, server: ServerProcess, key: BenchKey, template: ClaimsTemplate, target: number | undefined): Promise<CaseResult> {
  // Warm-up: distinct tokens for WARMUP s (cycling if the list runs out, which only makes the first
  // rate estimate high); the measured guarded slices then get tokens minted for them.
  const warmTokens = await mintTokens(key, template, key.alg === 'RS256' ? 3_000 : key.alg === 'ES256' ? 6_000 : 12_000);
  await runLoad({ url: server.url('/open'), tokens: cycle(warmTokens), duration: WARMUP }, server);
  const warm = await runLoad({ url: server.url('/guarded'), tokens: cycle(warmTokens), duration: WARMUP }, server);
  expectOnly(warm, '200', `${name} warm-up`);
  let rate = warm.reqPerSec;
  const cold = new OnceSource([]);
  const minted = { count: 0, seconds: 0 };
  let remainingBefore = cold.remaining();
  const { a: open, b: guarded } = await alternate(
    server,
    { url: server.url('/open'), tokens: cycle(warmTokens) },
    { url: server.url('/guarded'), tokens: cold },
    DURATION,
    SLICE,
    async (side, seconds, retry) => {
      if (side !== 'b') return;
      // Tokens used by the previous guarded slice give the current rate; keep enough fresh tokens
      // for the next slice at 2 × the fastest rate seen (4 × after a slice ran out).
      if (remainingBefore > cold.remaining()) rate = Math.max(rate, (remainingBefore - cold.remaining()) / seconds);
      if (retry) rate *= 2;
      const needed = Math.ceil(rate * seconds * 2) + 500;
      if (cold.remaining() < needed) {
        const t = performance.now();
        const more = await mintTokens(key, template, needed - cold.remaining() + Math.ceil(rate));
        cold.add(more);
        minted.count += more.length;
        minted.seconds += (performance.now() - t) / 1000;
      }
      remainingBefore = cold.remaining();
    },
  );
  expectOnly(open, '200', `${name} unguarded`);
  expectOnly(guarded, '200', `${name} guarded`);
  log(`${name}: minted ${minted.count} ${key.alg} tokens in ${minted.seconds.toFixed(1)} s (outside the measured time)`);
  const entry = recordRatio(name, guarded, open, target, { distinctTokens: guarded.requests });
  // The same verification by bare passport-jwt behind @nestjs/passport's AuthGuard (no cache, none of
  // this module's rules), same process, same tokens: the floor any passport-jwt guard starts from.
  const bare = await alternate(
    server,
    { url: server.url('/open'), tokens: cycle(warmTokens) },
    { url: server.url('/guarded-bare'), tokens: cycle(warmTokens) },
    DURATION,
    SLICE,
  );
  expectOnly(bare.b, '200', `${name} bare passport-jwt`);
  recordRatio(`${name}-bare-passport-jwt`, bare.b, bare.a, undefined, {
    note: 'AuthGuard + passport-jwt alone (no cache, no module rules): the floor for any passport-jwt guard',
  });
  return entry;
}

/** Item 3: invalid tokens only; every answer must be a 401, and the IdP must not be hammered. */
async function floodCase(name: string, server: ServerProcess, tokens: string[], jwks: BenchJwksServer, fetchesCanHappen: boolean): Promise<void> {
  log(`${name}: warm-up`);
  // Fetches are counted from the first invalid token on, warm-up included.
  const fetchesBefore = jwks.fetches;
  const floodStart = performance.now();
  await runLoad({ url: server.url('/guarded'), tokens: cycle(tokens), duration: WARMUP / 2 }, server);
  const { a: open, b: guarded } = await alternate(
    server,
    { url: server.url('/open'), tokens: cycle(tokens) },
    { url: server.url('/guarded'), tokens: cycle(tokens) },
    DURATION,
    SLICE,
  );
  log(`  ${describeRun('unguarded', open)}`);
  log(`  ${describeRun('guarded', guarded)}`);
  expectOnly(guarded, '401', name);
  const jwksFetches = jwks.fetches - fetchesBefore;
  // Garbage never reaches a key lookup: no fetch at all. Unknown kids: at most one per cooldown window.
  const maxFetches = fetchesCanHappen ? Math.ceil((performance.now() - floodStart) / FLOOD_COOLDOWN_MS) : 0;
  const entry: CaseResult = {
    name,
    reqPerSec: Math.round(guarded.reqPerSec),
    baselineReqPerSec: Math.round(open.reqPerSec),
    ratio: Number((guarded.reqPerSec / open.reqPerSec).toFixed(3)),
    jwksFetches,
    target: maxFetches,
    targetOf: `jwksFetches <= (per ${FLOOD_COOLDOWN_MS / 1000} s cooldown window)`,
    met: jwksFetches <= maxFetches,
    statusCodes: guarded.statusCodes,
    serverMicrosPerReq: Number((guarded.serverMicrosPerReq ?? 0).toFixed(1)),
    baselineServerMicrosPerReq: Number((open.serverMicrosPerReq ?? 0).toFixed(1)),
    loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
  };
  results.push(entry);
  log(`${name}: ${fmt(guarded.reqPerSec)} req/s of 401s, ${jwksFetches} JWKS fetch(es) during the flood (target ≤ ${maxFetches})`);
}

/**
 * Item 4: the IdP rotates in a new key, then 1,000 requests signed by it arrive at once (1,000
 * connections, one request each). The key store must fetch the JWKS once, and every request must pass.
 */
async function herdCase(rsa: BenchKey, template: ClaimsTemplate): Promise<void> {
  const name = 'jwks-herd';
  const jwks = await new BenchJwksServer().start();
  jwks.keys = [rsa.publicJwk!];
  const herdTemplate = { ...template, iss: jwks.url };
  const server = await ServerProcess.start(nestSpec({ provider: 'oidc', issuer: jwks.url, jwksUri: jwks.jwksUri, cooldownMs: HERD_COOLDOWN_MS }), 'nest-herd');
  try {
    // Exercise the hot path with the old key first (the startup fetch is not counted).
    const oldTokens = await mintTokens(rsa, herdTemplate, 3_000);
    const warm = await runLoad({ url: server.url('/guarded'), tokens: new OnceSource(oldTokens), amount: 2_900 }, server);
    expectOnly(warm, '200', `${name} warm-up`);
    const rotated = generateBenchKey('RS256', 'rs-rotated');
    const herdTokens = await mintTokens(rotated, herdTemplate, 1_100);
    await new Promise((resolve) => setTimeout(resolve, HERD_COOLDOWN_MS + 200));
    jwks.keys = [rsa.publicJwk!, rotated.publicJwk!];
    const before = jwks.fetches;
    const r = await runLoad({ url: server.url('/guarded'), tokens: new OnceSource(herdTokens), amount: 1_000, connections: 1_000 }, server);
    const jwksFetches = jwks.fetches - before;
    results.push({
      name,
      requests: r.requests,
      statusCodes: r.statusCodes,
      seconds: Number(r.seconds.toFixed(3)),
      jwksFetches,
      target: 1,
      targetOf: 'jwksFetches ==',
      met: jwksFetches === 1 && r.statusCodes['200'] === 1_000,
    });
    log(
      `${name}: ${r.requests} concurrent requests with a newly rotated kid in ${r.seconds.toFixed(2)} s → ${jwksFetches} JWKS fetch(es) (target 1), statuses ${JSON.stringify(r.statusCodes)}`,
    );
  } finally {
    await server.stop();
    await jwks.stop();
  }
}

/**
 * In process: TokenVerifier.verify against bare passport-jwt on the same tokens (bench/verify.ts), in
 * its own process. Targets: a cache hit ≤ 3 µs; a cold verification ≤ bare passport-jwt + 10 µs.
 */
function verifyCase(): void {
  log('verify: TokenVerifier.verify against bare passport-jwt, in process (cold and hit)');
  const out = execFileSync(process.execPath, [new URL('./verify.js', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const reports = JSON.parse(out.trim().split('\n').pop()!) as VerifyReport[];
  for (const r of reports) {
    const alg = r.alg.toLowerCase();
    // Judged on the blocks' quartiles: a GC or a descheduled block moves one block, not the decision.
    results.push({
      name: `verify-hit-${alg}-us`,
      valueMicros: r.hit.ours.micros,
      quartilesMicros: [r.hit.ours.p25, r.hit.ours.p75],
      bareMicros: r.hit.bare.micros,
      target: 3,
      targetOf: 'µs <= (in process, CPU; median, met when the third quartile holds)',
      ...judgedByQuartiles(r.hit.ours.p75 <= 3, r.hit.ours.p25 <= 3),
      noise: r.hit.ours.noise,
      loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
      note: 'bare = passport-jwt verifying the token again (it has no cache)',
    });
    const d = r.cold.difference;
    results.push({
      name: `verify-cold-${alg}-us`,
      valueMicros: r.cold.ours.micros,
      bareMicros: r.cold.bare.micros,
      overheadMicros: d.micros,
      overheadQuartilesMicros: [d.p25, d.p75],
      target: Number((r.cold.bare.micros + 10).toFixed(2)),
      targetOf: 'µs <= bare passport-jwt + 10 (in process, CPU; paired block differences, met when the third quartile holds)',
      ...judgedByQuartiles(d.p75 <= 10, d.p25 <= 10),
      noise: Math.max(r.cold.ours.noise, r.cold.bare.noise),
      loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
      tokensPerBlock: r.cold.blockSize,
    });
    log(
      `verify ${r.alg}: hit ${r.hit.ours.micros} µs (quartiles ${r.hit.ours.p25}–${r.hit.ours.p75}; bare passport-jwt, no cache: ${r.hit.bare.micros} µs); cold ${r.cold.ours.micros} µs vs bare ${r.cold.bare.micros} µs, +${d.micros} µs (quartiles of the paired blocks ${d.p25} to ${d.p75})`,
    );
  }
}

/**
 * In process: the guard's own work on a cache hit (bench/guard.ts), no target: what is left of a hit once HTTP
 * and Nest's guards consumer are taken away, beside SHA-256 of the token (the cache key, part of it).
 */
function guardCase(): void {
  log('guard-hit: JwtAuthGuard.canActivate on a cache hit, in process');
  const out = execFileSync(process.execPath, [new URL('./guard.js', import.meta.url).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const report = JSON.parse(out.trim().split('\n').pop()!) as GuardReport;
  for (const [size, c] of Object.entries(report)) {
    results.push({
      name: `guard-hit-${size}-token-us`,
      valueMicros: c.guardMicros,
      sha256Micros: c.sha256Micros,
      tokenLength: c.tokenLength,
      loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
      note: 'canActivate with a new ExecutionContextHost per call, best of 7 blocks; no HTTP, no guards consumer',
    });
    log(`guard-hit ${size} token (${c.tokenLength} characters): ${c.guardMicros} µs per canActivate, of which SHA-256 ${c.sha256Micros} µs`);
  }
}

/** Item 5: in a separate process (needs --expose-gc, and its heap must not be the load generator's). */
function memoryCase(): void {
  log('memory-bound: 1,000,000 distinct tokens through TokenVerifier and its cache');
  const out = execFileSync(process.execPath, ['--expose-gc', new URL('./memory.js', import.meta.url).pathname], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_CACHE_MAX_ENTRIES: String(CACHE_MAX_ENTRIES) },
  });
  const report = JSON.parse(out.trim().split('\n').pop()!) as MemoryReport;
  results.push({ name: 'memory-bound', ...report, target: CACHE_MAX_ENTRIES, targetOf: 'entries <= (and heap flat once full)', met: report.withinBound });
  log(
    `memory-bound: ${fmt(report.tokens)} tokens, ${fmt(report.entries)} entries, heap ${report.heapBeforeMB} → ${report.heapFullMB} (cache full) → ${report.heapAfterMB} MB; ${report.withinBound ? 'within' : 'OUTSIDE'} the bound`,
  );
}

function nestSpec(
  o: { provider: 'hmac' } | { provider: 'oidc'; issuer: string; jwksUri: string; cooldownMs?: number; jwks?: Record<string, unknown>[] },
): ServerSpec {
  const common = { audience: AUDIENCE, serverUrl: SERVER_URL, scopes: ['mcp:read', 'mcp:write'], cache: { maxEntries: CACHE_MAX_ENTRIES } };
  if (o.provider === 'hmac') {
    return {
      kind: 'nest',
      options: { ...common, provider: 'hmac', jwtSecret: SECRET, issuer: HMAC_ISSUER },
      bare: { secret: SECRET, algorithms: ['HS256'], issuer: HMAC_ISSUER, audience: AUDIENCE },
    };
  }
  return {
    kind: 'nest',
    bare: o.jwks ? { jwks: o.jwks, algorithms: ['RS256', 'ES256'], issuer: o.issuer, audience: AUDIENCE } : undefined,
    options: {
      ...common,
      provider: 'oidc',
      issuer: o.issuer,
      jwksUri: o.jwksUri,
      algorithms: ['RS256', 'ES256'],
      ...(o.cooldownMs !== undefined ? { jwks: { cooldownMs: o.cooldownMs } } : {}),
    },
  };
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

function printTable(): void {
  const rows = results.map((r) => {
    const value =
      r.ratio !== undefined
        ? fmt(r.ratio, 3)
        : r.valueMicros !== undefined
          ? `${fmt(r.valueMicros as number, 1)} µs`
          : r.jwksFetches !== undefined
            ? `${r.jwksFetches} fetch`
            : r.entries !== undefined
              ? `${fmt(r.entries as number)} entries`
              : r.valueMs !== undefined
                ? `${fmt(r.valueMs as number, 2)} ms`
                : r.reqPerSec !== undefined
                  ? `${fmt(r.reqPerSec)}/s`
                  : '';
    const comparator = r.targetOf?.includes('>=') ? '≥' : r.targetOf?.includes('==') ? '=' : '≤';
    const target = r.target === undefined ? '' : `${comparator} ${fmt(r.target, r.target < 10 ? 2 : 1)}`;
    const verdict = r.met === undefined ? '' : r.met ? 'met' : r.noisy ? 'NOISY' : 'MISSED';
    const notes =
      r.name === 'memory-bound'
        ? `heap ${r.heapBeforeMB} → ${r.heapFullMB} → ${r.heapAfterMB} MB`
        : r.jwksFetches !== undefined && r.name.startsWith('flood')
          ? `${fmt(r.jwksFetches as number)} JWKS fetch(es), all 401`
          : r.name === 'jwks-herd'
            ? `${r.requests} requests, ${JSON.stringify(r.statusCodes)}`
            : r.name.startsWith('guard-hit')
              ? `of which SHA-256 ${fmt(r.sha256Micros as number, 2)} µs (${r.tokenLength} characters)`
              : r.name.startsWith('peer-sdk')
                ? 'MCP SDK requireBearerAuth + jose'
                : r.name.startsWith('verify-')
                  ? `bare passport-jwt ${fmt(r.bareMicros as number, 1)} µs`
                  : r.name.startsWith('proxy-token-') && r.skipped === undefined
                    ? `node-oidc-provider ${fmt(r.peerReqPerSec as number)}/s; ${r.serverMicrosPerReq} µs server CPU/grant`
                    : r.name.startsWith('peer-oidc-provider-')
                      ? `${r.serverMicrosPerReq} µs server CPU/grant`
                      : r.name.startsWith('proxy-roundtrip-')
                        ? `added by the module; total ${fmt(r.totalMs as number, 2)} ms, dev IdP ${fmt(r.idpMs as number, 2)} ms`
                        : r.extraServerMicrosPerReq !== undefined
                          ? `+${r.extraServerMicrosPerReq} µs server CPU/req`
                          : ((r.skipped ?? '') as string);
    const noise = r.noise === undefined ? '' : fmt(r.noise as number, 3);
    return [r.name, value, target, verdict, noise, notes];
  });
  const header = ['case', 'value', 'target', '', 'noise', 'notes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(
    `(NOISY: the case's noise was above ${NOISE_LIMIT} or the load average above ${LOAD_LIMIT}, so a target is never reported met from it; rerun on a quiet machine)`,
  );
  console.log();
}

async function main(): Promise<void> {
  log(`machine: ${machine()}; ${DURATION} s per side in ${SLICE} s slices, ${WARMUP} s warm-up; load average ${loadAverage()}`);
  const rsa = generateBenchKey('RS256', 'rs-1');
  const ec = generateBenchKey('ES256', 'es-1');
  const hmac: BenchKey = { alg: 'HS256', secret: SECRET };
  const jwks = await new BenchJwksServer().start();
  jwks.keys = [rsa.publicJwk!, ec.publicJwk!];
  const hmacTemplate: ClaimsTemplate = { iss: HMAC_ISSUER, aud: AUDIENCE, ttl: 3600 };
  const jwksTemplate: ClaimsTemplate = { iss: jwks.url, aud: AUDIENCE, ttl: 3600 };
  const [hsToken] = await mintTokens(hmac, hmacTemplate, 1, 'hit');
  const [rsToken] = await mintTokens(rsa, jwksTemplate, 1, 'hit');

  const ours: Record<string, number | undefined> = {};
  let coldRs256: CaseResult | undefined;
  if (wanted('verify-')) verifyCase();
  if (wanted('guard-hit')) guardCase();
  if (wanted('cache-hit-hs256') || wanted('cold-hs256') || wanted('cache-hit-dpop')) {
    const server = await ServerProcess.start(nestSpec({ provider: 'hmac' }), 'nest-hmac');
    try {
      if (wanted('cache-hit-hs256')) {
        const hit = await cacheHitCase('cache-hit-hs256', server, '/guarded', hsToken, 0.95);
        ours.hs256 = hit.ratio;
        recordExtraCpu(hit, 5);
      }
      if (wanted('cold-hs256')) await coldCase('cold-hs256', server, hmac, hmacTemplate, 0.85);
      if (wanted('cache-hit-dpop')) await dpopCacheHitCase(server, hsToken, hmac);
    } finally {
      await server.stop();
    }
  }

  if (['cache-hit-rs256', 'cold-rs256', 'cold-es256'].some(wanted)) {
    const server = await ServerProcess.start(nestSpec({ provider: 'oidc', issuer: jwks.url, jwksUri: jwks.jwksUri, jwks: jwks.keys }), 'nest-oidc');
    try {
      if (wanted('cache-hit-rs256')) {
        const hit = await cacheHitCase('cache-hit-rs256', server, '/guarded', rsToken, 0.95);
        ours.rs256 = hit.ratio;
        recordExtraCpu(hit, 5);
      }
      if (wanted('cold-rs256')) coldRs256 = await coldCase('cold-rs256', server, rsa, jwksTemplate, 0.75);
      // The issue sets no target for ES256.
      if (wanted('cold-es256')) await coldCase('cold-es256', server, ec, jwksTemplate, undefined);
    } finally {
      await server.stop();
    }
  }

  if (['flood-garbage', 'flood-random-kid'].some(wanted)) {
    // The floods measure the verifier's own refusal path: with failed-auth throttling (on by default) one
    // load generator's address would get 429 after 100 failures (L142), so it is off on this server.
    const spec = nestSpec({ provider: 'oidc', issuer: jwks.url, jwksUri: jwks.jwksUri, jwks: jwks.keys }) as Extract<ServerSpec, { kind: 'nest' }>;
    const server = await ServerProcess.start({ ...spec, options: { ...spec.options, failedAuthThrottle: false } }, 'nest-oidc-flood');
    try {
      if (wanted('flood-garbage')) await floodCase('flood-garbage', server, garbageTokens(20_000), jwks, false);
      if (wanted('flood-random-kid')) await floodCase('flood-random-kid', server, randomKidTokens(20_000, jwksTemplate), jwks, true);
    } finally {
      await server.stop();
    }
  }

  if (wanted('jwks-herd')) await herdCase(rsa, jwksTemplate);

  if (['peer-sdk-hs256', 'peer-sdk-rs256'].some(wanted)) {
    const server = await ServerProcess.start(
      {
        kind: 'sdk-peer',
        audience: AUDIENCE,
        resourceMetadataUrl: `${SERVER_URL}/.well-known/oauth-protected-resource/mcp`,
        hmac: { secret: SECRET, issuer: HMAC_ISSUER },
        jwks: { jwksUri: jwks.jwksUri, issuer: jwks.url },
      },
      'sdk-peer',
    );
    try {
      for (const [alg, token] of [
        ['hs256', hsToken],
        ['rs256', rsToken],
      ] as const) {
        const name = `peer-sdk-${alg}`;
        if (!wanted(name)) continue;
        const oursRatio = ours[alg];
        const entry = await cacheHitCase(name, server, `/guarded-${alg}`, token, undefined, {
          note: `MCP SDK requireBearerAuth + jose jwtVerify on Express; same token as cache-hit-${alg}`,
          oursRatio,
        });
        if (oursRatio !== undefined)
          Object.assign(entry, { target: oursRatio, targetOf: 'ratio <= (ours)', ...judged(oursRatio >= entry.ratio!, entry.noise as number) });
        // The SDK has no cache: every request of its case is a full RS256 validation, like our cold case.
        if (alg === 'rs256' && coldRs256) {
          const needed = Number((entry.ratio! + 0.1).toFixed(3));
          const noise = Math.max(entry.noise as number, coldRs256.noise as number);
          results.push({
            name: 'cold-rs256-vs-sdk',
            ratio: coldRs256.ratio,
            peerRatio: entry.ratio,
            target: needed,
            targetOf: 'ratio >= (SDK peer ratio + 0.10, same run)',
            ...judged(coldRs256.ratio! >= needed, noise),
            noise,
          });
        }
      }
    } finally {
      await server.stop();
    }
  }
  await jwks.stop();

  if (wanted('memory-bound')) memoryCase();

  // Item 7: proxy mode (token endpoint grants/s with the MemoryStore and Redis; round-trip latency).
  results.push(...(await proxyCases(log, wanted)));

  log(`load average ${loadAverage()} (1, 5, 15 min; other processes on this machine skew the ratios)`);
  printTable();
  const output = {
    machine: machine(),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    noiseLimit: NOISE_LIMIT,
    loadLimit: LOAD_LIMIT,
    cases: results,
  };
  if (!ONLY) {
    writeFileSync(new URL('../../results.json', import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
    log('wrote bench/results.json');
  } else {
    log('BENCH_ONLY set: bench/results.json left unchanged');
  }
  const missed = results.filter((r) => r.met === false).map((r) => r.name);
  log(missed.length === 0 ? 'every target met' : `targets missed: ${missed.join(', ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
