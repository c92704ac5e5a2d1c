import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { InvalidTokenError } from '../../errors/oauth.errors.js';
import type { OAuthProviderDefinition, UncheckedProviderOptions } from './provider-definition.interface.js';

export const AZURE_MULTI_TENANTS = ['common', 'organizations', 'consumers'];

const AZURE_V2_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([A-Za-z0-9.-]+)\/v2\.0$/;

export function azureTenantOf(issuer: unknown): string | undefined {
  return typeof issuer === 'string' ? AZURE_V2_ISSUER.exec(issuer)?.[1] : undefined;
}

const azureIssuer = (tenant: string) => `https://login.microsoftonline.com/${tenant}/v2.0`;
const azureJwksUri = (tenant: string) => `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`;
const isMultiTenant = (o: UncheckedProviderOptions) => AZURE_MULTI_TENANTS.includes(azureTenantOf(o.issuer) ?? '');

function tenantProblem(o: UncheckedProviderOptions): string | undefined {
  const tenant = azureTenantOf(o.issuer);
  if (tenant === undefined) return 'must be an Azure v2 issuer: https://login.microsoftonline.com/{tenant}/v2.0';
  if (!AZURE_MULTI_TENANTS.includes(tenant)) return undefined;
  const allow = o.azureAllowedTenants;
  if (!Array.isArray(allow) || allow.length === 0) return `uses the multi-tenant "${tenant}" endpoint; set AZURE_ALLOWED_TENANTS to the tenant ids you accept`;
  if (!allow.every((t) => typeof t === 'string' && /^[0-9a-f-]{36}$/i.test(t))) return 'AZURE_ALLOWED_TENANTS must list tenant ids (GUIDs)';
  return undefined;
}

/**
 * Microsoft Entra ID v2 tokens. `iss` is matched exactly against the configured tenant (or the
 * allowlisted tenants of a multi-tenant app), and the `tid` claim (always present in v2 tokens) must name the same tenant.
 */
export const AZURE_PROVIDER: OAuthProviderDefinition = {
  defaultAlgorithms: ['RS256'],
  issuerOptional: false,
  issuerProblem: tenantProblem,
  upstreamProblem: (o) =>
    isMultiTenant(o) ? 'is "proxy", which needs a single Azure tenant in OIDC_ISSUER (multi-tenant sign-in is native mode only)' : undefined,
  resolve: (o) => {
    const tenant = azureTenantOf(o.issuer)!;
    const issuers = isMultiTenant(o) ? (o.azureAllowedTenants ?? []).map((t) => azureIssuer(t)) : [o.issuer!];
    return { issuers, authorizationServers: issuers, jwksUri: o.jwksUri ?? azureJwksUri(tenant) };
  },
  checkClaims: (claims) => {
    if (typeof claims.tid !== 'string' || claims.tid !== azureTenantOf(claims.iss)) throw new InvalidTokenError(TOKEN_MESSAGES.issuer);
  },
};
