/**
 * The authenticated caller, set on `req.user` by the guards and returned by `@CurrentUser()`.
 * @publicApi
 */
export interface OAuthMcpUser {
  /** Subject (`sub`). */
  sub: string;
  /** `preferred_username`, Okta `uid`/`sub`-as-login, Google email, or `sub`. */
  username: string;
  email?: string;
  name?: string;
  /** Group or role claims (`groups`, Azure `roles`), when the IdP sends them. */
  groups: string[];
  /** Granted scopes (`scope`, `scp`). */
  scopes: string[];
  /** OAuth client the token was issued to (`client_id`, `azp`, `cid`, `appid`), when known. */
  clientId?: string;
  /** Token issuer (`iss`). */
  issuer?: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt: number;
  /** Provider that validated the token. */
  provider: string;
  /** Every claim of the token, for application-specific checks. */
  claims: Readonly<Record<string, unknown>>;
}

/**
 * The official MCP SDK's `AuthInfo` shape (`@modelcontextprotocol/sdk/server/auth/types`), set on
 * `req.auth` so SDK tool handlers receive it as `extra.authInfo`. Declared here so the library depends
 * on neither SDK major.
 * @publicApi
 */
export interface McpAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown> & { user: OAuthMcpUser };
}
