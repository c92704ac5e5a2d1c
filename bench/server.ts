/**
 * A server under test, run in its own process (fork) so the load generator and the server each get
 * a core. argv[2] is a JSON `ServerSpec`; the process answers `ready` with its port over IPC, then
 * `cpu` requests with its CPU time, and exits on `stop`.
 *
 * Every server exposes the same handler twice: `GET /open` (unguarded baseline) and
 * `GET /guarded[-…]` (guarded), so guarded and unguarded runs share one process layout.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { type CanActivate, Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, type SecretOrKeyProvider } from 'passport-jwt';
import { NestFactory } from '@nestjs/core';
import express, { type Request, type Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidTokenError as SdkInvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { JwtAuthGuard } from '../src/resource-server/guards/jwt-auth.guard.js';
import type { OAuthMcpModuleOptions } from '../src/config/oauth-mcp-options.interface.js';
import { OAuthMcpModule } from '../src/oauth-mcp.module.js';
import { type OidcPeerOptions, startOidcPeer } from './oidc-peer.js';

/** The bare-passport-jwt route's verification material: what an app's own AuthGuard('jwt') would use. */
export interface BareJwtSpec {
  secret?: string;
  /** Public JWKs by kid (RS256/ES256). */
  jwks?: Record<string, unknown>[];
  algorithms: string[];
  issuer: string;
  audience: string;
}

export type ServerSpec =
  | { kind: 'nest'; options: OAuthMcpModuleOptions; bare?: BareJwtSpec }
  /** Proxy mode: the module alone (its /oauth/* and metadata routes), listening on `port`. */
  | { kind: 'nest-proxy'; options: OAuthMcpModuleOptions; port: number }
  /** Proxy-mode peer: node-oidc-provider's own endpoints (oidc-peer.ts), listening on `port`. */
  | ({ kind: 'oidc-peer' } & OidcPeerOptions)
  | {
      kind: 'sdk-peer';
      audience: string;
      resourceMetadataUrl: string;
      hmac: { secret: string; issuer?: string };
      jwks: { jwksUri: string; issuer: string };
    };

const BODY = { ok: true };

@Controller()
class OpenController {
  @Get('open')
  open() {
    return BODY;
  }
}

@UseGuards(JwtAuthGuard)
@Controller()
class GuardedController {
  @Get('guarded')
  guarded() {
    return BODY;
  }
}

/** A guard that lets everything through: what Nest charges for running any guard at all. */
class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@UseGuards(AllowAllGuard)
@Controller()
class NoopGuardedController {
  @Get('guarded-noop')
  guarded() {
    return BODY;
  }
}

/**
 * `GET /guarded-bare`: bare passport-jwt behind @nestjs/passport's AuthGuard, no cache, no rules of this
 * module: what the verification alone costs end to end, for comparison in the same process.
 */
@UseGuards(AuthGuard('bench-bare-jwt'))
@Controller()
class BareGuardedController {
  @Get('guarded-bare')
  guarded() {
    return BODY;
  }
}

function registerBareStrategy(spec: BareJwtSpec): void {
  const secret = spec.secret ? createSecretKey(Buffer.from(spec.secret, 'utf8')) : undefined;
  const byKid = new Map((spec.jwks ?? []).map((jwk) => [jwk.kid as string, createPublicKey({ key: jwk as never, format: 'jwk' })]));
  passport.use(
    'bench-bare-jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: ((_req: unknown, raw: string, done: (err: unknown, key?: KeyObject) => void) => {
          const kid = (JSON.parse(Buffer.from(raw.split('.')[0], 'base64url').toString()) as { kid?: string }).kid;
          const key = secret ?? (kid ? byKid.get(kid) : undefined);
          done(key ? null : new Error('unknown key'), key);
        }) as unknown as SecretOrKeyProvider,
        algorithms: spec.algorithms as never,
        issuer: spec.issuer,
        audience: spec.audience,
        jsonWebTokenOptions: { clockTolerance: 30 },
      },
      (payload: unknown, done: (err: unknown, user: unknown) => void) => done(null, payload),
    ),
  );
}

async function startNest(options: OAuthMcpModuleOptions, bare?: BareJwtSpec): Promise<{ port: number; close: () => Promise<void> }> {
  if (bare) registerBareStrategy(bare);
  @Module({
    imports: [OAuthMcpModule.forRoot({ ...options, global: false })],
    controllers: [OpenController, GuardedController, NoopGuardedController, ...(bare ? [BareGuardedController] : [])],
  })
  class BenchAppModule {}
  const app: INestApplication = await NestFactory.create(BenchAppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { port, close: () => app.close() };
}

async function startProxy(options: OAuthMcpModuleOptions, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  @Module({ imports: [OAuthMcpModule.forRoot({ ...options, global: false })] })
  class BenchProxyModule {}
  const app: INestApplication = await NestFactory.create(BenchProxyModule, { logger: false });
  await app.listen(port, '127.0.0.1');
  return { port, close: () => app.close() };
}

/** The official MCP SDK v1 bearer middleware with a jose `jwtVerify` verifier (no cache: the SDK has none). */
function sdkVerifier(key: Uint8Array | JWTVerifyGetKey, issuer: string | undefined, audience: string, algorithms: string[]) {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      try {
        const { payload } = await jwtVerify(token, key as Uint8Array, {
          issuer,
          audience,
          algorithms,
          clockTolerance: 30,
          requiredClaims: ['exp', 'sub'],
        });
        return {
          token,
          clientId: typeof payload.client_id === 'string' ? payload.client_id : '',
          scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
          expiresAt: payload.exp,
        };
      } catch {
        throw new SdkInvalidTokenError('Invalid token');
      }
    },
  };
}

async function startPeer(spec: Extract<ServerSpec, { kind: 'sdk-peer' }>): Promise<{ port: number; close: () => Promise<void> }> {
  const app = express();
  const handler = (_req: Request, res: Response) => {
    res.json(BODY);
  };
  app.get('/open', handler);
  const hmacKey = new TextEncoder().encode(spec.hmac.secret);
  app.get(
    '/guarded-hs256',
    requireBearerAuth({
      verifier: sdkVerifier(hmacKey, spec.hmac.issuer, spec.audience, ['HS256']),
      resourceMetadataUrl: spec.resourceMetadataUrl,
    }),
    handler,
  );
  const jwks = createRemoteJWKSet(new URL(spec.jwks.jwksUri));
  app.get(
    '/guarded-rs256',
    requireBearerAuth({
      verifier: sdkVerifier(jwks, spec.jwks.issuer, spec.audience, ['RS256', 'ES256']),
      resourceMetadataUrl: spec.resourceMetadataUrl,
    }),
    handler,
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as ServerSpec;
  const server =
    spec.kind === 'nest'
      ? await startNest(spec.options, spec.bare)
      : spec.kind === 'nest-proxy'
        ? await startProxy(spec.options, spec.port)
        : spec.kind === 'oidc-peer'
          ? await startOidcPeer(spec)
          : await startPeer(spec);
  let profiler: Session | undefined;
  process.on('message', async (message: string) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      // The main thread alone (Node ≥ 23.9): the request path, without GC and compiler helper threads.
      const main = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.();
      process.send!({ type: 'cpu', micros: user + system, mainMicros: main ? main.user + main.system : undefined });
    } else if (message === 'profile-start') {
      // A CPU profile of one phase only (BENCH_PHASE_PROF): what the server does while that phase runs.
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.post('Profiler.start');
      process.send!({ type: 'profile-started' });
    } else if (typeof message === 'string' && message.startsWith('profile-stop:')) {
      const { profile } = await profiler!.post('Profiler.stop');
      writeFileSync(message.slice('profile-stop:'.length), JSON.stringify(profile));
      profiler!.disconnect();
      process.send!({ type: 'profile-stopped' });
    } else if (message === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', port: server.port });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
