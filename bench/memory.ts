/**
 * Item 5, run by run.ts in its own process with --expose-gc, in process (no HTTP): 1,000,000
 * distinct valid HS256 tokens through the validated-token cache. The first `maxEntries` go through
 * the real TokenVerifier (extraction, SHA-256, miss, JOSE header, Passport strategy, insert), which
 * fills the cache with real entries; the rest take the same cache path the verifier takes after a
 * successful validation (SHA-256 of the token, `get` miss, `set` of the user built from the claims)
 * without the signature check, so a million fit in a few seconds. Heap is sampled after a full GC
 * with the cache empty, once it is full, and at the end; the cache must hold at most maxEntries and
 * the heap must not grow once it is full. Prints one JSON line (MemoryReport).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { OAuthMcpConfigService } from '../src/config/oauth-mcp-config.service.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../src/oauth-mcp.internal-constants.js';
import { checkCommonClaims, toUser } from '../src/resource-server/strategies/token-claims.js';
import { TokenCache } from '../src/resource-server/verification/token-cache.js';
import { tokenHash } from '../src/resource-server/verification/token-fingerprint.js';
import { TokenVerifier } from '../src/resource-server/verification/token-verifier.service.js';
import { claims, signer } from './tokens.js';
import { moduleContext } from './module-context.js';

export interface MemoryReport {
  tokens: number;
  maxEntries: number;
  entries: number;
  heapBeforeMB: number;
  heapFullMB: number;
  heapAfterMB: number;
  /** (heap when full − heap before) / maxEntries. */
  bytesPerEntry: number;
  /** Growth between "cache full" and the end, MB (≈ 0 when the bound holds). */
  growthAfterFullMB: number;
  /** Tokens that went through TokenVerifier.verify (the rest through the cache path only). */
  viaVerifier: number;
  seconds: number;
  withinBound: boolean;
}

const TOKENS = Number(process.env.BENCH_MEMORY_TOKENS ?? 1_000_000);
const MAX_ENTRIES = Number(process.env.BENCH_CACHE_MAX_ENTRIES ?? 10_000);
const AUDIENCE = 'http://127.0.0.1:9/mcp';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heapMB = (): number => {
  gc!();
  gc!();
  return Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1));
};

async function main(): Promise<void> {
  const secret = randomBytes(32).toString('base64url');
  // The module wires the verifier, its strategies and its cache exactly as an application gets them.
  const app = await moduleContext({
    provider: 'hmac',
    jwtSecret: secret,
    audience: AUDIENCE,
    serverUrl: 'http://127.0.0.1:9',
    cache: { maxEntries: MAX_ENTRIES },
  });
  const { config } = app.get(OAuthMcpConfigService);
  const verifier = app.get(TokenVerifier);
  const cache = app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE);
  const sign = signer({ alg: 'HS256', secret });
  const template = { aud: AUDIENCE, ttl: 3600 };
  const now = Math.floor(Date.now() / 1000);
  // Tokens are minted on the fly so the bench itself holds none of them.
  const verifyNth = async (i: number): Promise<void> => {
    const { user } = await verifier.verify({ headers: { authorization: `Bearer ${sign(claims(template, `mem-${i}`, now))}` } });
    if (user.sub !== 'bench-user') throw new Error('unexpected user');
  };
  const cacheNth = (i: number): void => {
    const payload = claims(template, `mem-${i}`, now);
    const hash = tokenHash(sign(payload));
    if (cache.get(hash) !== undefined) throw new Error('unexpected cache hit');
    cache.set(hash, toUser(checkCommonClaims(payload, config), 'hmac'));
  };

  const heapBeforeMB = heapMB();
  const start = performance.now();
  let i = 0;
  for (; i < MAX_ENTRIES; i++) await verifyNth(i);
  const heapFullMB = heapMB();
  for (; i < TOKENS; i++) cacheNth(i);
  const seconds = (performance.now() - start) / 1000;
  const heapAfterMB = heapMB();
  const entries = cache.size;
  const growthAfterFullMB = Number((heapAfterMB - heapFullMB).toFixed(1));
  const bytesPerEntry = Math.round(((heapFullMB - heapBeforeMB) * 2 ** 20) / MAX_ENTRIES);
  // "Within the bound": never more than maxEntries, and no growth past the full cache beyond 10 % (GC noise).
  const withinBound = entries <= MAX_ENTRIES && heapAfterMB <= heapFullMB * 1.1 + 1;
  const report: MemoryReport = {
    tokens: TOKENS,
    maxEntries: MAX_ENTRIES,
    entries,
    heapBeforeMB,
    heapFullMB,
    heapAfterMB,
    bytesPerEntry,
    growthAfterFullMB,
    viaVerifier: MAX_ENTRIES,
    seconds: Number(seconds.toFixed(1)),
    withinBound,
  };
  await app.close();
  console.log(JSON.stringify(report));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
