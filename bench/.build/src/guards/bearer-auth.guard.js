var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { InsufficientScopeError, OAuthError } from '../errors/oauth.errors.js';
import { applySecurityHeaders } from '../http/security-headers.js';
import { coversScopes } from '../http/scope-check.js';
import { bearerChallenge } from '../http/www-authenticate.js';
import { REQUIRED_SCOPES_KEY } from '../oauth-mcp.constants.js';
import { TokenVerifier } from '../tokens/token-verifier.service.js';
/**
 * Shared work of `JwtAuthGuard` and `McpAuthGuard`: verify the bearer token, set `req.user` and
 * `req.auth` (the MCP SDK's `AuthInfo`), enforce required scopes, and on failure write the single
 * RFC 6750 challenge before Nest sends the `{ error, error_description }` body.
 */
let BearerAuthGuard = class BearerAuthGuard {
    verifier;
    reflector;
    config;
    constructor(verifier, configService, reflector) {
        this.verifier = verifier;
        this.reflector = reflector;
        this.config = configService.config;
    }
    async canActivate(context) {
        if (context.getType() !== 'http')
            return false;
        if (this.isPublic(context))
            return true;
        const http = context.switchToHttp();
        const req = http.getRequest();
        try {
            // A second guard on the same request (global + MCP guard) reuses the first verification.
            if (!req.auth) {
                const { token, user } = await this.verifier.verify(req);
                req.user = user;
                req.auth = {
                    token,
                    clientId: user.clientId ?? '',
                    scopes: user.scopes,
                    expiresAt: user.expiresAt,
                    resource: new URL(this.config.resource),
                    extra: { user },
                };
            }
            const required = this.requiredScopes(context, req);
            if (!coversScopes(req.auth.scopes, required, this.config.impliedScopes)) {
                throw new InsufficientScopeError(required);
            }
            return true;
        }
        catch (err) {
            if (err instanceof OAuthError)
                this.challenge(http.getResponse(), err);
            throw err;
        }
    }
    /** Routes the guard lets through without a token. */
    isPublic(_context) {
        return false;
    }
    /** Scopes the current operation needs: `@RequireScopes()` on the handler or the controller. */
    requiredScopes(context, _req) {
        return this.reflector.getAllAndOverride(REQUIRED_SCOPES_KEY, [context.getHandler(), context.getClass()]) ?? [];
    }
    challenge(res, err) {
        applySecurityHeaders(res);
        res.setHeader('WWW-Authenticate', bearerChallenge(err, this.config.resourceMetadataUrl, this.config.scopes));
        // Browser clients (Inspector direct mode, claude.ai) must be able to read the challenge.
        res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
    }
};
BearerAuthGuard = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TokenVerifier,
        OAuthMcpConfigService,
        Reflector])
], BearerAuthGuard);
export { BearerAuthGuard };
