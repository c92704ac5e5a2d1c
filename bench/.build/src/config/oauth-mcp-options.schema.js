var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateIf, } from 'class-validator';
import { OAUTH_MODES, OAUTH_PROVIDERS, } from '../interfaces/oauth-mcp-options.interface.js';
import { checkSecret, SECRET_PROBLEM_TEXT } from './secret-rules.js';
import { checkServerUrl, isLoopbackHostname, parseUrlStrict, URL_PROBLEM_TEXT } from './url-rules.js';
import { checkAlgorithms } from './algorithm-rules.js';
import { AZURE_MULTI_TENANTS, azureTenantOf } from './provider-defaults.js';
import { signingKeysProblem } from './signing-key-rules.js';
import { redirectUriProblem } from '../authorization-server/clients/redirect-uri.policy.js';
/** Scope token syntax (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const GOOGLE_BARE_ISSUER = 'accounts.google.com';
function isProduction(args) {
    return args.object.production === true;
}
function IsServerUrl(options) {
    return ValidateBy({
        name: 'isServerUrl',
        validator: {
            validate: (value, args) => checkServerUrl(value, isProduction(args)) === undefined,
            defaultMessage: (args) => URL_PROBLEM_TEXT[checkServerUrl(args.value, isProduction(args))],
        },
    }, options);
}
function IsIssuer() {
    return ValidateBy({
        name: 'isIssuer',
        validator: {
            validate: (value, args) => (args.object.provider === 'google' && value === GOOGLE_BARE_ISSUER) ||
                checkServerUrl(value, isProduction(args)) === undefined,
            defaultMessage: (args) => URL_PROBLEM_TEXT[checkServerUrl(args.value, isProduction(args))],
        },
    });
}
function IsStrongSecret() {
    return ValidateBy({
        name: 'isStrongSecret',
        validator: {
            validate: (value) => checkSecret(value) === undefined,
            defaultMessage: (args) => SECRET_PROBLEM_TEXT[checkSecret(args.value)],
        },
    });
}
function IsAudience() {
    return ValidateBy({
        name: 'isAudience',
        validator: {
            validate: (value) => {
                const list = typeof value === 'string' ? [value] : value;
                return (Array.isArray(list) &&
                    list.length > 0 &&
                    list.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 2048 && !a.includes('*')));
            },
            defaultMessage: () => 'is required: the value the token `aud` claim must contain (no wildcards)',
        },
    });
}
function IsAlgorithmList() {
    return ValidateBy({
        name: 'isAlgorithmList',
        validator: {
            validate: (value, args) => checkAlgorithms(value, args.object.provider) === undefined,
            defaultMessage: (args) => checkAlgorithms(args.value, args.object.provider),
        },
    });
}
/** Redirect allowlist entries: exact absolute URIs, https unless loopback, no `*`, no fragment. */
export function redirectAllowlistProblem(value) {
    if (!Array.isArray(value))
        return 'must be a list of absolute redirect URIs';
    for (const entry of value) {
        if (typeof entry !== 'string' || entry.length === 0)
            return 'must contain only absolute redirect URIs';
        if (entry.includes('*'))
            return 'must not contain wildcards (`*`): redirect URIs are matched exactly';
        if (entry.includes('#'))
            return 'must not contain fragments (RFC 6749 §3.1.2)';
        const url = parseUrlStrict(entry);
        if (!url)
            return 'contains an entry that is not an absolute URI';
        if (['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:'].includes(url.protocol)) {
            return 'contains an entry with a forbidden scheme';
        }
        if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
            return 'must use https except for loopback hosts (localhost, 127.0.0.1, [::1])';
        }
    }
    return undefined;
}
function IsRedirectAllowlist() {
    return ValidateBy({
        name: 'isRedirectAllowlist',
        validator: {
            validate: (value) => redirectAllowlistProblem(value) === undefined,
            defaultMessage: (args) => redirectAllowlistProblem(args.value),
        },
    });
}
function IsScopeList() {
    return ValidateBy({
        name: 'isScopeList',
        validator: {
            validate: (value) => Array.isArray(value) && value.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s)),
            defaultMessage: () => 'must be a list of scope tokens (RFC 6749 §3.3: printable ASCII, no spaces or quotes)',
        },
    });
}
function azureTenantProblem(o) {
    const tenant = azureTenantOf(o.issuer);
    if (tenant === undefined)
        return 'must be an Azure v2 issuer: https://login.microsoftonline.com/{tenant}/v2.0';
    if (!AZURE_MULTI_TENANTS.includes(tenant))
        return undefined;
    const allow = o.azureAllowedTenants;
    if (!Array.isArray(allow) || allow.length === 0) {
        return `uses the multi-tenant "${tenant}" endpoint; set AZURE_ALLOWED_TENANTS to the tenant ids you accept`;
    }
    if (!allow.every((t) => typeof t === 'string' && /^[0-9a-f-]{36}$/i.test(t))) {
        return 'AZURE_ALLOWED_TENANTS must list tenant ids (GUIDs)';
    }
    return undefined;
}
function IsAzureIssuerPolicy() {
    return ValidateBy({
        name: 'isAzureIssuerPolicy',
        validator: {
            validate: (_value, args) => {
                const o = args.object;
                return o.provider !== 'azure' || azureTenantProblem(o) === undefined;
            },
            defaultMessage: (args) => azureTenantProblem(args.object),
        },
    });
}
function simpleRule(name, problem) {
    return ValidateBy({
        name,
        validator: {
            validate: (value, args) => problem(value, args.object) === undefined,
            defaultMessage: (args) => problem(args.value, args.object),
        },
    });
}
function proxyModeProblem(_value, o) {
    if (o.mode !== 'proxy')
        return undefined;
    if (o.provider === 'hmac')
        return 'is "proxy", which needs an OIDC upstream (okta, google, azure or oidc), not hmac';
    if (o.provider === 'azure' && AZURE_MULTI_TENANTS.includes(azureTenantOf(o.issuer) ?? '')) {
        return 'is "proxy", which needs a single Azure tenant in OIDC_ISSUER (multi-tenant sign-in is native mode only)';
    }
    const url = parseUrlStrict(o.serverUrl);
    if (url && url.pathname !== '/')
        return 'is "proxy": MCP_URL must be an origin without a path (this server is the issuer)';
    return undefined;
}
function staticClientsProblem(value, o) {
    if (!Array.isArray(value))
        return 'must be a JSON array of clients';
    const ids = new Set();
    for (const c of value) {
        if (typeof c !== 'object' || c === null || typeof c.client_id !== 'string' || !/^[\x21-\x7E]{1,255}$/.test(c.client_id)) {
            return 'must give every client a client_id of printable ASCII';
        }
        if (ids.has(c.client_id))
            return 'must not repeat a client_id';
        ids.add(c.client_id);
        if (!Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0)
            return `client ${c.client_id} needs redirect_uris`;
        const rules = { allowedSchemes: o.allowedRedirectSchemes ?? [], allowlist: [] };
        const bad = c.redirect_uris.map((u) => redirectUriProblem(u, rules)).find(Boolean);
        if (bad)
            return `client ${c.client_id} has a redirect URI that ${bad}`;
        if (c.client_secret !== undefined && checkSecret(c.client_secret))
            return `client ${c.client_id} has a client_secret that ${SECRET_PROBLEM_TEXT[checkSecret(c.client_secret)]}`;
    }
    return undefined;
}
function schemesProblem(value) {
    if (!Array.isArray(value))
        return 'must be a list of URI schemes';
    const forbidden = ['http', 'https', 'javascript', 'data', 'vbscript', 'file', 'blob', 'about', 'ws', 'wss'];
    for (const scheme of value) {
        if (typeof scheme !== 'string' || !/^[a-z][a-z0-9+.-]{0,63}$/.test(scheme))
            return 'must list lowercase scheme names without ":" (e.g. cursor,vscode)';
        if (forbidden.includes(scheme))
            return `must not list ${scheme}`;
    }
    return undefined;
}
/**
 * class-validator view of `OAuthMcpModuleOptions`: validated once at bootstrap. Messages never
 * contain the value being checked.
 * @internal
 */
export class OAuthMcpOptionsSchema {
    mode;
    provider;
    issuer;
    azureAllowedTenants;
    audience;
    clientId;
    clientSecret;
    jwksUri;
    serverUrl;
    mcpPath;
    // Proxy mode derives its encryption keys (upstream tokens, signing keys at rest) from JWT_SECRET.
    jwtSecret;
    jwtSecretPrevious;
    algorithms;
    redirectUris;
    scopes;
    clockSkewSeconds;
    maxTokenBytes;
    production;
    resourceName;
    cacheMaxEntries;
    cacheMaxTtlSeconds;
    upstreamScopes;
    signingKeys;
    signingAlgorithm;
    accessTokenTtlSeconds;
    refreshTokenTtlSeconds;
    staticClients;
    allowedRedirectSchemes;
    consentRememberDays;
    jwksCooldownMs;
    jwksMaxAgeMs;
    jwksTimeoutMs;
    jwksMaxBytes;
    impliedScopes;
    static from(options) {
        const { cache, jwks, logger: _logger, store: _store, clientIdMetadataDocuments: _cimd, ...flat } = options;
        return Object.assign(new OAuthMcpOptionsSchema(), flat, {
            cacheMaxEntries: cache?.maxEntries,
            cacheMaxTtlSeconds: cache?.maxTtlSeconds,
            jwksCooldownMs: jwks?.cooldownMs,
            jwksMaxAgeMs: jwks?.maxAgeMs,
            jwksTimeoutMs: jwks?.timeoutMs,
            jwksMaxBytes: jwks?.maxBytes,
        });
    }
}
__decorate([
    IsOptional(),
    IsIn(OAUTH_MODES, { message: `must be one of ${OAUTH_MODES.join(', ')}` }),
    simpleRule('proxyMode', proxyModeProblem),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "mode", void 0);
__decorate([
    IsIn(OAUTH_PROVIDERS, { message: `must be one of ${OAUTH_PROVIDERS.join(', ')}` }),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "provider", void 0);
__decorate([
    ValidateIf((o) => (o.provider !== 'hmac' && o.provider !== 'google') || o.issuer !== undefined),
    IsIssuer(),
    IsAzureIssuerPolicy(),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "issuer", void 0);
__decorate([
    ValidateIf((o) => o.mode !== 'proxy' || o.audience !== undefined),
    IsAudience(),
    __metadata("design:type", Object)
], OAuthMcpOptionsSchema.prototype, "audience", void 0);
__decorate([
    ValidateIf((o) => o.mode === 'proxy'),
    IsString({ message: 'is required in proxy mode: the client id this server has at the upstream IdP' }),
    Matches(/^[\x21-\x7E]{1,512}$/, { message: 'must be printable ASCII' }),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "clientId", void 0);
__decorate([
    ValidateIf((o) => o.mode === 'proxy'),
    IsString({ message: 'is required in proxy mode: the client secret this server has at the upstream IdP' }),
    Matches(/^[\x20-\x7E]{1,1024}$/, { message: 'must be printable ASCII' }),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "clientSecret", void 0);
__decorate([
    IsOptional(),
    IsServerUrl(),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "jwksUri", void 0);
__decorate([
    IsServerUrl(),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "serverUrl", void 0);
__decorate([
    IsOptional(),
    Matches(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, {
        message: 'must be an absolute path without a trailing slash, query or fragment (e.g. /mcp)',
    }),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "mcpPath", void 0);
__decorate([
    ValidateIf((o) => o.provider === 'hmac' || o.mode === 'proxy'),
    IsStrongSecret(),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "jwtSecret", void 0);
__decorate([
    IsOptional(),
    IsStrongSecret(),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "jwtSecretPrevious", void 0);
__decorate([
    IsOptional(),
    IsAlgorithmList(),
    __metadata("design:type", Array)
], OAuthMcpOptionsSchema.prototype, "algorithms", void 0);
__decorate([
    IsOptional(),
    IsRedirectAllowlist(),
    __metadata("design:type", Array)
], OAuthMcpOptionsSchema.prototype, "redirectUris", void 0);
__decorate([
    IsOptional(),
    IsScopeList(),
    __metadata("design:type", Array)
], OAuthMcpOptionsSchema.prototype, "scopes", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of seconds' }),
    Min(0, { message: 'must not be negative' }),
    Max(60, { message: 'must be at most 60 seconds' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "clockSkewSeconds", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number' }),
    Min(1024, { message: 'must be at least 1024 bytes' }),
    Max(65536, { message: 'must be at most 65536 bytes' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "maxTokenBytes", void 0);
__decorate([
    IsOptional(),
    IsBoolean({ message: 'must be true or false' }),
    __metadata("design:type", Boolean)
], OAuthMcpOptionsSchema.prototype, "production", void 0);
__decorate([
    IsOptional(),
    IsString({ message: 'must be a string' }),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "resourceName", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number' }),
    Min(1, { message: 'must be at least 1' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "cacheMaxEntries", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of seconds' }),
    Min(0, { message: 'must not be negative' }),
    Max(300, { message: 'must be at most 300 seconds (5 minutes)' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "cacheMaxTtlSeconds", void 0);
__decorate([
    IsOptional(),
    IsScopeList(),
    __metadata("design:type", Array)
], OAuthMcpOptionsSchema.prototype, "upstreamScopes", void 0);
__decorate([
    IsOptional(),
    simpleRule('signingKeys', (v) => signingKeysProblem(v)),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "signingKeys", void 0);
__decorate([
    IsOptional(),
    IsIn(['ES256', 'RS256'], { message: 'must be ES256 or RS256' }),
    __metadata("design:type", String)
], OAuthMcpOptionsSchema.prototype, "signingAlgorithm", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of seconds' }),
    Min(60, { message: 'must be at least 60 seconds' }),
    Max(86_400, { message: 'must be at most 86400 seconds (1 day)' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "accessTokenTtlSeconds", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of seconds' }),
    Min(300, { message: 'must be at least 300 seconds' }),
    Max(7_776_000, { message: 'must be at most 7776000 seconds (90 days)' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "refreshTokenTtlSeconds", void 0);
__decorate([
    IsOptional(),
    simpleRule('staticClients', staticClientsProblem),
    __metadata("design:type", Array)
], OAuthMcpOptionsSchema.prototype, "staticClients", void 0);
__decorate([
    IsOptional(),
    simpleRule('allowedRedirectSchemes', (v) => schemesProblem(v)),
    __metadata("design:type", Array)
], OAuthMcpOptionsSchema.prototype, "allowedRedirectSchemes", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of days' }),
    Min(0, { message: 'must not be negative' }),
    Max(365, { message: 'must be at most 365 days' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "consentRememberDays", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of milliseconds' }),
    Min(0, { message: 'must not be negative' }),
    Max(3_600_000, { message: 'must be at most 3600000 ms' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "jwksCooldownMs", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of milliseconds' }),
    Min(1000, { message: 'must be at least 1000 ms' }),
    Max(86_400_000, { message: 'must be at most 86400000 ms' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "jwksMaxAgeMs", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of milliseconds' }),
    Min(100, { message: 'must be at least 100 ms' }),
    Max(30_000, { message: 'must be at most 30000 ms' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "jwksTimeoutMs", void 0);
__decorate([
    IsOptional(),
    IsInt({ message: 'must be a whole number of bytes' }),
    Min(1024, { message: 'must be at least 1024 bytes' }),
    Max(10_485_760, { message: 'must be at most 10485760 bytes' }),
    __metadata("design:type", Number)
], OAuthMcpOptionsSchema.prototype, "jwksMaxBytes", void 0);
__decorate([
    IsOptional(),
    simpleRule('impliedScopes', (v) => typeof v === 'object' && v !== null && !Array.isArray(v) &&
        Object.entries(v).every(([k, list]) => SCOPE_TOKEN.test(k) && Array.isArray(list) && list.every((x) => typeof x === 'string' && SCOPE_TOKEN.test(x)))
        ? undefined
        : 'must map scope tokens to lists of scope tokens'),
    __metadata("design:type", Object)
], OAuthMcpOptionsSchema.prototype, "impliedScopes", void 0);
