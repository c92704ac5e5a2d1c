import type { AccessPolicyUser } from '../../config/access-policy.interface.js';
import type { ResolvedAccessRules } from '../../config/resolved-config.interface.js';
import { applyAccessRules } from './access-rules.js';

const NONE: ResolvedAccessRules = { allowedEmailDomains: [], requiredGroups: [], forbiddenGroups: [], clientScopes: {} };
const user = (over: Partial<AccessPolicyUser> = {}): AccessPolicyUser => ({
  sub: 'u1',
  issuer: 'https://idp.example.com',
  email: 'ann@corp.example',
  emailVerified: true,
  groups: ['eng'],
  claims: {},
  ...over,
});
const input = (over: Partial<Parameters<typeof applyAccessRules>[1]> = {}) => ({
  grantType: 'authorization_code' as const,
  clientId: 'c1',
  user: user(),
  scopes: ['read', 'write'],
  ...over,
});

describe('applyAccessRules: declarative rules only refuse or narrow', () => {
  it('no rules: everything passes unchanged', () => {
    expect(applyAccessRules(NONE, input())).toEqual({ allowed: true, scopes: ['read', 'write'] });
  });

  it('the user rules are checked in order and named', () => {
    const rules: ResolvedAccessRules = { ...NONE, forbiddenGroups: ['ext'], requiredGroups: ['eng'], allowedEmailDomains: ['corp.example'] };
    expect(applyAccessRules(rules, input({ user: user({ groups: ['eng', 'ext'], email: 'x@other.example' }) }))).toEqual({
      allowed: false,
      rule: 'forbiddenGroups',
    });
    expect(applyAccessRules(rules, input({ user: user({ groups: [] }) }))).toEqual({ allowed: false, rule: 'requiredGroups' });
    for (const email of ['ann@other.example', 'ann@sub.corp.example', 'a@b@corp.example', '@corp.example', 'corp.example']) {
      expect(applyAccessRules(rules, input({ user: user({ email }) }))).toEqual({ allowed: false, rule: 'allowedEmailDomains' });
    }
    expect(applyAccessRules(rules, input({ user: user({ emailVerified: false }) }))).toEqual({ allowed: false, rule: 'allowedEmailDomains' });
    expect(applyAccessRules(rules, input({ user: user({ email: 'Ann@CORP.EXAMPLE' }) })).allowed).toBe(true);
  });

  it('scope maps narrow, refuse when nothing requested is left, and ignore inherited keys (__proto__, constructor)', () => {
    const rules: ResolvedAccessRules = { ...NONE, groupScopes: { eng: ['read'] }, clientScopes: { c1: ['read', 'admin'] } };
    expect(applyAccessRules(rules, input())).toEqual({ allowed: true, scopes: ['read'] });
    expect(applyAccessRules(rules, input({ scopes: ['write'] }))).toEqual({ allowed: false, rule: 'groupScopes' });
    expect(applyAccessRules(rules, input({ scopes: [] }))).toEqual({ allowed: true, scopes: [] });
    expect(applyAccessRules(rules, input({ user: user({ groups: ['constructor', '__proto__'] }) }))).toEqual({ allowed: false, rule: 'groupScopes' });
    expect(applyAccessRules({ ...NONE, clientScopes: { c1: ['admin'] } }, input())).toEqual({ allowed: false, rule: 'clientScopes' });
    expect(applyAccessRules({ ...NONE, clientScopes: {} }, input({ clientId: 'constructor' }))).toEqual({ allowed: true, scopes: ['read', 'write'] });
  });

  it('a machine client (no user) meets only the client limit', () => {
    const rules: ResolvedAccessRules = {
      ...NONE,
      requiredGroups: ['eng'],
      allowedEmailDomains: ['corp.example'],
      groupScopes: {},
      clientScopes: { c1: ['read'] },
    };
    expect(applyAccessRules(rules, input({ grantType: 'client_credentials', user: undefined }))).toEqual({ allowed: true, scopes: ['read'] });
  });
});
