/** The grant types this server can issue access tokens through. @publicApi */
export type GrantTypeName = 'authorization_code' | 'client_credentials' | 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * Declarative access rules (proxy mode), checked whenever a grant is made: at the end of the browser
 * sign-in, for an Identity Assertion JWT Authorization Grant (ID-JAG), and for a machine client. They
 * only ever refuse or narrow, never add. The user rules (email domains, groups) apply where there is a
 * user; a machine client has none, so only `clientScopes` (and the hook) apply to it. @publicApi
 */
export interface AccessRules {
  /**
   * The user's email must be verified (`email_verified: true`) and its domain one of these, exactly
   * (lowercase; `example.com` does not admit `eu.example.com`). Env: `OAUTH_POLICY_EMAIL_DOMAINS`.
   */
  allowedEmailDomains?: string[];
  /** The user must be in every one of these IdP groups. Env: `OAUTH_POLICY_REQUIRED_GROUPS`. */
  requiredGroups?: string[];
  /** A user in any of these IdP groups is refused. Env: `OAUTH_POLICY_FORBIDDEN_GROUPS`. */
  forbiddenGroups?: string[];
  /**
   * Group → scopes: when set, a user is granted at most the scopes of the groups they are in (the union);
   * a user in none of the groups gets no scope. Env: `OAUTH_POLICY_GROUP_SCOPES` (JSON object).
   */
  groupScopes?: Record<string, string[]>;
  /** Client id → the most it may be granted (any kind of client). Env: `OAUTH_POLICY_CLIENT_SCOPES` (JSON object). */
  clientScopes?: Record<string, string[]>;
}

/** The user a grant is about to be made for, as the IdP described them. @publicApi */
export interface AccessPolicyUser {
  sub: string;
  /** Who vouched for the user: the upstream IdP (browser sign-in) or the ID-JAG's issuer. */
  issuer: string;
  email?: string;
  emailVerified: boolean;
  username?: string;
  name?: string;
  groups: readonly string[];
  /** Every claim of the verified ID token or ID-JAG (e.g. `acr`, `amr`, `tenant`); never stored. */
  claims: Readonly<Record<string, unknown>>;
}

/** What the `accessPolicy` hook decides about. @publicApi */
export interface AccessPolicyContext {
  grantType: GrantTypeName;
  clientId: string;
  /** Absent for a machine client (client credentials): the client acts for itself. */
  user?: AccessPolicyUser;
  /** The scopes about to be granted, after the declarative rules. */
  scopes: readonly string[];
}

/**
 * `true`/`{ allow: true }` grants (optionally narrowing the scopes: only a subset of `ctx.scopes` is
 * kept); `false`/`{ allow: false, reason }` refuses. `reason` goes into the audit event when it is a
 * short code (`[A-Za-z0-9._:-]`, ≤ 64); never put user data or tokens in it. @publicApi
 */
export type AccessPolicyDecision = boolean | { allow: true; scopes?: readonly string[] } | { allow: false; reason?: string };

/** Code that decides, after the declarative rules, whether a grant may be made. A throw refuses. @publicApi */
export type AccessPolicyHook = (ctx: AccessPolicyContext) => AccessPolicyDecision | Promise<AccessPolicyDecision>;
