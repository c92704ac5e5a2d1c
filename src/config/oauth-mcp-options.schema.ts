import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { OAUTH_MODES, OAUTH_PROVIDERS, type OAuthMcpModuleOptions, type OAuthMode, type OAuthProviderName } from './oauth-mcp-options.interface.js';
import { checkSecret, SECRET_PROBLEM_TEXT } from './secret-rules.js';
import { CANONICAL_SERVER_URL_TEXT, checkServerUrl, isCanonicalServerUrl, parseUrlStrict, URL_PROBLEM_TEXT } from './url-rules.js';
import { checkAlgorithms } from './algorithm-rules.js';
import { providerDefinition } from './providers/providers.table.js';
import {
  builtInStrategiesProblem,
  failedAuthThrottleProblem,
  proxyModeProblem,
  rateLimitsProblem,
  reusedSecretProblem,
  schemesProblem,
  strategiesProblem,
  upstreamCredentialProblem,
} from './option-rules.js';
import { signingKeysProblem } from './signing-key-rules.js';
import { redirectAllowlistProblem } from './redirect-uri.policy.js';
import { staticClientsProblem } from './static-client-rules.js';
import { idJagIssuersProblem } from './id-jag-rules.js';
import {
  accessPolicyHookProblem,
  CLIENT_ID,
  emailDomainsProblem,
  GROUP_NAME,
  groupsProblem,
  proxyOnlyProblem,
  scopeMapProblem,
} from './access-policy-rules.js';
import type { StaticClientOptions } from './oauth-mcp-options.interface.js';
import type { AccessRules } from './access-policy.interface.js';
import { SCOPE_TOKEN } from './scope-rules.js';

/** Scope token syntax (RFC 6749 §3.3), bounded; the challenge builder reuses it. @internal */
export { SCOPE_TOKEN };

function isProduction(args: ValidationArguments): boolean {
  return (args.object as OAuthMcpOptionsSchema).production === true;
}

function IsServerUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isServerUrl',
      validator: {
        validate: (value, args) => checkServerUrl(value, isProduction(args!)) === undefined,
        defaultMessage: (args) => URL_PROBLEM_TEXT[checkServerUrl(args!.value, isProduction(args!))!],
      },
    },
    options,
  );
}

function IsIssuer(): PropertyDecorator {
  return ValidateBy({
    name: 'isIssuer',
    validator: {
      validate: (value, args) =>
        providerDefinition((args!.object as OAuthMcpOptionsSchema).provider)?.acceptsIssuer?.(value) === true ||
        checkServerUrl(value, isProduction(args!)) === undefined,
      defaultMessage: (args) => URL_PROBLEM_TEXT[checkServerUrl(args!.value, isProduction(args!))!],
    },
  });
}

function IsStrongSecret(): PropertyDecorator {
  return ValidateBy({
    name: 'isStrongSecret',
    validator: {
      validate: (value) => checkSecret(value) === undefined,
      defaultMessage: (args) => SECRET_PROBLEM_TEXT[checkSecret(args!.value)!],
    },
  });
}

function IsAudience(): PropertyDecorator {
  return ValidateBy({
    name: 'isAudience',
    validator: {
      validate: (value) => {
        const list = typeof value === 'string' ? [value] : value;
        return Array.isArray(list) && list.length > 0 && list.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 2048 && !a.includes('*'));
      },
      defaultMessage: () => 'is required: the value the token `aud` claim must contain (no wildcards)',
    },
  });
}

function IsAlgorithmList(): PropertyDecorator {
  return ValidateBy({
    name: 'isAlgorithmList',
    validator: {
      validate: (value, args) => checkAlgorithms(value, (args!.object as OAuthMcpOptionsSchema).provider) === undefined,
      defaultMessage: (args) => checkAlgorithms(args!.value, (args!.object as OAuthMcpOptionsSchema).provider)!,
    },
  });
}

function IsRedirectAllowlist(): PropertyDecorator {
  return simpleRule('isRedirectAllowlist', (value, o) => redirectAllowlistProblem(value, o.allowedRedirectSchemes));
}

function IsScopeList(): PropertyDecorator {
  return ValidateBy({
    name: 'isScopeList',
    validator: {
      validate: (value) => Array.isArray(value) && value.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s)),
      defaultMessage: () => 'must be a list of scope tokens (RFC 6749 §3.3: printable ASCII, no spaces or quotes)',
    },
  });
}

function simpleRule(name: string, problem: (value: unknown, o: OAuthMcpOptionsSchema) => string | undefined): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value, args) => problem(value, args!.object as OAuthMcpOptionsSchema) === undefined,
      defaultMessage: (args) => problem(args!.value, args!.object as OAuthMcpOptionsSchema)!,
    },
  });
}

/**
 * class-validator view of `OAuthMcpModuleOptions`: validated once at bootstrap. Messages never
 * contain the value being checked. Decorators register bottom-up and only the first failure of a field
 * is reported, so a type check (`@IsInt`) sits nearest the field: "1.5" is "not a whole number", not "out of range".
 * @internal
 */
export class OAuthMcpOptionsSchema {
  @IsOptional()
  @IsIn(OAUTH_MODES, { message: `must be one of ${OAUTH_MODES.join(', ')}` })
  @simpleRule('proxyMode', proxyModeProblem)
  mode?: OAuthMode;

  @IsIn(OAUTH_PROVIDERS, { message: `must be one of ${OAUTH_PROVIDERS.join(', ')}` })
  provider: OAuthProviderName;

  // An unknown provider is the one problem to report: what the issuer must be depends on the provider.
  @ValidateIf((o: OAuthMcpOptionsSchema) => {
    const provider = providerDefinition(o.provider);
    return provider !== undefined && (provider.issuerOptional !== true || o.issuer !== undefined);
  })
  @IsIssuer()
  @simpleRule('providerIssuer', (_v, o) => providerDefinition(o.provider)?.issuerProblem?.(o))
  issuer?: string;

  azureAllowedTenants?: string[];

  @ValidateIf((o: OAuthMcpOptionsSchema) => o.mode !== 'proxy' || o.audience !== undefined)
  @IsAudience()
  audience?: string | string[];

  @ValidateIf((o: OAuthMcpOptionsSchema) => o.mode === 'proxy')
  @simpleRule('clientId', (v) => upstreamCredentialProblem(v, 'id', /^[\x21-\x7E]{1,512}$/))
  clientId?: string;

  @ValidateIf((o: OAuthMcpOptionsSchema) => o.mode === 'proxy')
  @simpleRule('clientSecret', (v) => upstreamCredentialProblem(v, 'secret', /^[\x20-\x7E]{1,1024}$/))
  clientSecret?: string;

  @IsOptional()
  @IsServerUrl()
  jwksUri?: string;

  @IsServerUrl()
  // Reported only for an otherwise valid URL, so each problem is named by its own rule.
  @simpleRule('canonicalServerUrl', (v, o) =>
    checkServerUrl(v, o.production === true) !== undefined || isCanonicalServerUrl(v) ? undefined : CANONICAL_SERVER_URL_TEXT,
  )
  serverUrl: string;

  @IsOptional()
  @Matches(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, {
    message: 'must be an absolute path without a trailing slash, query or fragment (e.g. /mcp)',
  })
  mcpPath?: string;

  // Proxy mode derives its encryption keys (upstream tokens, signing keys at rest) from JWT_SECRET.
  @ValidateIf((o: OAuthMcpOptionsSchema) => o.provider === 'hmac' || o.mode === 'proxy')
  @IsStrongSecret()
  @simpleRule('distinctSecret', (v, o) => reusedSecretProblem(v, o))
  jwtSecret?: string;

  @IsOptional()
  @IsStrongSecret()
  jwtSecretPrevious?: string;

  @IsOptional()
  @IsAlgorithmList()
  algorithms?: string[];

  @IsOptional()
  @IsRedirectAllowlist()
  redirectUris?: string[];

  @IsOptional()
  @IsScopeList()
  scopes?: string[];

  @IsOptional()
  @Min(0, { message: 'must not be negative' })
  @Max(60, { message: 'must be at most 60 seconds' })
  @IsInt({ message: 'must be a whole number of seconds' })
  clockSkewSeconds?: number;

  @IsOptional()
  @Min(1024, { message: 'must be at least 1024 bytes' })
  @Max(65536, { message: 'must be at most 65536 bytes' })
  @IsInt({ message: 'must be a whole number' })
  maxTokenBytes?: number;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  production?: boolean;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  resourceName?: string;

  @IsOptional()
  @Min(1, { message: 'must be at least 1' })
  @IsInt({ message: 'must be a whole number' })
  cacheMaxEntries?: number;

  @IsOptional()
  @Min(0, { message: 'must not be negative' })
  @Max(300, { message: 'must be at most 300 seconds (5 minutes)' })
  @IsInt({ message: 'must be a whole number of seconds' })
  cacheMaxTtlSeconds?: number;

  @IsOptional()
  @IsScopeList()
  upstreamScopes?: string[];

  @IsOptional()
  @simpleRule('signingKeys', (v) => signingKeysProblem(v))
  signingKeys?: string;

  @IsOptional()
  @IsIn(['ES256', 'RS256'], { message: 'must be ES256 or RS256' })
  signingAlgorithm?: string;

  @IsOptional()
  @Min(60, { message: 'must be at least 60 seconds' })
  @Max(86_400, { message: 'must be at most 86400 seconds (1 day)' })
  @IsInt({ message: 'must be a whole number of seconds' })
  accessTokenTtlSeconds?: number;

  @IsOptional()
  @Min(300, { message: 'must be at least 300 seconds' })
  @Max(7_776_000, { message: 'must be at most 7776000 seconds (90 days)' })
  @IsInt({ message: 'must be a whole number of seconds' })
  refreshTokenTtlSeconds?: number;

  @IsOptional()
  @simpleRule('staticClients', (v, o) => staticClientsProblem(v, o))
  staticClients?: StaticClientOptions[];

  @IsOptional()
  @simpleRule('allowedRedirectSchemes', (v) => schemesProblem(v))
  allowedRedirectSchemes?: string[];

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  allowPrivateNetworkFetch?: boolean;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  clientIdMetadataDocuments?: boolean;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  requireAccessTokenType?: boolean;

  @IsOptional()
  @Min(0, { message: 'must not be negative' })
  @Max(365, { message: 'must be at most 365 days' })
  @IsInt({ message: 'must be a whole number of days' })
  consentRememberDays?: number;

  @IsOptional()
  @Matches(SCOPE_TOKEN, { message: 'must be one scope token (no spaces, quotes or backslashes)' })
  connectedAppsScope?: string;

  @IsOptional()
  @Min(0, { message: 'must not be negative' })
  @Max(3_600_000, { message: 'must be at most 3600000 ms' })
  @IsInt({ message: 'must be a whole number of milliseconds' })
  jwksCooldownMs?: number;

  @IsOptional()
  @Min(1000, { message: 'must be at least 1000 ms' })
  @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  @IsInt({ message: 'must be a whole number of milliseconds' })
  jwksMaxAgeMs?: number;

  @IsOptional()
  @Min(100, { message: 'must be at least 100 ms' })
  @Max(30_000, { message: 'must be at most 30000 ms' })
  @IsInt({ message: 'must be a whole number of milliseconds' })
  jwksTimeoutMs?: number;

  @IsOptional()
  @Min(1024, { message: 'must be at least 1024 bytes' })
  @Max(10_485_760, { message: 'must be at most 10485760 bytes' })
  @IsInt({ message: 'must be a whole number of bytes' })
  jwksMaxBytes?: number;

  @IsOptional()
  @simpleRule('impliedScopes', (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.entries(v).every(([k, list]) => SCOPE_TOKEN.test(k) && Array.isArray(list) && list.every((x) => typeof x === 'string' && SCOPE_TOKEN.test(x)))
      ? undefined
      : 'must map scope tokens to lists of scope tokens',
  )
  impliedScopes?: Record<string, string[]>;

  @IsOptional()
  @simpleRule('strategies', (v) => strategiesProblem(v))
  strategies?: unknown;

  @IsOptional()
  @simpleRule('builtInStrategies', (v, o) => builtInStrategiesProblem(v, o))
  builtInStrategies?: unknown;

  @IsOptional()
  @simpleRule('redisUrl', (v) => {
    const url = parseUrlStrict(v);
    return url && (url.protocol === 'redis:' || url.protocol === 'rediss:') && !url.hash ? undefined : 'must be a redis:// or rediss:// URL';
  })
  redisUrl?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9:._-]{0,64}$/, { message: 'must be at most 64 letters, digits, ":", ".", "_" or "-"' })
  redisKeyPrefix?: string;

  @IsOptional()
  @simpleRule('rateLimits', (v) => rateLimitsProblem(v))
  rateLimits?: unknown;

  @IsOptional()
  @simpleRule('failedAuthThrottle', (v) => failedAuthThrottleProblem(v))
  failedAuthThrottle?: unknown;

  @IsOptional()
  @Min(0, { message: 'must not be negative' })
  @Max(10, { message: 'must be at most 10' })
  @IsInt({ message: 'must be a whole number of proxies' })
  trustProxyHops?: number;

  @IsOptional()
  @IsIn(['deny', 'allow'], { message: 'must be deny or allow' })
  storeUnavailable?: string;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  dpopRequired?: boolean;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  dpopNonce?: boolean;

  @IsOptional()
  @Min(5, { message: 'must be at least 5 seconds' })
  @Max(300, { message: 'must be at most 300 seconds' })
  @IsInt({ message: 'must be a whole number of seconds' })
  dpopProofMaxAgeSeconds?: number;

  @IsOptional()
  @simpleRule('allowedOrigins', (v) =>
    Array.isArray(v) && v.every((o) => typeof o === 'string' && parseUrlStrict(o)?.origin === o && /^https?:/.test(o))
      ? undefined
      : 'must list origins exactly as browsers send them (scheme://host[:port], no path or trailing slash)',
  )
  allowedOrigins?: string[];

  @IsOptional()
  @Min(1, { message: 'must be at least 1' })
  @IsInt({ message: 'must be a whole number' })
  maxRegisteredClients?: number;

  @IsOptional()
  @simpleRule('idJag', (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && 'issuers' in v ? undefined : 'must be an object with issuers'))
  idJag?: unknown;

  @ValidateIf((o: OAuthMcpOptionsSchema) => o.idJag !== undefined)
  @simpleRule('idJagIssuers', (v, o) => idJagIssuersProblem(v, o))
  idJagIssuers?: unknown;

  @IsOptional()
  @Min(30, { message: 'must be at least 30 seconds' })
  @Max(3600, { message: 'must be at most 3600 seconds (an ID-JAG is short-lived)' })
  @IsInt({ message: 'must be a whole number of seconds' })
  idJagMaxLifetimeSeconds?: number;

  @IsOptional()
  @simpleRule('accessRules', (v, o) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? proxyOnlyProblem(o) : 'must be an object'))
  accessRules?: unknown;

  @IsOptional()
  @simpleRule('allowedEmailDomains', (v, o) => emailDomainsProblem(v, o))
  allowedEmailDomains?: unknown;

  @IsOptional()
  @simpleRule('requiredGroups', (v, o) => groupsProblem(v, o))
  requiredGroups?: unknown;

  @IsOptional()
  @simpleRule('forbiddenGroups', (v, o) => groupsProblem(v, o, true))
  forbiddenGroups?: unknown;

  @IsOptional()
  @simpleRule('groupScopes', (v, o) => scopeMapProblem(v, o, GROUP_NAME, 'groups'))
  groupScopes?: unknown;

  @IsOptional()
  @simpleRule('clientScopes', (v, o) => scopeMapProblem(v, o, CLIENT_ID, 'client ids'))
  clientScopes?: unknown;

  @IsOptional()
  @simpleRule('accessPolicy', (v, o) => accessPolicyHookProblem(v, o))
  accessPolicy?: unknown;

  static from(options: OAuthMcpModuleOptions): OAuthMcpOptionsSchema {
    const { cache, jwks, logger: _logger, store: _store, auditSink: _audit, ...flat } = options;
    const idJag = options.idJag as Partial<NonNullable<OAuthMcpModuleOptions['idJag']>> | undefined;
    const rules: AccessRules = typeof options.accessRules === 'object' && options.accessRules !== null ? options.accessRules : {};
    return Object.assign(new OAuthMcpOptionsSchema(), flat, {
      idJagIssuers: typeof idJag === 'object' && idJag !== null ? idJag.issuers : undefined,
      idJagMaxLifetimeSeconds: typeof idJag === 'object' && idJag !== null ? idJag.maxLifetimeSeconds : undefined,
      allowedEmailDomains: rules.allowedEmailDomains,
      requiredGroups: rules.requiredGroups,
      forbiddenGroups: rules.forbiddenGroups,
      groupScopes: rules.groupScopes,
      clientScopes: rules.clientScopes,
      cacheMaxEntries: cache?.maxEntries,
      cacheMaxTtlSeconds: cache?.maxTtlSeconds,
      jwksCooldownMs: jwks?.cooldownMs,
      jwksMaxAgeMs: jwks?.maxAgeMs,
      jwksTimeoutMs: jwks?.timeoutMs,
      jwksMaxBytes: jwks?.maxBytes,
    });
  }
}
