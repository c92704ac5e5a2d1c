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
import { Inject, Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
/**
 * Revocation state of this server's tokens. A grant (refresh-token family) is revoked as a whole; the
 * marker outlives every token the family could have issued. The guard asks `isRevoked` on every
 * request in proxy mode, so a revocation takes effect at once, cache or not.
 */
let RevocationService = class RevocationService {
    configService;
    store;
    constructor(configService, store) {
        this.configService = configService;
        this.store = store;
    }
    async revokeFamily(fid) {
        const c = this.configService.config;
        await this.store.set(`revoked:fam:${fid}`, 1, c.refreshTokenTtlSeconds + c.accessTokenTtlSeconds);
        await this.store.delete(`family:${fid}`);
    }
    async isRevoked(fid) {
        if (typeof fid !== 'string')
            return true;
        return (await this.store.get(`revoked:fam:${fid}`)) !== undefined;
    }
};
RevocationService = __decorate([
    Injectable(),
    __param(1, Inject(OAUTH_MCP_STORE)),
    __metadata("design:paramtypes", [OAuthMcpConfigService, Object])
], RevocationService);
export { RevocationService };
