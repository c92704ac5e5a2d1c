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
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { InvalidTokenError, OAuthError } from '../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../errors/messages.constant.js';
import { OAUTH_MCP_KEY_STORE, OAUTH_MCP_STRATEGIES, OAUTH_MCP_TOKEN_CACHE } from '../oauth-mcp.internal-constants.js';
import { extractBearerToken } from './bearer-token.extractor.js';
import { assertPayloadIsObject, inspectJoseHeader } from './jose-header.js';
import { DiscoveryIssuerMismatchError } from './oidc-discovery.js';
import { fingerprint, tokenHash } from './token-fingerprint.js';
import { RevocationService } from '../authorization-server/tokens/revocation.service.js';
const JWT_ERROR_MESSAGES = [
    [/audience/, TOKEN_MESSAGES.audience],
    [/issuer/, TOKEN_MESSAGES.issuer],
    [/signature/, TOKEN_MESSAGES.signature],
    [/algorithm/, TOKEN_MESSAGES.algorithm],
];
/** Maps a Passport failure (jsonwebtoken error, key lookup error) to a generic client-facing 401. */
function toInvalidToken(info) {
    const reasons = Array.isArray(info) ? info : [info];
    // With two HMAC secrets, the secret that does not match reports "invalid signature"; the other is more precise.
    const reason = reasons.find((r) => !(r instanceof Error && /signature/.test(r.message))) ?? reasons[0];
    if (reason instanceof InvalidTokenError)
        return reason;
    if (reason instanceof Error) {
        if (reason.name === 'TokenExpiredError')
            return new InvalidTokenError(TOKEN_MESSAGES.expired);
        if (reason.name === 'NotBeforeError')
            return new InvalidTokenError(TOKEN_MESSAGES.notYetValid);
        const known = JWT_ERROR_MESSAGES.find(([pattern]) => pattern.test(reason.message));
        if (known)
            return new InvalidTokenError(known[1]);
    }
    return new InvalidTokenError(TOKEN_MESSAGES.invalid);
}
/**
 * Verifies bearer tokens: strict extraction, validated-token cache (hit = one SHA-256 + one LRU
 * lookup), JOSE header checks, then the configured Passport strategies. Any failure is a 401 and is
 * logged with a SHA-256 prefix of the token only.
 * @publicApi
 */
let TokenVerifier = class TokenVerifier {
    strategies;
    cache;
    revocations;
    keys;
    config;
    logger;
    constructor(configService, strategies, cache, revocations, keys) {
        this.strategies = strategies;
        this.cache = cache;
        this.revocations = revocations;
        this.keys = keys;
        this.config = configService.config;
        this.logger = this.config.logger ?? new Logger('OAuthMcp');
    }
    /** Discovery and a first JWKS fetch at startup; an issuer mismatch stops the application. */
    async onApplicationBootstrap() {
        if (!this.keys)
            return;
        try {
            await this.keys.warmUp();
        }
        catch (err) {
            if (err instanceof DiscoveryIssuerMismatchError)
                throw err;
            this.logger.warn(`Could not reach the IdP at startup (${err.message}); tokens are refused until it answers`);
        }
    }
    async verify(req) {
        const token = extractBearerToken(req, this.config.maxTokenBytes);
        const hash = tokenHash(token);
        try {
            let user = this.cache.get(hash);
            if (!user) {
                const header = inspectJoseHeader(token, this.config.algorithms, this.config.requireAccessTokenType);
                assertPayloadIsObject(token);
                user = await this.authenticate({ token, header });
                this.cache.set(hash, user);
            }
            // Proxy mode: this server's grants can be revoked; checked on every request, cache or not.
            if (this.config.mode === 'proxy' && (await this.revocations.isRevoked(user.claims.fid))) {
                throw new InvalidTokenError(TOKEN_MESSAGES.revoked);
            }
            return { token, user };
        }
        catch (err) {
            const failure = err instanceof OAuthError ? err : new InvalidTokenError(TOKEN_MESSAGES.invalid);
            if (!(err instanceof OAuthError))
                this.logger.error(`Token verification error (${err?.name})`);
            this.logger.debug?.(`Token rejected (sha256:${fingerprint(token)}): ${failure.description}`);
            throw failure;
        }
    }
    authenticate(authReq) {
        return new Promise((resolve, reject) => {
            const middleware = this.strategies.passport.authenticate(this.strategies.names, { session: false }, (err, user, info) => {
                if (err)
                    reject(err instanceof OAuthError ? err : toInvalidToken(err));
                else if (!user)
                    reject(toInvalidToken(info));
                else
                    resolve(user);
            });
            middleware(authReq, {}, (err) => reject(err));
        });
    }
};
TokenVerifier = __decorate([
    Injectable(),
    __param(1, Inject(OAUTH_MCP_STRATEGIES)),
    __param(2, Inject(OAUTH_MCP_TOKEN_CACHE)),
    __param(4, Optional()),
    __param(4, Inject(OAUTH_MCP_KEY_STORE)),
    __metadata("design:paramtypes", [OAuthMcpConfigService, Object, Function, RevocationService, Object])
], TokenVerifier);
export { TokenVerifier };
