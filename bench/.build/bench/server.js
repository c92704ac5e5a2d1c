var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
/**
 * A server under test, run in its own process (fork) so the load generator and the server each get
 * a core. argv[2] is a JSON `ServerSpec`; the process answers `ready` with its port over IPC, then
 * `cpu` requests with its CPU time, and exits on `stop`.
 *
 * Every server exposes the same handler twice: `GET /open` (unguarded baseline) and
 * `GET /guarded[-…]` (guarded), so guarded and unguarded runs share one process layout.
 */
import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidTokenError as SdkInvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { JwtAuthGuard } from '../src/guards/jwt-auth.guard.js';
import { OAuthMcpModule } from '../src/oauth-mcp.module.js';
const BODY = { ok: true };
let OpenController = class OpenController {
    open() {
        return BODY;
    }
};
__decorate([
    Get('open'),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", void 0)
], OpenController.prototype, "open", null);
OpenController = __decorate([
    Controller()
], OpenController);
let GuardedController = class GuardedController {
    guarded() {
        return BODY;
    }
};
__decorate([
    Get('guarded'),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", void 0)
], GuardedController.prototype, "guarded", null);
GuardedController = __decorate([
    UseGuards(JwtAuthGuard),
    Controller()
], GuardedController);
async function startNest(options) {
    let BenchAppModule = class BenchAppModule {
    };
    BenchAppModule = __decorate([
        Module({ imports: [OAuthMcpModule.forRoot({ ...options, global: false })], controllers: [OpenController, GuardedController] })
    ], BenchAppModule);
    const app = await NestFactory.create(BenchAppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const port = app.getHttpServer().address().port;
    return { port, close: () => app.close() };
}
/** The official MCP SDK v1 bearer middleware with a jose `jwtVerify` verifier (no cache: the SDK has none). */
function sdkVerifier(key, issuer, audience, algorithms) {
    return {
        async verifyAccessToken(token) {
            try {
                const { payload } = await jwtVerify(token, key, {
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
            }
            catch {
                throw new SdkInvalidTokenError('Invalid token');
            }
        },
    };
}
async function startPeer(spec) {
    const app = express();
    const handler = (_req, res) => {
        res.json(BODY);
    };
    app.get('/open', handler);
    const hmacKey = new TextEncoder().encode(spec.hmac.secret);
    app.get('/guarded-hs256', requireBearerAuth({
        verifier: sdkVerifier(hmacKey, spec.hmac.issuer, spec.audience, ['HS256']),
        resourceMetadataUrl: spec.resourceMetadataUrl,
    }), handler);
    const jwks = createRemoteJWKSet(new URL(spec.jwks.jwksUri));
    app.get('/guarded-rs256', requireBearerAuth({
        verifier: sdkVerifier(jwks, spec.jwks.issuer, spec.audience, ['RS256', 'ES256']),
        resourceMetadataUrl: spec.resourceMetadataUrl,
    }), handler);
    const server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return {
        port: server.address().port,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
async function main() {
    const spec = JSON.parse(process.argv[2]);
    const server = spec.kind === 'nest' ? await startNest(spec.options) : await startPeer(spec);
    process.on('message', async (message) => {
        if (message === 'cpu') {
            const { user, system } = process.cpuUsage();
            process.send({ type: 'cpu', micros: user + system });
        }
        else if (message === 'stop') {
            await server.close();
            process.exit(0);
        }
    });
    process.send({ type: 'ready', port: server.port });
}
main().catch((err) => {
    console.error(err);
    process.exit(1);
});
