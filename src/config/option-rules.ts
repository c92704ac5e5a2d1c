import type { OAuthMcpOptionsSchema } from './oauth-mcp-options.schema.js';
import { providerDefinition } from './providers/providers.table.js';
import { parseUrlStrict } from './url-rules.js';

/**
 * Bootstrap rules that read several options at once (mode, strategies, secrets, limits): plain
 * functions returning the problem's text (never the value) or undefined; the schema only wires them.
 */

/** Names of the module's own strategies; an application strategy takes another name. */
const STRATEGY_NAME = /^(?!oauth-mcp:)[A-Za-z0-9:._-]{1,64}$/;

export function strategiesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must map strategy names to Passport strategy instances';
  for (const [name, strategy] of Object.entries(value)) {
    if (!STRATEGY_NAME.test(name)) return `has the name "${name.slice(0, 64)}": use 1-64 letters, digits, ":", ".", "_" or "-", not starting with "oauth-mcp:"`;
    if (typeof (strategy as { authenticate?: unknown } | null)?.authenticate !== 'function')
      return `.${name} must be a Passport strategy (an object with authenticate())`;
  }
  return undefined;
}

export function builtInStrategiesProblem(value: unknown, o: OAuthMcpOptionsSchema): string | undefined {
  if (typeof value !== 'boolean') return 'must be true or false';
  if (value) return undefined;
  if (o.mode === 'proxy') return 'must stay true in proxy mode: this server verifies the tokens it issued itself';
  const own = o.strategies;
  return typeof own === 'object' && own !== null && Object.keys(own).length > 0 ? undefined : 'is false, so at least one of strategies must verify tokens';
}

export function proxyModeProblem(_value: unknown, o: OAuthMcpOptionsSchema): string | undefined {
  if (o.mode !== 'proxy') return undefined;
  const upstream = providerDefinition(o.provider)?.upstreamProblem?.(o);
  if (upstream) return upstream;
  const url = parseUrlStrict(o.serverUrl);
  if (url && url.pathname !== '/') return 'is "proxy": MCP_URL must be an origin without a path (this server is the issuer)';
  return undefined;
}

export function upstreamCredentialProblem(value: unknown, what: string, pattern: RegExp): string | undefined {
  if (value === undefined || value === '') return `is required in proxy mode: the client ${what} this server has at the upstream IdP`;
  return typeof value === 'string' && pattern.test(value) ? undefined : 'must be printable ASCII';
}

/** N132: JWT_SECRET keys our tokens and sealed state, so it must not also be a secret someone else holds. */
export function reusedSecretProblem(secret: unknown, o: OAuthMcpOptionsSchema): string | undefined {
  if (typeof secret !== 'string') return undefined;
  if (secret === o.clientSecret) return 'must differ from OIDC_CLIENT_SECRET (the IdP knows that one)';
  if (secret === o.jwtSecretPrevious) return 'must differ from JWT_SECRET_PREVIOUS';
  if ((o.staticClients ?? []).some((c) => c?.client_secret === secret)) return 'must differ from every OAUTH_STATIC_CLIENTS client_secret';
  return undefined;
}

export function rateLimitsProblem(value: unknown): string | undefined {
  if (value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be false or per-endpoint limits';
  for (const [name, rule] of Object.entries(value)) {
    if (!['authorize', 'token', 'register', 'revoke'].includes(name)) return 'may only set authorize, token, register and revoke';
    const r = rule as { limit?: unknown; windowSeconds?: unknown };
    if (
      !Number.isInteger(r?.limit) ||
      (r.limit as number) < 1 ||
      !Number.isInteger(r.windowSeconds) ||
      (r.windowSeconds as number) < 1 ||
      (r.windowSeconds as number) > 86_400
    ) {
      return `${name} needs a whole limit >= 1 and a window of 1-86400 seconds (e.g. token=50/900)`;
    }
  }
  return undefined;
}

export function schemesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be a list of URI schemes';
  const forbidden = ['http', 'https', 'javascript', 'data', 'vbscript', 'file', 'blob', 'about', 'ws', 'wss'];
  for (const scheme of value) {
    if (typeof scheme !== 'string' || !/^[a-z][a-z0-9+.-]{0,63}$/.test(scheme)) return 'must list lowercase scheme names without ":" (e.g. cursor,vscode)';
    if (forbidden.includes(scheme)) return `must not list ${scheme}`;
  }
  return undefined;
}

export function failedAuthThrottleProblem(value: unknown): string | undefined {
  if (value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be false or { limit, windowSeconds, blockSeconds }';
  const unknownKey = Object.keys(value).find((k) => !['limit', 'windowSeconds', 'blockSeconds'].includes(k));
  if (unknownKey !== undefined) return 'may only set limit, windowSeconds and blockSeconds';
  const r = value as { limit?: unknown; windowSeconds?: unknown; blockSeconds?: unknown };
  const whole = (v: unknown, min: number, max: number) => v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
  if (!whole(r.limit, 1, 1_000_000) || !whole(r.windowSeconds, 1, 86_400) || !whole(r.blockSeconds, 1, 86_400)) {
    return 'needs a whole limit of 1-1000000 and windowSeconds and blockSeconds of 1-86400 (e.g. 100/60/60), or off';
  }
  return undefined;
}
