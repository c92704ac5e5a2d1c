/**
 * In process (no HTTP), run by run.ts in its own process: `TokenVerifier.verify` against bare
 * passport-jwt on the same tokens, so the cost of this module's layer is a difference measured in one
 * process and one run, not a guess.
 *
 * - bare passport-jwt: `passport.authenticate('jwt')` with a passport-jwt Strategy over
 *   `ExtractJwt.fromAuthHeaderAsBearerToken()`, the verification key as a KeyObject, the same algorithm
 *   allowlist, issuer, audience and clock skew, and a verify callback that returns the payload (what a
 *   Nest app's `AuthGuard('jwt')` runs, without our rules and without a cache).
 * - ours: the module's `TokenVerifier` (strict extraction, SHA-256 + LRU cache, JOSE header rules, the
 *   module's Passport and strategy, claim checks, the user mapping), wired by `OAuthMcpModule` as an
 *   application gets it.
 * - cold: each token is seen once (a cache miss and a full validation); hit: one token again and again.
 *
 * Each side runs ROUNDS blocks in A B B A order; the figure is the median of the blocks' CPU µs/op, with its
 * quartiles, and for cold blocks the quartiles of ours minus the bare block beside it (run.ts judges the targets
 * on those); the noise is the coefficient of variation of the blocks. Prints one JSON line (VerifyReport).
 */
import 'reflect-metadata';
import { createPublicKey, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, type SecretOrKeyProvider } from 'passport-jwt';
import type { OAuthMcpModuleOptions } from '../src/config/oauth-mcp-options.interface.js';
import { TokenVerifier } from '../src/resource-server/verification/token-verifier.service.js';
import { BenchJwksServer } from './jwks-server.js';
import { generateBenchKey, mintTokens, type BenchKey, type ClaimsTemplate } from './tokens.js';
import { moduleContext } from './module-context.js';

export interface VerifySide {
  /** Median µs per verification over the blocks. */
  micros: number;
  /** First and third quartile of the blocks' µs/op. */
  p25: number;
  p75: number;
  /** Coefficient of variation of the blocks' µs/op. */
  noise: number;
}

/** Ours minus bare passport-jwt, block by block (each pair adjacent in the A B B A order, so drift cancels). */
export interface VerifyDifference {
  micros: number;
  p25: number;
  p75: number;
}

export interface VerifyReport {
  alg: string;
  cold: { ours: VerifySide; bare: VerifySide; difference: VerifyDifference; blockSize: number };
  hit: { ours: VerifySide; bare: VerifySide; blockSize: number };
}

const ROUNDS = Number(process.env.BENCH_VERIFY_ROUNDS ?? 8);
const AUDIENCE = 'http://127.0.0.1:9/mcp';
const SERVER_URL = 'http://127.0.0.1:9';

type Req = { headers: Record<string, string>; query: Record<string, never>; body: undefined };
const request = (token: string): Req => ({ headers: { authorization: `Bearer ${token}` }, query: {}, body: undefined });

/** passport-jwt as an application would use it, without this module. */
function barePassportJwt(key: KeyObject, alg: string, issuer: string): (req: Req) => Promise<unknown> {
  const bare = new passport.Passport();
  bare.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: ((_req: unknown, _raw: string, done: (err: unknown, key: KeyObject) => void) => done(null, key)) as unknown as SecretOrKeyProvider,
        algorithms: [alg as 'HS256'],
        issuer,
        audience: AUDIENCE,
        jsonWebTokenOptions: { clockTolerance: 30 },
      },
      (payload: unknown, done: (err: unknown, user: unknown) => void) => done(null, payload),
    ),
  );
  return (req) =>
    new Promise((resolve, reject) => {
      bare.authenticate('jwt', { session: false }, (err: unknown, user: unknown) => (err || !user ? reject(err ?? new Error('refused')) : resolve(user)))(
        req,
        {},
        reject,
      );
    });
}

async function ours(options: OAuthMcpModuleOptions): Promise<{ verify: (req: Req) => Promise<unknown>; close: () => Promise<void> }> {
  const app = await moduleContext(options);
  const verifier = app.get(TokenVerifier);
  return { verify: (req) => verifier.verify(req), close: () => app.close() };
}

/**
 * Runs `op` over `tokens` sequentially; CPU µs (user + system, this process) per op. CPU time rather
 * than wall time: on a shared machine the process is descheduled now and then, which is not its cost.
 */
async function block(op: (req: Req) => Promise<unknown>, tokens: readonly string[]): Promise<number> {
  const before = process.cpuUsage();
  for (const token of tokens) await op(request(token));
  const { user, system } = process.cpuUsage(before);
  return (user + system) / tokens.length;
}

/** The q-quantile of `samples` (linear interpolation between closest ranks). */
function quantile(samples: readonly number[], q: number): number {
  const sorted = samples.slice().sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
}

const round2 = (x: number): number => Number(x.toFixed(2));

function summarize(samples: number[]): VerifySide {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((a, x) => a + (x - mean) ** 2, 0) / samples.length);
  return {
    micros: round2(quantile(samples, 0.5)),
    p25: round2(quantile(samples, 0.25)),
    p75: round2(quantile(samples, 0.75)),
    noise: Number((sd / mean).toFixed(3)),
  };
}

function difference(a: readonly number[], b: readonly number[]): VerifyDifference {
  const pairs = a.map((x, i) => x - b[i]);
  return { micros: round2(quantile(pairs, 0.5)), p25: round2(quantile(pairs, 0.25)), p75: round2(quantile(pairs, 0.75)) };
}

/** A B B A …: both sides see the same drift. */
async function compare(
  a: (req: Req) => Promise<unknown>,
  b: (req: Req) => Promise<unknown>,
  tokensFor: (round: number, side: 'a' | 'b') => readonly string[],
): Promise<{ a: VerifySide; b: VerifySide; difference: VerifyDifference }> {
  const samples = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < 2 * ROUNDS; i++) {
    const side: 'a' | 'b' = [0, 3].includes(i % 4) ? 'a' : 'b';
    samples[side].push(await block(side === 'a' ? a : b, tokensFor(Math.floor(i / 2), side)));
  }
  return { a: summarize(samples.a), b: summarize(samples.b), difference: difference(samples.a, samples.b) };
}

async function measure(
  alg: 'HS256' | 'RS256',
  key: BenchKey,
  verificationKey: KeyObject,
  options: OAuthMcpModuleOptions,
  template: ClaimsTemplate,
): Promise<VerifyReport> {
  // Blocks of about 100–300 ms: long enough that a garbage collection or a timer tick is a small part of one.
  const coldBlock = alg === 'HS256' ? Number(process.env.BENCH_VERIFY_COLD_HS ?? 12_000) : Number(process.env.BENCH_VERIFY_COLD_RS ?? 4_000);
  const hitBlock = Number(process.env.BENCH_VERIFY_HIT ?? 200_000);
  const ourSide = await ours(options);
  const bare = barePassportJwt(verificationKey, alg, template.iss!);
  try {
    // Distinct tokens for every cold block of both sides, minted up front (outside the timed blocks).
    // A warm-up of one block per side first: the first blocks otherwise measure the JIT compiler too.
    const fresh = await mintTokens(key, template, coldBlock * (ROUNDS * 2 + 1));
    const warm = fresh.slice(0, coldBlock);
    await block(ourSide.verify, warm);
    await block(bare, warm);
    const slice = (round: number, side: 'a' | 'b') => {
      const start = (1 + round * 2 + (side === 'a' ? 0 : 1)) * coldBlock;
      return fresh.slice(start, start + coldBlock);
    };
    const cold = await compare(ourSide.verify, bare, slice);
    const [hitToken] = await mintTokens(key, template, 1, 'hit');
    const repeated = new Array<string>(hitBlock).fill(hitToken);
    await block(ourSide.verify, repeated.slice(0, 20_000));
    await block(bare, repeated.slice(0, 20_000));
    const hit = await compare(ourSide.verify, bare, () => repeated);
    return {
      alg,
      cold: { ours: cold.a, bare: cold.b, difference: cold.difference, blockSize: coldBlock },
      hit: { ours: hit.a, bare: hit.b, blockSize: hitBlock },
    };
  } finally {
    await ourSide.close();
  }
}

async function main(): Promise<void> {
  const secret = randomBytes(32).toString('base64url');
  const hmacIssuer = 'https://bench-idp.example';
  const common = { audience: AUDIENCE, serverUrl: SERVER_URL, scopes: ['mcp:read', 'mcp:write'], cache: { maxEntries: 10_000 } };
  const reports: VerifyReport[] = [];
  if (!process.env.BENCH_VERIFY_ALG || process.env.BENCH_VERIFY_ALG === 'HS256') {
    reports.push(
      await measure(
        'HS256',
        { alg: 'HS256', secret },
        createSecretKey(Buffer.from(secret, 'utf8')),
        { ...common, provider: 'hmac', jwtSecret: secret, issuer: hmacIssuer },
        {
          iss: hmacIssuer,
          aud: AUDIENCE,
          ttl: 3600,
        },
      ),
    );
  }
  if (!process.env.BENCH_VERIFY_ALG || process.env.BENCH_VERIFY_ALG === 'RS256') {
    const rsa = generateBenchKey('RS256', 'rs-1');
    const jwks = await new BenchJwksServer().start();
    jwks.keys = [rsa.publicJwk!];
    try {
      reports.push(
        await measure(
          'RS256',
          rsa,
          createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' }),
          { ...common, provider: 'oidc', issuer: jwks.url, jwksUri: jwks.jwksUri, algorithms: ['RS256'] },
          { iss: jwks.url, aud: AUDIENCE, ttl: 3600 },
        ),
      );
    } finally {
      await jwks.stop();
    }
  }
  console.log(JSON.stringify(reports));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
