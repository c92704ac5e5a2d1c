import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { AccessPolicyContext, AccessPolicyDecision, AuditEvent } from '../../src/index.js';
import { EnterpriseIdp, type EnterpriseUser } from '../support/enterprise-idp.js';
import { authorizeUrl, completeFlow, pkce, registerClient, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';
import {
  CI_SECRET,
  clientCredentials,
  clientKey,
  enterpriseClients,
  type EnterpriseFixture,
  expectRefused,
  expectToken,
  idJag,
  jwtBearer,
  storeKeys,
} from './enterprise-helpers.js';

/*
 * security-cases.md group P, P21-P24: the access policy, evaluated whenever a grant is made: at the end of
 * the browser sign-in (a refusal is access_denied at the client's redirect URI), for an ID-JAG and for a
 * machine client (a refusal is invalid_grant). Each refusal is audited with the rule's name and stores
 * nothing. The upstream IdP and the ID-JAG issuer are the same stand-in enterprise IdP, as with Okta or
 * Entra doing both.
 */

const REDIRECT = 'http://127.0.0.1:51000/callback';
const person = (name: string, email: string, groups: string[], extra: Partial<EnterpriseUser> = {}): EnterpriseUser => ({
  sub: `ent-${name}`,
  email,
  name,
  groups,
  scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
  ...extra,
});

describe('P. The access policy at sign-in, for ID-JAGs and for machine clients', () => {
  let e: EnterpriseFixture;
  let f: ProxyFixture;
  let idp: EnterpriseIdp;
  const seen: AccessPolicyContext[] = [];
  let hook: (ctx: AccessPolicyContext) => AccessPolicyDecision | Promise<AccessPolicyDecision> = () => true;
  const audit: AuditEvent[] = [];

  beforeAll(async () => {
    idp = await new EnterpriseIdp().start();
    for (const u of [
      person('alice', 'alice@corp.example', ['mcp-users', 'engineering']),
      person('mallory', 'mallory@elsewhere.example', ['mcp-users', 'engineering']),
      person('ursula', 'ursula@corp.example', ['mcp-users', 'engineering'], { email_verified: false }),
      person('carol', 'carol@corp.example', ['engineering']),
      person('dave', 'dave@corp.example', ['mcp-users', 'engineering', 'contractors']),
      person('erin', 'erin@corp.example', ['mcp-users']),
    ]) {
      idp.users.set(u.name!, u);
    }
    const upstream = { clientId: 'mcp-proxy', clientSecret: randomBytes(32).toString('base64url'), redirectUri: '', resourceClients: {} };
    idp.apps.set(upstream.clientId, upstream);
    const key = await clientKey('client-key-1');
    f = await startProxyFixture({
      issuer: idp.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
      consentRememberDays: 0,
      idJag: { issuers: [{ issuer: idp.issuer }] },
      staticClients: enterpriseClients(key),
      auditSink: { emit: (ev) => void audit.push(ev) },
      accessRules: {
        allowedEmailDomains: ['corp.example'],
        requiredGroups: ['mcp-users'],
        forbiddenGroups: ['contractors'],
        groupScopes: { engineering: ['mcp:read', 'mcp:write'], admins: ['mcp:admin'] },
        clientScopes: { agent: ['mcp:read', 'mcp:admin'], ci: ['mcp:read'] },
      },
      accessPolicy: (ctx) => {
        seen.push(ctx);
        return hook(ctx);
      },
    });
    upstream.redirectUri = `${f.base}/oauth/callback`;
    e = { f, idp, key, audit, close: async () => undefined };
  });
  afterAll(async () => {
    await f.close();
    await idp.stop();
  });
  beforeEach(() => {
    hook = () => true;
    seen.length = 0;
  });

  /** A browser sign-in of `user` for a fresh public client; the redirect back to the client. */
  async function signIn(user: string, scope = 'mcp:read mcp:write mcp:admin'): Promise<{ callback: URL; clientId: string; verifier: string }> {
    idp.sessionUser = user;
    const clientId = await registerClient(f, [REDIRECT]);
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(
      f,
      authorizeUrl(f, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, scope, state: 'st-1' }),
    );
    return { callback, clientId, verifier };
  }

  /** A denied sign-in: access_denied with state and iss at the redirect URI, no code, nothing left in the store, audited with the rule. */
  async function expectDeniedSignIn(user: string, rule: string, scope?: string): Promise<void> {
    idp.sessionUser = user;
    const clientId = await registerClient(f, [REDIRECT]);
    const before = storeKeys(f);
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(
      f,
      authorizeUrl(f, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, scope: scope ?? 'mcp:read', state: 'st-1' }),
    );
    void verifier;
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The access policy does not allow this sign-in',
      state: 'st-1',
      iss: f.base,
    });
    expect(storeKeys(f)).toEqual(before);
    expect(audit.at(-1)).toMatchObject({ type: 'access_policy_denied', clientId, subject: `ent-${user}`, reason: rule });
  }

  async function redeem(s: { callback: URL; clientId: string; verifier: string }) {
    return expectToken(
      await tokenRequest(f, {
        grant_type: 'authorization_code',
        code: s.callback.searchParams.get('code')!,
        code_verifier: s.verifier,
        redirect_uri: REDIRECT,
        client_id: s.clientId,
      }),
    );
  }

  const userJag = (name: string, claims: Record<string, unknown> = {}) => {
    const u = idp.users.get(name)!;
    return idJag(e, {
      sub: u.sub,
      email: u.email,
      email_verified: u.email_verified ?? true,
      groups: u.groups,
      scope: 'mcp:read mcp:write mcp:admin',
      ...claims,
    });
  };

  async function expectDeniedJag(assertion: string, rule: string): Promise<void> {
    await expectRefused(f, () => jwtBearer(f, assertion), 400, 'invalid_grant');
    expect(audit.at(-1)).toMatchObject({ type: 'access_policy_denied', clientId: 'agent', reason: rule });
  }

  it('a user every rule admits: signed in with the scopes of their groups; the same user through an ID-JAG, within the agent client limit', async () => {
    const s = await signIn('alice');
    expect(s.callback.searchParams.get('code')).toBeTruthy();
    const tokens = await redeem(s);
    expect(tokens.scope).toBe('mcp:read mcp:write');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'ent-alice', email: 'alice@corp.example', groups: ['mcp-users', 'engineering'] });
    const viaJag = await expectToken(await jwtBearer(f, await userJag('alice')));
    expect(viaJag.scope).toBe('mcp:read');
  });

  it('P21 allowedEmailDomains: another domain, or an unverified address in the domain, is refused at sign-in (access_denied) and for an ID-JAG (invalid_grant)', async () => {
    await expectDeniedSignIn('mallory', 'allowedEmailDomains');
    await expectDeniedSignIn('ursula', 'allowedEmailDomains');
    await expectDeniedJag(await userJag('mallory'), 'allowedEmailDomains');
    await expectDeniedJag(await userJag('alice', { email_verified: false }), 'allowedEmailDomains');
    await expectDeniedJag(await userJag('alice', { email: undefined }), 'allowedEmailDomains');
    await expectDeniedJag(await userJag('alice', { email: 'mallory@elsewhere.example@corp.example' }), 'allowedEmailDomains');
    await expectDeniedJag(await userJag('alice', { email: 'alice@sub.corp.example' }), 'allowedEmailDomains');
  });

  it('P22 requiredGroups and forbiddenGroups: a user outside mcp-users, or in contractors, is refused at sign-in and for an ID-JAG', async () => {
    await expectDeniedSignIn('carol', 'requiredGroups');
    await expectDeniedSignIn('dave', 'forbiddenGroups');
    await expectDeniedJag(await userJag('carol'), 'requiredGroups');
    await expectDeniedJag(await userJag('dave'), 'forbiddenGroups');
    await expectDeniedJag(await userJag('alice', { groups: undefined }), 'requiredGroups');
  });

  it('P23 groupScopes and clientScopes only narrow; a limit that leaves none of the requested scopes refuses, naming it', async () => {
    const onlyAdmin = await signIn('alice', 'mcp:admin');
    expect(onlyAdmin.callback.searchParams.get('error')).toBe('access_denied');
    expect(audit.at(-1)).toMatchObject({ type: 'access_policy_denied', reason: 'groupScopes' });
    await expectDeniedSignIn('erin', 'groupScopes');
    // The assertion carries mcp:write, alice's groups allow it, but the agent may only have mcp:read and mcp:admin.
    await expectDeniedJag(await userJag('alice', { scope: 'mcp:write' }), 'clientScopes');
    // Machine client ci: registered for read and write, limited to read by the policy.
    const narrowed = await expectToken(await clientCredentials(f, 'ci', CI_SECRET));
    expect(narrowed.scope).toBe('mcp:read');
    await expectRefused(f, () => clientCredentials(f, 'ci', CI_SECRET, { scope: 'mcp:write' }), 400, 'invalid_grant');
    expect(audit.at(-1)).toMatchObject({ type: 'access_policy_denied', clientId: 'ci', reason: 'clientScopes' });
  });

  it('P24 the accessPolicy hook sees who, for which client and grant, and may refuse (audited with its reason) or narrow; a throwing or unreadable hook refuses', async () => {
    hook = (ctx) => (Array.isArray(ctx.user?.claims.amr) && ctx.user.claims.amr.includes('mfa') ? true : { allow: false, reason: 'mfa_required' });
    await expectDeniedJag(await userJag('alice', { amr: ['pwd'] }), 'accessPolicy:mfa_required');
    await expectToken(await jwtBearer(f, await userJag('alice', { amr: ['pwd', 'mfa'] })));
    expect(seen.at(-1)).toMatchObject({
      grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      clientId: 'agent',
      scopes: ['mcp:read'],
      user: { sub: 'ent-alice', issuer: idp.issuer, email: 'alice@corp.example', emailVerified: true },
    });

    hook = (ctx) => ctx.user?.sub !== 'ent-alice';
    await expectDeniedSignIn('alice', 'accessPolicy');
    expect(seen.at(-1)).toMatchObject({
      grantType: 'authorization_code',
      user: { sub: 'ent-alice', issuer: idp.issuer, groups: ['mcp-users', 'engineering'] },
    });
    expect((seen.at(-1)!.user!.claims as { amr?: unknown }).amr).toEqual(['pwd', 'mfa']);

    hook = (ctx) => ({ allow: true, scopes: ctx.scopes.filter((s) => s !== 'mcp:write') });
    const s = await signIn('alice');
    expect((await redeem(s)).scope).toBe('mcp:read');

    hook = (ctx) => (ctx.user === undefined && ctx.clientId === 'ci' ? { allow: false, reason: 'no machines on sundays' } : true);
    await expectRefused(f, () => clientCredentials(f, 'ci', CI_SECRET), 400, 'invalid_grant');
    expect(audit.at(-1)).toMatchObject({ type: 'access_policy_denied', clientId: 'ci', reason: 'accessPolicy' });
    expect(seen.at(-1)).toEqual({ grantType: 'client_credentials', clientId: 'ci', user: undefined, scopes: ['mcp:read'] });

    hook = () => {
      throw new Error('policy backend down');
    };
    await expectDeniedJag(await userJag('alice'), 'accessPolicy:error');
    hook = () => 'yes' as never;
    await expectDeniedJag(await userJag('alice'), 'accessPolicy:invalid_decision');
    hook = async () => ({ allow: true, scopes: 'mcp:admin' }) as never;
    await expectDeniedJag(await userJag('alice'), 'accessPolicy:invalid_decision');
    // Widening is impossible: scopes the hook adds are not granted.
    hook = () => ({ allow: true, scopes: ['mcp:read', 'mcp:admin', 'mcp:write'] });
    expect((await expectToken(await jwtBearer(f, await userJag('alice')))).scope).toBe('mcp:read');
  });
});
