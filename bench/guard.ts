/**
 * In process, run by run.ts in its own process: what `JwtAuthGuard.canActivate` costs on a cache hit, without
 * HTTP and without Nest's guards consumer around it (a real `ExecutionContextHost` per call, as Nest makes one
 * per request), for a short token (HS256 claims, about 380 characters) and one the length of an RS256 token
 * (about 790). SHA-256 of the same token (the cache key) is measured beside it. CPU time per call, best of
 * ROUNDS blocks (the work is a few hundred nanoseconds: the best block is the one not interrupted). Prints one
 * JSON line (GuardReport).
 */
import 'reflect-metadata';
import { hash, randomBytes } from 'node:crypto';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { JwtAuthGuard } from '../src/resource-server/guards/jwt-auth.guard.js';
import { claims, signer } from './tokens.js';
import { moduleContext } from './module-context.js';

export interface GuardCase {
  tokenLength: number;
  /** CPU µs per `canActivate` on a cache hit. */
  guardMicros: number;
  /** CPU µs per SHA-256 of the token (base64url), part of the above. */
  sha256Micros: number;
}

export interface GuardReport {
  short: GuardCase;
  long: GuardCase;
}

const ROUNDS = 7;
const CALLS = 300_000;
const AUDIENCE = 'http://127.0.0.1:9/mcp';
const ISSUER = 'https://bench-idp.example';

class BenchController {
  guarded(): boolean {
    return true;
  }
}

function best(op: () => unknown): number {
  let lowest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) op();
    const { user, system } = process.cpuUsage(before);
    lowest = Math.min(lowest, (user + system) / CALLS);
  }
  return Number(lowest.toFixed(3));
}

async function main(): Promise<void> {
  const secret = randomBytes(32).toString('base64url');
  const app = await moduleContext({
    provider: 'hmac',
    jwtSecret: secret,
    issuer: ISSUER,
    audience: AUDIENCE,
    serverUrl: 'http://127.0.0.1:9',
    scopes: ['mcp:read'],
  });
  const guard = app.get(JwtAuthGuard);
  const sign = signer({ alg: 'HS256', secret });
  const measure = async (padding: number): Promise<GuardCase> => {
    // A padding claim stands in for the longer signature of an RS256 token: the hit path hashes the whole token.
    const token = sign({ ...claims({ iss: ISSUER, aud: AUDIENCE, ttl: 3600 }, 'guard'), ...(padding ? { pad: 'x'.repeat(padding) } : {}) });
    const request = () => ({ method: 'GET', url: '/guarded', headers: { host: '127.0.0.1', authorization: `Bearer ${token}` }, query: {}, body: undefined });
    const call = () => {
      const context = new ExecutionContextHost([request(), {}, undefined], BenchController, BenchController.prototype.guarded);
      context.setType('http');
      return guard.canActivate(context);
    };
    // The first call verifies the token and fills the cache; every later one is a hit, answered synchronously.
    await call();
    if (call() !== true) throw new Error('the guard did not answer a cache hit synchronously with true');
    return { tokenLength: token.length, guardMicros: best(call), sha256Micros: best(() => hash('sha256', token, 'base64url')) };
  };
  try {
    const report: GuardReport = { short: await measure(0), long: await measure(300) };
    console.log(JSON.stringify(report));
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
