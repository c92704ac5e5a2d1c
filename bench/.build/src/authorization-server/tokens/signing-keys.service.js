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
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { randomToken } from '../crypto/random.js';
import { SecretBox } from '../crypto/secret-box.js';
const STORE_KEY = 'keys:signing';
/**
 * This server's signing keys (proxy mode): from `OAUTH_SIGNING_JWKS`, else generated once and kept in
 * the store sealed with a key derived from `JWT_SECRET` (so every replica sharing the store signs and
 * verifies with the same keys). Only public members are ever published.
 */
let SigningKeyService = class SigningKeyService {
    configService;
    store;
    keys = [];
    constructor(configService, store) {
        this.configService = configService;
        this.store = store;
    }
    async onModuleInit() {
        const c = this.configService.config;
        if (c.mode !== 'proxy')
            return;
        const configured = c.signingKeys.length > 0 ? c.signingKeys : await this.loadOrGenerate(c.signingAlgorithm, c.jwtSecret);
        this.keys = configured.map(toSigningKey);
    }
    /** The key new tokens are signed with. */
    current() {
        return this.keys[0];
    }
    find(kid) {
        return this.keys.find((k) => k.kid === kid);
    }
    publicJwks() {
        return { keys: this.keys.map((k) => k.publicJwk) };
    }
    async loadOrGenerate(alg, secret) {
        const box = new SecretBox(secret, 'signing-keys');
        const fresh = [generate(alg)];
        // setIfAbsent: when replicas start together, exactly one generated key wins and all use it.
        await this.store.setIfAbsent(STORE_KEY, box.seal(fresh));
        const sealed = await this.store.get(STORE_KEY);
        const keys = sealed ? box.open(sealed) : undefined;
        if (!keys)
            throw new Error('the stored signing keys cannot be opened with this JWT_SECRET (was it changed?)');
        return keys;
    }
};
SigningKeyService = __decorate([
    Injectable(),
    __param(1, Inject(OAUTH_MCP_STORE)),
    __metadata("design:paramtypes", [OAuthMcpConfigService, Object])
], SigningKeyService);
export { SigningKeyService };
function generate(alg) {
    const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { kid: randomToken(12), alg, jwk: pair.privateKey.export({ format: 'jwk' }) };
}
function toSigningKey(key) {
    const privateKey = createPrivateKey({ key: key.jwk, format: 'jwk' });
    const publicKey = createPublicKey(privateKey);
    const jwk = publicKey.export({ format: 'jwk' });
    return {
        kid: key.kid,
        alg: key.alg,
        privateKey,
        publicJwk: { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' },
        publicPem: publicKey.export({ format: 'pem', type: 'spki' }),
    };
}
