import type { AccessPolicyUser, GrantTypeName } from '../../config/access-policy.interface.js';
import type { ResolvedAccessRules } from '../../config/resolved-config.interface.js';
import type { GrantedUser } from '../grants/grant.interface.js';

/** A grant about to be made: by whom, for whom, with which scopes. */
export interface PolicyInput {
  grantType: GrantTypeName;
  clientId: string;
  user?: AccessPolicyUser;
  scopes: readonly string[];
}

/** Granted (possibly with fewer scopes), or refused by a named rule. */
export type PolicyOutcome = { allowed: true; scopes: string[] } | { allowed: false; rule: string; reason?: string };

const own = (map: Readonly<Record<string, readonly string[]>>, key: string): readonly string[] | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

/** The address has one `@`, a local part, a verified flag, and a domain in the list (compared in lowercase). */
function emailAllowed(user: AccessPolicyUser, domains: readonly string[]): boolean {
  const email = user.email;
  if (!user.emailVerified || typeof email !== 'string') return false;
  const at = email.indexOf('@');
  if (at < 1 || at !== email.lastIndexOf('@')) return false;
  return domains.includes(email.slice(at + 1).toLowerCase());
}

/**
 * The declarative rules, in a fixed order: forbidden groups, required groups, email domain (user rules,
 * skipped for a machine client, which has no user), then the scope limits of the user's groups and of
 * the client. Scopes only ever narrow; a limit that leaves none of the requested scopes refuses the
 * grant, naming that limit (a request for no scope is granted none).
 */
export function applyAccessRules(rules: ResolvedAccessRules, input: PolicyInput): PolicyOutcome {
  const requested = input.scopes;
  let scopes = [...requested];
  const user = input.user;
  if (user) {
    if (rules.forbiddenGroups.some((g) => user.groups.includes(g))) return { allowed: false, rule: 'forbiddenGroups' };
    if (!rules.requiredGroups.every((g) => user.groups.includes(g))) return { allowed: false, rule: 'requiredGroups' };
    if (rules.allowedEmailDomains.length > 0 && !emailAllowed(user, rules.allowedEmailDomains)) return { allowed: false, rule: 'allowedEmailDomains' };
    if (rules.groupScopes) {
      const map = rules.groupScopes;
      const allowed = new Set(user.groups.flatMap((g) => own(map, g) ?? []));
      scopes = scopes.filter((s) => allowed.has(s));
      if (requested.length > 0 && scopes.length === 0) return { allowed: false, rule: 'groupScopes' };
    }
  }
  const clientLimit = own(rules.clientScopes, input.clientId);
  if (clientLimit) {
    const before = scopes.length;
    scopes = scopes.filter((s) => clientLimit.includes(s));
    if (before > 0 && scopes.length === 0) return { allowed: false, rule: 'clientScopes' };
  }
  return { allowed: true, scopes };
}

/** The user as the policy sees them: who vouched for them, and every verified claim (never stored). */
export function policyUser(user: GrantedUser, issuer: string, claims: Readonly<Record<string, unknown>>): AccessPolicyUser {
  return {
    sub: user.sub,
    issuer,
    email: user.email,
    emailVerified: user.emailVerified === true,
    username: user.username,
    name: user.name,
    groups: user.groups,
    claims: Object.freeze({ ...claims }),
  };
}
