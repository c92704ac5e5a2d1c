import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { validateSync, type ValidationError } from 'class-validator';
import { OAuthMcpConfigError } from '../errors/config.errors.js';
import type { OAuthMcpModuleOptions } from './oauth-mcp-options.interface.js';
import { MODULE_OPTIONS_TOKEN } from '../oauth-mcp.module-definition.js';
import { OAUTH_MCP_MODULE_SHAPE } from '../oauth-mcp.internal-constants.js';
import type { ModuleShape } from './module-shape.js';
import { OAuthMcpOptionsSchema } from './oauth-mcp-options.schema.js';
import { DEVELOPMENT_ORIGINS, OPTION_ENV_NAMES } from './provider-defaults.js';
import { PROVIDERS } from './providers/providers.table.js';
import type { ResolvedOAuthMcpConfig, ResolvedUpstream } from './resolved-config.interface.js';
import { parseSigningKeys } from './signing-key-rules.js';
import { FAILED_AUTH_THROTTLE, RATE_LIMITED_ENDPOINTS } from './rate-limit-defaults.js';
import { discoveryUrlOf, isLoopbackHostname } from './url-rules.js';
import { configWarnings } from './config-warnings.js';
import { DEFAULT_ID_JAG_ALGORITHMS, DEFAULT_ID_JAG_MAX_LIFETIME_SECONDS } from './id-jag-rules.js';

/**
 * Validates the module options once, at bootstrap, and exposes them resolved. Construction throws
 * `OAuthMcpConfigError` listing every problem, so an unsafe configuration never serves a request.
 * @publicApi
 */
@Injectable()
export class OAuthMcpConfigService implements OnApplicationBootstrap {
  readonly config: ResolvedOAuthMcpConfig;

  constructor(@Inject(MODULE_OPTIONS_TOKEN) options: OAuthMcpModuleOptions, @Optional() @Inject(OAUTH_MCP_MODULE_SHAPE) shape?: ModuleShape) {
    this.config = OAuthMcpConfigService.resolve(options);
    if (shape && shape.mode !== this.config.mode) {
      throw new OAuthMcpConfigError([
        `mode is '${this.config.mode}' but the module was declared for '${shape.mode}': pass { mode: '${this.config.mode}' } to OAuthMcpModule.forRootAsync() next to useFactory (it decides which routes exist)`,
      ]);
    }
  }

  /** Valid but risky settings are said once, at startup (the same lines `doctor` shows). */
  onApplicationBootstrap(): void {
    const logger = this.config.logger ?? new Logger('OAuthMcp');
    for (const warning of configWarnings(this.config)) logger.warn(warning.text);
  }

  /** Validates and resolves options without Nest; throws `OAuthMcpConfigError`. */
  static resolve(options: OAuthMcpModuleOptions): ResolvedOAuthMcpConfig {
    // Untyped sources (the environment, JavaScript) may leave the mode out; the schema checks the rest.
    const withDefaults = { ...options, mode: options.mode ?? (options.clientId ? 'proxy' : 'native') } as OAuthMcpModuleOptions;
    const problems = validateSync(OAuthMcpOptionsSchema.from(withDefaults), { forbidUnknownValues: true, stopAtFirstError: true }).flatMap((e) => describe(e));
    if (problems.length > 0) throw new OAuthMcpConfigError(problems);
    return build(withDefaults);
  }
}

/** Options validated in flattened form, named as users write them. */
const OPTION_PATHS: Record<string, string> = {
  cacheMaxEntries: 'cache.maxEntries',
  cacheMaxTtlSeconds: 'cache.maxTtlSeconds',
  jwksCooldownMs: 'jwks.cooldownMs',
  jwksMaxAgeMs: 'jwks.maxAgeMs',
  jwksTimeoutMs: 'jwks.timeoutMs',
  jwksMaxBytes: 'jwks.maxBytes',
  idJagIssuers: 'idJag.issuers',
  idJagMaxLifetimeSeconds: 'idJag.maxLifetimeSeconds',
  allowedEmailDomains: 'accessRules.allowedEmailDomains',
  requiredGroups: 'accessRules.requiredGroups',
  forbiddenGroups: 'accessRules.forbiddenGroups',
  groupScopes: 'accessRules.groupScopes',
  clientScopes: 'accessRules.clientScopes',
};

function describe(error: ValidationError, prefix = ''): string[] {
  const path = `${prefix}${OPTION_PATHS[error.property] ?? error.property}`;
  const env = OPTION_ENV_NAMES[error.property];
  const name = env ? `${path} (${env})` : path;
  const own = Object.values(error.constraints ?? {}).map((message) => `${name} ${message}`);
  return [...own, ...(error.children ?? []).flatMap((c) => describe(c, `${path}.`))];
}

function trimTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

function build(o: OAuthMcpModuleOptions): ResolvedOAuthMcpConfig {
  const serverUrl = trimTrailingSlash(o.serverUrl);
  const mcpPath = o.mcpPath ?? '/mcp';
  const resource = `${serverUrl}${mcpPath}`;
  const origin = new URL(serverUrl).origin;
  const basePath = new URL(serverUrl).pathname.replace(/\/$/, '');
  const proxy = o.mode === 'proxy';
  const connectedAppsScope = o.connectedAppsScope ?? 'oauth:apps';
  const native = PROVIDERS[o.provider].resolve(o);
  // Development (loopback MCP_URL, not production) with no origins configured: the Inspector's web UI.
  const developmentOrigins = o.allowedOrigins === undefined && o.production !== true && isLoopbackHostname(new URL(serverUrl).hostname);
  // In proxy mode the guard accepts only this server's own tokens: issued here, for the MCP resource.
  const { issuers, authorizationServers, jwksUri, discoveryUrl } = proxy
    ? { issuers: [serverUrl], authorizationServers: [serverUrl], jwksUri: undefined, discoveryUrl: undefined }
    : native;
  return {
    mode: o.mode!,
    provider: o.provider,
    production: o.production === true,
    issuers,
    authorizationServers,
    audiences: proxy ? [resource] : typeof o.audience === 'string' ? [o.audience] : [...(o.audience ?? [])],
    algorithms: proxy ? ['ES256', 'RS256'] : (o.algorithms ?? [...PROVIDERS[o.provider].defaultAlgorithms]),
    jwksUri,
    discoveryUrl,
    hmacSecrets: [o.jwtSecret, o.jwtSecretPrevious].filter((s): s is string => typeof s === 'string'),
    serverUrl,
    https: new URL(serverUrl).protocol === 'https:',
    mcpPath,
    resource,
    resourceUrl: new URL(resource),
    resourceMetadataUrl: `${origin}/.well-known/oauth-protected-resource${basePath}${mcpPath}`,
    scopes: o.scopes ?? [],
    resourceScopes: (o.scopes ?? []).filter((s) => !proxy || s !== connectedAppsScope),
    redirectUris: o.redirectUris ?? [],
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    clockSkewSeconds: o.clockSkewSeconds ?? 30,
    cacheMaxEntries: o.cache?.maxEntries ?? 10_000,
    cacheMaxTtlMs: (o.cache?.maxTtlSeconds ?? 300) * 1000,
    jwksCooldownMs: o.jwks?.cooldownMs ?? 30_000,
    // Keys are refetched at the validated-token cache's bound, so a key removed from the JWKS stops
    // verifying within 5 minutes (catalogue B29).
    jwksMaxAgeMs: o.jwks?.maxAgeMs ?? 300_000,
    fetchTimeoutMs: o.jwks?.timeoutMs ?? 5_000,
    fetchMaxBytes: o.jwks?.maxBytes ?? 1_048_576,
    maxTokenBytes: o.maxTokenBytes ?? 8192,
    // This server's own tokens always carry typ at+jwt (RFC 9068): an upstream ID token never passes.
    requireAccessTokenType: proxy || (o.requireAccessTokenType ?? false),
    impliedScopes: o.impliedScopes ?? {},
    resourceName: o.resourceName,
    logger: o.logger,
    strategies: { ...(o.strategies ?? {}) },
    builtInStrategies: o.builtInStrategies ?? true,
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
    // O3: keyed on what this server is (its own URL on loopback = a development machine), not on NODE_ENV.
    allowPrivateNetworkFetch: o.allowPrivateNetworkFetch ?? isLoopbackHostname(new URL(serverUrl).hostname),
    consentRememberDays: o.consentRememberDays ?? 30,
    connectedAppsScope,
    store: o.store,
    redisUrl: o.redisUrl,
    redisKeyPrefix: o.redisKeyPrefix ?? 'oauth-mcp:',
    rateLimits: o.rateLimits === false ? false : { ...RATE_LIMITED_ENDPOINTS, ...(o.rateLimits ?? {}) },
    failedAuthThrottle: o.failedAuthThrottle === false ? false : { ...FAILED_AUTH_THROTTLE, ...(o.failedAuthThrottle ?? {}) },
    trustProxyHops: o.trustProxyHops ?? 0,
    storeUnavailable: o.storeUnavailable ?? 'deny',
    dpopRequired: o.dpopRequired ?? false,
    dpopNonce: o.dpopNonce ?? false,
    dpopProofMaxAgeSeconds: o.dpopProofMaxAgeSeconds ?? 60,
    allowedOrigins: [origin, ...(o.allowedOrigins ?? (developmentOrigins ? DEVELOPMENT_ORIGINS : []))],
    developmentOrigins,
    auditSink: o.auditSink,
    maxRegisteredClients: o.maxRegisteredClients ?? 10_000,
    callbackUrl: `${serverUrl}/oauth/callback`,
    idJag: o.idJag && proxy ? resolveIdJag(o.idJag) : undefined,
    accessRules: {
      allowedEmailDomains: o.accessRules?.allowedEmailDomains ?? [],
      requiredGroups: o.accessRules?.requiredGroups ?? [],
      forbiddenGroups: o.accessRules?.forbiddenGroups ?? [],
      groupScopes: o.accessRules?.groupScopes,
      clientScopes: o.accessRules?.clientScopes ?? {},
    },
    accessPolicy: o.accessPolicy,
  };
}

function resolveIdJag(idJag: NonNullable<OAuthMcpModuleOptions['idJag']>): ResolvedOAuthMcpConfig['idJag'] {
  return {
    issuers: idJag.issuers.map((i) => ({
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      discoveryUrl: i.jwksUri ? undefined : discoveryUrlOf(i.issuer),
      algorithms: i.algorithms ?? DEFAULT_ID_JAG_ALGORITHMS,
    })),
    maxLifetimeSeconds: idJag.maxLifetimeSeconds ?? DEFAULT_ID_JAG_MAX_LIFETIME_SECONDS,
  };
}

function resolveUpstream(o: OAuthMcpModuleOptions, issuer: string): ResolvedUpstream {
  return {
    provider: o.provider as ResolvedUpstream['provider'],
    issuer,
    clientId: o.clientId!,
    clientSecret: o.clientSecret!,
    scopes: o.upstreamScopes,
    allowInsecureHttp: o.production !== true,
  };
}
