/**
 * `npm run bench`: what the guard costs, as ratios against an unguarded baseline and against the
 * official MCP SDK's bearer middleware, measured in one run on this machine (see bench/README.md).
 *
 * Env: BENCH_DURATION (s per measured run, default 5), BENCH_WARMUP (s, default 2),
 * BENCH_ONLY (regex over case names), BENCH_CPU_PROF=1 (servers write .cpuprofile files to bench/.prof/).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { BenchJwksServer } from './jwks-server.js';
import { runLoad, ServerProcess } from './load.js';
import { garbageTokens, generateBenchKey, mintTokens, randomKidTokens, } from './tokens.js';
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const wanted = (name) => !ONLY || ONLY.test(name);
const SERVER_URL = 'http://127.0.0.1:9';
const AUDIENCE = `${SERVER_URL}/mcp`;
const HMAC_ISSUER = 'https://bench-idp.example';
const SECRET = randomBytes(32).toString('base64url');
const CACHE_MAX_ENTRIES = 10_000;
const FLOOD_COOLDOWN_MS = 30_000;
const HERD_COOLDOWN_MS = 1_000;
const results = [];
const started = performance.now();
function log(message) {
    const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    console.log(`[${t}s] ${message}`);
}
const fmt = (n, digits = 0) => n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
function describeRun(label, r) {
    const codes = Object.entries(r.statusCodes)
        .map(([c, n]) => `${c}×${n}`)
        .join(' ');
    const cpu = r.serverCpu === undefined ? '' : `, server CPU ${fmt(r.serverCpu)}%`;
    return `${label.padEnd(10)} ${fmt(r.reqPerSec).padStart(7)} req/s (${r.requests} in ${r.seconds.toFixed(2)} s; ${codes}${r.errors ? `; ${r.errors} errors` : ''}${cpu})`;
}
function expectOnly(r, status, label) {
    const others = Object.entries(r.statusCodes).filter(([c]) => c !== status);
    if (others.length > 0 || r.errors > 0) {
        throw new Error(`${label}: expected only ${status}, got ${JSON.stringify(r.statusCodes)} and ${r.errors} errors`);
    }
}
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
/** Records a guarded/unguarded pair; rates are the mean of the two runs of each side. */
function recordRatio(name, guarded, open, target, extra = {}) {
    const reqPerSec = mean(guarded.map((r) => r.reqPerSec));
    const baselineReqPerSec = mean(open.map((r) => r.reqPerSec));
    const ratio = reqPerSec / baselineReqPerSec;
    const entry = {
        name,
        reqPerSec: Math.round(reqPerSec),
        baselineReqPerSec: Math.round(baselineReqPerSec),
        ratio: Number(ratio.toFixed(3)),
        ...(target !== undefined ? { target, targetOf: 'ratio >=', met: ratio >= target } : {}),
        serverCpuPercent: Math.round(mean(guarded.map((r) => r.serverCpu ?? 0))),
        baselineServerCpuPercent: Math.round(mean(open.map((r) => r.serverCpu ?? 0))),
        ...extra,
    };
    results.push(entry);
    log(`${name}: ${fmt(reqPerSec)} vs ${fmt(baselineReqPerSec)} req/s → ratio ${ratio.toFixed(3)}${target !== undefined ? ` (target ≥ ${target})` : ''}`);
    return entry;
}
/**
 * Item 1 (and 6): one valid token on every request. After a warm-up of both routes, the unguarded
 * and guarded routes of the same process alternate A B B A, so drift (thermal, GC, noisy
 * neighbours) weighs equally on both sides.
 */
async function cacheHitCase(name, server, guardedPath, token, target, extra = {}) {
    log(`${name}: warm-up`);
    await runLoad({ url: server.url('/open'), token, duration: WARMUP }, server);
    const warm = await runLoad({ url: server.url(guardedPath), token, duration: WARMUP }, server);
    expectOnly(warm, '200', `${name} warm-up`);
    const open = [];
    const guarded = [];
    for (const side of ['open', 'guarded', 'guarded', 'open']) {
        const r = await runLoad({ url: server.url(side === 'open' ? '/open' : guardedPath), token, duration: DURATION }, server);
        expectOnly(r, '200', `${name} ${side}`);
        (side === 'open' ? open : guarded).push(r);
        log(`  ${describeRun(side, r)}`);
    }
    return recordRatio(name, guarded, open, target, extra);
}
/**
 * Item 2: every guarded request carries a token the server has never seen (pre-minted, distinct
 * `jti`), so each one is a cache miss and a full validation. The warm-up measures the rate to size
 * the token lists of the measured runs (~DURATION s each); a guarded run sends each token once
 * (`amount`), the unguarded run cycles through the same list.
 */
async function coldCase(name, server, key, template, target) {
    const warmCount = key.alg === 'RS256' ? 3_000 : key.alg === 'ES256' ? 5_000 : 10_000;
    log(`${name}: minting ${warmCount} warm-up tokens`);
    const warmTokens = await mintTokens(key, template, warmCount + 50);
    await runLoad({ url: server.url('/open'), tokens: warmTokens, duration: WARMUP }, server);
    const warm = await runLoad({ url: server.url('/guarded'), tokens: warmTokens, amount: warmCount }, server);
    expectOnly(warm, '200', `${name} warm-up`);
    const perRun = Math.ceil(warm.reqPerSec * DURATION * 1.2);
    const mintStart = performance.now();
    const lists = [await mintTokens(key, template, perRun + 50), await mintTokens(key, template, perRun + 50)];
    log(`${name}: minted 2 × ${perRun} ${key.alg} tokens in ${((performance.now() - mintStart) / 1000).toFixed(1)} s`);
    const open = [];
    const guarded = [];
    const plan = [
        ['open', 0],
        ['guarded', 0],
        ['guarded', 1],
        ['open', 1],
    ];
    for (const [side, list] of plan) {
        const r = side === 'open'
            ? await runLoad({ url: server.url('/open'), tokens: lists[list], duration: DURATION }, server)
            : await runLoad({ url: server.url('/guarded'), tokens: lists[list], amount: perRun }, server);
        expectOnly(r, '200', `${name} ${side}`);
        (side === 'open' ? open : guarded).push(r);
        log(`  ${describeRun(side, r)}`);
    }
    return recordRatio(name, guarded, open, target, { tokensPerRun: perRun });
}
/** Item 3: invalid tokens only; every answer must be a 401, and the IdP must not be hammered. */
async function floodCase(name, server, tokens, jwks, maxFetches) {
    log(`${name}: warm-up`);
    await runLoad({ url: server.url('/guarded'), tokens, duration: WARMUP / 2 }, server);
    const fetchesBefore = jwks.fetches;
    const open = await runLoad({ url: server.url('/open'), tokens, duration: DURATION }, server);
    log(`  ${describeRun('open', open)}`);
    const guarded = await runLoad({ url: server.url('/guarded'), tokens, duration: DURATION }, server);
    log(`  ${describeRun('guarded', guarded)}`);
    expectOnly(guarded, '401', name);
    const jwksFetches = jwks.fetches - fetchesBefore;
    const entry = {
        name,
        reqPerSec: Math.round(guarded.reqPerSec),
        baselineReqPerSec: Math.round(open.reqPerSec),
        ratio: Number((guarded.reqPerSec / open.reqPerSec).toFixed(3)),
        jwksFetches,
        target: maxFetches,
        targetOf: `jwksFetches <= (per ${FLOOD_COOLDOWN_MS / 1000} s cooldown window)`,
        met: jwksFetches <= maxFetches,
        statusCodes: guarded.statusCodes,
        serverCpuPercent: Math.round(guarded.serverCpu ?? 0),
    };
    results.push(entry);
    log(`${name}: ${fmt(guarded.reqPerSec)} req/s of 401s, ${jwksFetches} JWKS fetch(es) during the flood (target ≤ ${maxFetches})`);
}
/**
 * Item 4: the IdP rotates in a new key, then 1,000 requests signed by it arrive at once (1,000
 * connections, one request each). The key store must fetch the JWKS once, and every request must pass.
 */
async function herdCase(rsa, template) {
    const name = 'jwks-herd';
    const jwks = await new BenchJwksServer().start();
    jwks.keys = [rsa.publicJwk];
    const herdTemplate = { ...template, iss: jwks.url };
    const server = await ServerProcess.start(nestSpec({ provider: 'oidc', issuer: jwks.url, jwksUri: jwks.jwksUri, cooldownMs: HERD_COOLDOWN_MS }), 'nest-herd');
    try {
        // Exercise the hot path with the old key first (the startup fetch is not counted).
        const oldTokens = await mintTokens(rsa, herdTemplate, 3_000);
        const warm = await runLoad({ url: server.url('/guarded'), tokens: oldTokens, amount: 2_900 }, server);
        expectOnly(warm, '200', `${name} warm-up`);
        const rotated = generateBenchKey('RS256', 'rs-rotated');
        const herdTokens = await mintTokens(rotated, herdTemplate, 1_100);
        await new Promise((resolve) => setTimeout(resolve, HERD_COOLDOWN_MS + 200));
        jwks.keys = [rsa.publicJwk, rotated.publicJwk];
        const before = jwks.fetches;
        const r = await runLoad({ url: server.url('/guarded'), tokens: herdTokens, amount: 1_000, connections: 1_000 }, server);
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
        log(`${name}: ${r.requests} concurrent requests with a newly rotated kid in ${r.seconds.toFixed(2)} s → ${jwksFetches} JWKS fetch(es) (target 1), statuses ${JSON.stringify(r.statusCodes)}`);
    }
    finally {
        await server.stop();
        await jwks.stop();
    }
}
/** Item 5: in a separate process (needs --expose-gc, and its heap must not be the load generator's). */
function memoryCase() {
    log('memory-bound: 1,000,000 distinct tokens through TokenVerifier and its cache');
    const out = execFileSync(process.execPath, ['--expose-gc', new URL('./memory.js', import.meta.url).pathname], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BENCH_CACHE_MAX_ENTRIES: String(CACHE_MAX_ENTRIES) },
    });
    const report = JSON.parse(out.trim().split('\n').pop());
    results.push({ name: 'memory-bound', ...report, target: CACHE_MAX_ENTRIES, targetOf: 'entries <= (and heap flat once full)', met: report.withinBound });
    log(`memory-bound: ${fmt(report.tokens)} tokens, ${fmt(report.entries)} entries, heap ${report.heapBeforeMB} → ${report.heapFullMB} (cache full) → ${report.heapAfterMB} MB; ${report.withinBound ? 'within' : 'OUTSIDE'} the bound`);
}
function nestSpec(o) {
    const common = { audience: AUDIENCE, serverUrl: SERVER_URL, scopes: ['mcp:read', 'mcp:write'], cache: { maxEntries: CACHE_MAX_ENTRIES } };
    if (o.provider === 'hmac')
        return { kind: 'nest', options: { ...common, provider: 'hmac', jwtSecret: SECRET, issuer: HMAC_ISSUER } };
    return {
        kind: 'nest',
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
function machine() {
    const cpus = os.cpus();
    return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}
function printTable() {
    const rows = results.map((r) => {
        const value = r.ratio !== undefined
            ? fmt(r.ratio, 3)
            : r.jwksFetches !== undefined
                ? `${r.jwksFetches} fetch`
                : r.entries !== undefined
                    ? `${fmt(r.entries)} entries`
                    : '';
        const target = r.target === undefined
            ? ''
            : r.targetOf === 'ratio >='
                ? `≥ ${r.target}`
                : r.targetOf === 'ratio <= (ours)'
                    ? `≤ ${fmt(r.target, 3)} (ours)`
                    : r.targetOf?.startsWith('jwksFetches <=')
                        ? `≤ ${r.target} fetch`
                        : r.targetOf === 'jwksFetches =='
                            ? `${r.target} fetch`
                            : `≤ ${fmt(r.target)} entries`;
        const notes = r.name === 'memory-bound'
            ? `heap ${r.heapBeforeMB} → ${r.heapFullMB} → ${r.heapAfterMB} MB`
            : r.jwksFetches !== undefined && r.name.startsWith('flood')
                ? `${fmt(r.jwksFetches)} JWKS fetch(es), all 401`
                : r.name === 'jwks-herd'
                    ? `${r.requests} requests, ${JSON.stringify(r.statusCodes)}`
                    : r.note ?? '';
        return [
            r.name,
            fmt(r.reqPerSec),
            fmt(r.baselineReqPerSec),
            value,
            target,
            r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
            notes,
        ];
    });
    const header = ['case', 'req/s', 'unguarded req/s', 'ratio / value', 'target', '', 'notes'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells) => cells.map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
    console.log();
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows)
        console.log(line(row));
    console.log();
}
async function main() {
    log(`machine: ${machine()}; ${DURATION} s per measured run, ${WARMUP} s warm-up`);
    const rsa = generateBenchKey('RS256', 'rs-1');
    const ec = generateBenchKey('ES256', 'es-1');
    const hmac = { alg: 'HS256', secret: SECRET };
    const jwks = await new BenchJwksServer().start();
    jwks.keys = [rsa.publicJwk, ec.publicJwk];
    const hmacTemplate = { iss: HMAC_ISSUER, aud: AUDIENCE, ttl: 3600 };
    const jwksTemplate = { iss: jwks.url, aud: AUDIENCE, ttl: 3600 };
    const [hsToken] = await mintTokens(hmac, hmacTemplate, 1, 'hit');
    const [rsToken] = await mintTokens(rsa, jwksTemplate, 1, 'hit');
    const ours = {};
    if (wanted('cache-hit-hs256') || wanted('cold-hs256')) {
        const server = await ServerProcess.start(nestSpec({ provider: 'hmac' }), 'nest-hmac');
        try {
            if (wanted('cache-hit-hs256'))
                ours.hs256 = (await cacheHitCase('cache-hit-hs256', server, '/guarded', hsToken, 0.95)).ratio;
            if (wanted('cold-hs256'))
                await coldCase('cold-hs256', server, hmac, hmacTemplate, 0.85);
        }
        finally {
            await server.stop();
        }
    }
    if (['cache-hit-rs256', 'cold-rs256', 'cold-es256', 'flood-garbage', 'flood-random-kid'].some(wanted)) {
        const server = await ServerProcess.start(nestSpec({ provider: 'oidc', issuer: jwks.url, jwksUri: jwks.jwksUri }), 'nest-oidc');
        try {
            if (wanted('cache-hit-rs256'))
                ours.rs256 = (await cacheHitCase('cache-hit-rs256', server, '/guarded', rsToken, 0.95)).ratio;
            if (wanted('cold-rs256'))
                await coldCase('cold-rs256', server, rsa, jwksTemplate, 0.7);
            // The issue sets no target for ES256; the RS256 one is shown for comparison.
            if (wanted('cold-es256'))
                await coldCase('cold-es256', server, ec, jwksTemplate, 0.7);
            // Let any earlier fetch's cooldown expire so the flood can trigger (at most) one fetch.
            if (wanted('flood-garbage'))
                await floodCase('flood-garbage', server, garbageTokens(20_000), jwks, 0);
            if (wanted('flood-random-kid')) {
                const windows = Math.ceil((DURATION * 1000) / FLOOD_COOLDOWN_MS);
                await floodCase('flood-random-kid', server, randomKidTokens(20_000, jwksTemplate), jwks, windows);
            }
        }
        finally {
            await server.stop();
        }
    }
    if (wanted('jwks-herd'))
        await herdCase(rsa, jwksTemplate);
    if (['peer-sdk-hs256', 'peer-sdk-rs256'].some(wanted)) {
        const server = await ServerProcess.start({
            kind: 'sdk-peer',
            audience: AUDIENCE,
            resourceMetadataUrl: `${SERVER_URL}/.well-known/oauth-protected-resource/mcp`,
            hmac: { secret: SECRET, issuer: HMAC_ISSUER },
            jwks: { jwksUri: jwks.jwksUri, issuer: jwks.url },
        }, 'sdk-peer');
        try {
            for (const [alg, token] of [
                ['hs256', hsToken],
                ['rs256', rsToken],
            ]) {
                const name = `peer-sdk-${alg}`;
                if (!wanted(name))
                    continue;
                const oursRatio = ours[alg];
                const entry = await cacheHitCase(name, server, `/guarded-${alg}`, token, undefined, {
                    note: `MCP SDK requireBearerAuth + jose jwtVerify on Express; same token as cache-hit-${alg}`,
                    oursRatio,
                });
                if (oursRatio !== undefined)
                    Object.assign(entry, { target: oursRatio, targetOf: 'ratio <= (ours)', met: oursRatio >= entry.ratio });
            }
        }
        finally {
            await server.stop();
        }
    }
    await jwks.stop();
    if (wanted('memory-bound'))
        memoryCase();
    results.push({ name: 'proxy-mode', skipped: 'skipped: proxy mode not implemented' });
    log('proxy-mode (item 7): skipped: proxy mode not implemented');
    printTable();
    const output = { machine: machine(), cases: results };
    if (!ONLY) {
        writeFileSync(new URL('../../results.json', import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
        log('wrote bench/results.json');
    }
    else {
        log('BENCH_ONLY set: bench/results.json left unchanged');
    }
    const missed = results.filter((r) => r.met === false).map((r) => r.name);
    log(missed.length === 0 ? 'every target met' : `targets missed: ${missed.join(', ')}`);
}
main().catch((err) => {
    console.error(err);
    process.exit(1);
});
