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
import {
  OAUTH_MODES,
  OAUTH_PROVIDERS,
  type OAuthMcpModuleOptions,
  type OAuthMode,
  type OAuthProviderName,
} from '../interfaces/oauth-mcp-options.interface.js';
import { checkSecret, SECRET_PROBLEM_TEXT } from './secret-rules.js';
import { checkServerUrl, isLoopbackHostname, parseUrlStrict, URL_PROBLEM_TEXT } from './url-rules.js';
import { checkAlgorithms } from './algorithm-rules.js';
import { AZURE_MULTI_TENANTS, azureTenantOf } from './provider-defaults.js';

/** Scope token syntax (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const GOOGLE_BARE_ISSUER = 'accounts.google.com';

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
        ((args!.object as OAuthMcpOptionsSchema).provider === 'google' && value === GOOGLE_BARE_ISSUER) ||
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
        return (
          Array.isArray(list) &&
          list.length > 0 &&
          list.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 2048 && !a.includes('*'))
        );
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

/** Redirect allowlist entries: exact absolute URIs, https unless loopback, no `*`, no fragment. */
export function redirectAllowlistProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be a list of absolute redirect URIs';
  for (const entry of value) {
    if (typeof entry !== 'string' || entry.length === 0) return 'must contain only absolute redirect URIs';
    if (entry.includes('*')) return 'must not contain wildcards (`*`): redirect URIs are matched exactly';
    if (entry.includes('#')) return 'must not contain fragments (RFC 6749 §3.1.2)';
    const url = parseUrlStrict(entry);
    if (!url) return 'contains an entry that is not an absolute URI';
    if (['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:'].includes(url.protocol)) {
      return 'contains an entry with a forbidden scheme';
    }
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
      return 'must use https except for loopback hosts (localhost, 127.0.0.1, [::1])';
    }
  }
  return undefined;
}

function IsRedirectAllowlist(): PropertyDecorator {
  return ValidateBy({
    name: 'isRedirectAllowlist',
    validator: {
      validate: (value) => redirectAllowlistProblem(value) === undefined,
      defaultMessage: (args) => redirectAllowlistProblem(args!.value)!,
    },
  });
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

function azureTenantProblem(o: OAuthMcpOptionsSchema): string | undefined {
  const tenant = azureTenantOf(o.issuer);
  if (tenant === undefined) return 'must be an Azure v2 issuer: https://login.microsoftonline.com/{tenant}/v2.0';
  if (!AZURE_MULTI_TENANTS.includes(tenant)) return undefined;
  const allow = o.azureAllowedTenants;
  if (!Array.isArray(allow) || allow.length === 0) {
    return `uses the multi-tenant "${tenant}" endpoint; set AZURE_ALLOWED_TENANTS to the tenant ids you accept`;
  }
  if (!allow.every((t) => typeof t === 'string' && /^[0-9a-f-]{36}$/i.test(t))) {
    return 'AZURE_ALLOWED_TENANTS must list tenant ids (GUIDs)';
  }
  return undefined;
}

function IsAzureIssuerPolicy(): PropertyDecorator {
  return ValidateBy({
    name: 'isAzureIssuerPolicy',
    validator: {
      validate: (_value, args) => {
        const o = args!.object as OAuthMcpOptionsSchema;
        return o.provider !== 'azure' || azureTenantProblem(o) === undefined;
      },
      defaultMessage: (args) => azureTenantProblem(args!.object as OAuthMcpOptionsSchema)!,
    },
  });
}

/**
 * class-validator view of `OAuthMcpModuleOptions`: validated once at bootstrap. Messages never
 * contain the value being checked.
 * @internal
 */
export class OAuthMcpOptionsSchema {
  @IsOptional()
  @IsIn(OAUTH_MODES, { message: `must be one of ${OAUTH_MODES.join(', ')}` })
  mode?: OAuthMode;

  @IsIn(OAUTH_PROVIDERS, { message: `must be one of ${OAUTH_PROVIDERS.join(', ')}` })
  provider: OAuthProviderName;

  @ValidateIf((o: OAuthMcpOptionsSchema) => o.provider !== 'hmac' || o.issuer !== undefined)
  @IsIssuer()
  @IsAzureIssuerPolicy()
  issuer?: string;

  azureAllowedTenants?: string[];

  @IsAudience()
  audience?: string | string[];

  @IsOptional()
  @IsServerUrl()
  jwksUri?: string;

  @IsServerUrl()
  serverUrl: string;

  @IsOptional()
  @Matches(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, {
    message: 'must be an absolute path without a trailing slash, query or fragment (e.g. /mcp)',
  })
  mcpPath?: string;

  @ValidateIf((o: OAuthMcpOptionsSchema) => o.provider === 'hmac')
  @IsStrongSecret()
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
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(0, { message: 'must not be negative' })
  @Max(60, { message: 'must be at most 60 seconds' })
  clockSkewSeconds?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1024, { message: 'must be at least 1024 bytes' })
  @Max(65536, { message: 'must be at most 65536 bytes' })
  maxTokenBytes?: number;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  production?: boolean;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  resourceName?: string;

  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  cacheMaxEntries?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(0, { message: 'must not be negative' })
  @Max(300, { message: 'must be at most 300 seconds (5 minutes)' })
  cacheMaxTtlSeconds?: number;

  static from(options: OAuthMcpModuleOptions): OAuthMcpOptionsSchema {
    const { cache, jwks: _jwks, logger: _logger, impliedScopes: _implied, ...flat } = options;
    return Object.assign(new OAuthMcpOptionsSchema(), flat, {
      cacheMaxEntries: cache?.maxEntries,
      cacheMaxTtlSeconds: cache?.maxTtlSeconds,
    });
  }
}
