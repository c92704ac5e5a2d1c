var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { All, Controller, HttpStatus, Req, Res } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { Public } from '../decorators/public.decorator.js';
import { applySecurityHeaders } from '../http/security-headers.js';
const PRM_PATH = '/.well-known/oauth-protected-resource';
const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
/**
 * RFC 9728 Protected Resource Metadata, at the root and at the path-suffixed URL of the MCP endpoint
 * (clients try the latter first). Open to every origin, never behind the bearer guard, no `null`s.
 */
let ProtectedResourceController = class ProtectedResourceController {
    body;
    paths;
    constructor(configService) {
        const c = configService.config;
        const basePath = new URL(c.serverUrl).pathname.replace(/\/$/, '');
        const suffixed = `${PRM_PATH}${basePath}${c.mcpPath}`;
        this.paths = new Set([PRM_PATH, `${PRM_PATH}/`, suffixed, `${suffixed}/`]);
        this.body = JSON.stringify({
            resource: c.resource,
            ...(c.authorizationServers.length > 0 ? { authorization_servers: c.authorizationServers } : {}),
            scopes_supported: c.scopes,
            bearer_methods_supported: ['header'],
            ...(c.resourceName ? { resource_name: c.resourceName } : {}),
        });
    }
    serve(req, res) {
        applySecurityHeaders(res, 'public, max-age=300');
        res.setHeader('Access-Control-Allow-Origin', '*');
        if (!this.paths.has(req.path)) {
            res.status(HttpStatus.NOT_FOUND).json({ error: 'not_found', error_description: 'No such metadata document' });
            return;
        }
        if (req.method === 'OPTIONS') {
            res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
            const requested = req.headers['access-control-request-headers'];
            if (typeof requested === 'string' && /^[A-Za-z0-9-, ]{0,512}$/.test(requested)) {
                res.setHeader('Access-Control-Allow-Headers', requested);
            }
            res.setHeader('Access-Control-Max-Age', '86400');
            res.status(HttpStatus.NO_CONTENT).end();
            return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            res.setHeader('Allow', ALLOWED_METHODS);
            res.status(HttpStatus.METHOD_NOT_ALLOWED).json({ error: 'method_not_allowed', error_description: 'Use GET' });
            return;
        }
        res.status(HttpStatus.OK).type('application/json').send(this.body);
    }
};
__decorate([
    All([PRM_PATH.slice(1), `${PRM_PATH.slice(1)}/*path`]),
    __param(0, Req()),
    __param(1, Res()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, Object]),
    __metadata("design:returntype", void 0)
], ProtectedResourceController.prototype, "serve", null);
ProtectedResourceController = __decorate([
    Public(),
    Controller(),
    __metadata("design:paramtypes", [OAuthMcpConfigService])
], ProtectedResourceController);
export { ProtectedResourceController };
