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
var OAuthMcpConfigService_1;
import { Inject, Injectable } from '@nestjs/common';
import { validateSync } from 'class-validator';
import { OAuthMcpConfigError } from '../errors/config.errors.js';
import { MODULE_OPTIONS_TOKEN } from '../oauth-mcp.module-definition.js';
import { OAuthMcpOptionsSchema } from './oauth-mcp-options.schema.js';
import { AZURE_MULTI_TENANTS, azureIssuer, azureJwksUri, azureTenantOf, DEFAULT_ALGORITHMS, GOOGLE_ISSUERS, GOOGLE_JWKS_URI, OPTION_ENV_NAMES, } from './provider-defaults.js';
import { parseSigningKeys } from './signing-key-rules.js';
/**
 * Validates the module options once, at bootstrap, and exposes them resolved. Construction throws
 * `OAuthMcpConfigError` listing every problem, so an unsafe configuration never serves a request.
 * @publicApi
 */
let OAuthMcpConfigService = OAuthMcpConfigService_1 = class OAuthMcpConfigService {
    config;
    constructor(options) {
        this.config = OAuthMcpConfigService_1.resolve(options);
    }
    /** Validates and resolves options without Nest; throws `OAuthMcpConfigError`. */
    static resolve(options) {
        const withDefaults = {
            ...options,
            mode: options.mode ?? (options.clientId ? 'proxy' : 'native'),
        };
        const problems = validateSync(OAuthMcpOptionsSchema.from(withDefaults), { forbidUnknownValues: true, stopAtFirstError: true }).flatMap((e) => describe(e));
        if (problems.length > 0)
            throw new OAuthMcpConfigError(problems);
        return build(withDefaults);
    }
};
OAuthMcpConfigService = OAuthMcpConfigService_1 = __decorate([
    Injectable(),
    __param(0, Inject(MODULE_OPTIONS_TOKEN)),
    __metadata("design:paramtypes", [Object])
], OAuthMcpConfigService);
export { OAuthMcpConfigService };
/** Options validated in flattened form, named as users write them. */
const OPTION_PATHS = {
    cacheMaxEntries: 'cache.maxEntries',
    cacheMaxTtlSeconds: 'cache.maxTtlSeconds',
    jwksCooldownMs: 'jwks.cooldownMs',
    jwksMaxAgeMs: 'jwks.maxAgeMs',
    jwksTimeoutMs: 'jwks.timeoutMs',
    jwksMaxBytes: 'jwks.maxBytes',
};
function describe(error, prefix = '') {
    const path = `${prefix}${OPTION_PATHS[error.property] ?? error.property}`;
    const env = OPTION_ENV_NAMES[error.property];
    const name = env ? `${path} (${env})` : path;
    const own = Object.values(error.constraints ?? {}).map((message) => `${name} ${message}`);
    return [...own, ...(error.children ?? []).flatMap((c) => describe(c, `${path}.`))];
}
function trimTrailingSlash(url) {
    return url.endsWith('/') ? url.slice(0, -1) : url;
}
function build(o) {
    const serverUrl = trimTrailingSlash(o.serverUrl);
    const mcpPath = o.mcpPath ?? '/mcp';
    const resource = `${serverUrl}${mcpPath}`;
    const origin = new URL(serverUrl).origin;
    const basePath = new URL(serverUrl).pathname.replace(/\/$/, '');
    const proxy = o.mode === 'proxy';
    const native = resolveIssuer(o);
    // In proxy mode the guard accepts only this server's own tokens: issued here, for the MCP resource.
    const { issuers, authorizationServers, jwksUri, discoveryUrl } = proxy
        ? { issuers: [serverUrl], authorizationServers: [serverUrl], jwksUri: undefined, discoveryUrl: undefined }
        : native;
    return {
        mode: o.mode,
        provider: o.provider,
        production: o.production === true,
        issuers,
        authorizationServers,
        audiences: proxy ? [resource] : typeof o.audience === 'string' ? [o.audience] : [...(o.audience ?? [])],
        algorithms: proxy ? ['ES256', 'RS256'] : (o.algorithms ?? DEFAULT_ALGORITHMS[o.provider]),
        jwksUri,
        discoveryUrl,
        hmacSecrets: [o.jwtSecret, o.jwtSecretPrevious].filter((s) => typeof s === 'string'),
        serverUrl,
        mcpPath,
        resource,
        resourceUrl: new URL(resource),
        resourceMetadataUrl: `${origin}/.well-known/oauth-protected-resource${basePath}${mcpPath}`,
        scopes: o.scopes ?? [],
        redirectUris: o.redirectUris ?? [],
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        clockSkewSeconds: o.clockSkewSeconds ?? 30,
        cacheMaxEntries: o.cache?.maxEntries ?? 10_000,
        cacheMaxTtlMs: (o.cache?.maxTtlSeconds ?? 300) * 1000,
        jwksCooldownMs: o.jwks?.cooldownMs ?? 30_000,
        jwksMaxAgeMs: o.jwks?.maxAgeMs ?? 600_000,
        fetchTimeoutMs: o.jwks?.timeoutMs ?? 5_000,
        fetchMaxBytes: o.jwks?.maxBytes ?? 1_048_576,
        maxTokenBytes: o.maxTokenBytes ?? 8192,
        requireAccessTokenType: o.requireAccessTokenType ?? false,
        impliedScopes: o.impliedScopes ?? {},
        resourceName: o.resourceName,
        logger: o.logger,
        issuer: proxy ? serverUrl : undefined,
        upstream: proxy ? resolveUpstream(o, native.issuers[0]) : undefined,
        jwtSecret: o.jwtSecret,
        signingKeys: o.signingKeys ? parseSigningKeys(o.signingKeys) : [],
        signingAlgorithm: o.signingAlgorithm ?? 'ES256',
        accessTokenTtlSeconds: o.accessTokenTtlSeconds ?? 3600,
        refreshTokenTtlSeconds: o.refreshTokenTtlSeconds ?? 2_592_000,
        staticClients: o.staticClients ?? [],
        allowedRedirectSchemes: o.allowedRedirectSchemes ?? [],
        clientIdMetadataDocuments: o.clientIdMetadataDocuments ?? true,
        consentRememberDays: o.consentRememberDays ?? 30,
        store: o.store,
        callbackUrl: `${serverUrl}/oauth/callback`,
    };
}
function resolveUpstream(o, issuer) {
    return {
        provider: o.provider,
        issuer,
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        scopes: o.upstreamScopes,
        allowInsecureHttp: o.production !== true,
    };
}
function resolveIssuer(o) {
    switch (o.provider) {
        case 'hmac':
            return { issuers: o.issuer ? [o.issuer] : [], authorizationServers: o.issuer ? [o.issuer] : [] };
        case 'google': {
            const issuers = o.issuer ? [o.issuer] : GOOGLE_ISSUERS;
            return { issuers, authorizationServers: [GOOGLE_ISSUERS[0]], jwksUri: o.jwksUri ?? GOOGLE_JWKS_URI };
        }
        case 'azure': {
            const tenant = azureTenantOf(o.issuer);
            const issuers = AZURE_MULTI_TENANTS.includes(tenant)
                ? (o.azureAllowedTenants ?? []).map(azureIssuer)
                : [o.issuer];
            return { issuers, authorizationServers: issuers, jwksUri: o.jwksUri ?? azureJwksUri(tenant) };
        }
        case 'okta':
        case 'oidc':
            return {
                issuers: [o.issuer],
                authorizationServers: [o.issuer],
                jwksUri: o.jwksUri,
                discoveryUrl: o.jwksUri ? undefined : `${trimTrailingSlash(o.issuer)}/.well-known/openid-configuration`,
            };
    }
}
