import { supportedScopesProblem } from './scope-rules.js';

/** The options the access-policy rules read besides the rule itself. */
export interface AccessPolicyRulesContext {
  mode?: unknown;
  scopes?: unknown;
  requiredGroups?: unknown;
}

/** A DNS name in lowercase (the form IdPs put in `email`), e.g. `example.com`, `dev.localhost`. */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A group name or id as IdPs write it (Okta names, Entra object ids): visible text, no control characters. */
// eslint-disable-next-line no-control-regex
const GROUP = /^[^\u0000-\u001f\u007f]{1,256}$/;

export function proxyOnlyProblem(o: AccessPolicyRulesContext): string | undefined {
  return o.mode === 'proxy' ? undefined : 'is only used in proxy mode (where this server makes the grants)';
}

export function emailDomainsProblem(value: unknown, o: AccessPolicyRulesContext): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return 'must list at least one domain';
  if (!value.every((d) => typeof d === 'string' && DOMAIN.test(d))) return 'must list domain names in lowercase, without "@" or wildcards (e.g. example.com)';
  return proxyOnlyProblem(o);
}

export function groupsProblem(value: unknown, o: AccessPolicyRulesContext, forbidden = false): string | undefined {
  if (!Array.isArray(value) || !value.every((g) => typeof g === 'string' && GROUP.test(g)))
    return 'must list group names or ids (1-256 characters, no control characters)';
  if (forbidden && Array.isArray(o.requiredGroups) && value.some((g) => (o.requiredGroups as unknown[]).includes(g))) {
    return 'names a group that requiredGroups (OAUTH_POLICY_REQUIRED_GROUPS) requires: nobody could be granted anything';
  }
  return proxyOnlyProblem(o);
}

/** `groupScopes` and `clientScopes`: a plain object of names to lists of scopes this server supports. */
export function scopeMapProblem(value: unknown, o: AccessPolicyRulesContext, key: RegExp, what: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `must be a JSON object mapping ${what} to lists of scopes`;
  for (const [name, scopes] of Object.entries(value)) {
    if (!key.test(name)) return `has a ${what.replace(/s$/, '')} name that is empty, too long or has control characters`;
    const problem = supportedScopesProblem(scopes, o.scopes);
    if (problem) return `has an entry that ${problem}`;
  }
  return proxyOnlyProblem(o);
}

export const GROUP_NAME = GROUP;
/** Client ids as the token endpoint reads them. */
export const CLIENT_ID = /^[\x21-\x7E]{1,2048}$/;

export function accessPolicyHookProblem(value: unknown, o: AccessPolicyRulesContext): string | undefined {
  if (typeof value !== 'function') return 'must be a function (ctx) => boolean | { allow, scopes?, reason? }';
  return proxyOnlyProblem(o);
}
