import type { GrantedUser } from '../grants/grant.interface.js';

/** A fully validated authorization request (every parameter checked before any page or redirect). */
export interface AuthorizationRequest {
  clientId: string;
  /** The redirect URI as the client sent it (a loopback port may differ from the registered one). */
  redirectUri: string;
  /** The registered entry it matched. */
  registeredRedirectUri: string;
  /** False when the client omitted redirect_uri and its only registered one was used (RFC 6749 §4.1.3). */
  redirectUriProvided: boolean;
  codeChallenge: string;
  state?: string;
  scopes: string[];
  resource: string;
}

/** Pending consent (shown, not yet answered). */
export interface ConsentRequestRecord {
  request: AuthorizationRequest;
  csrfHash: string;
  bindingHash: string;
}

/** Pending upstream sign-in, keyed by SHA-256 of the upstream `state`. */
export interface UpstreamStateRecord {
  request: AuthorizationRequest;
  nonce: string;
  codeVerifier: string;
  bindingHash: string;
  /** Set when consent was remembered rather than given now: the upstream user must be this one. */
  consentedUserKey?: string;
}

/**
 * Pending upstream sign-in started by the connected-apps page: no client, no code; it ends in a browser
 * session for this server's own pages. Same key, binding cookie, nonce and PKCE as a client's sign-in.
 */
export interface AppsSignInStateRecord {
  purpose: 'connected-apps';
  nonce: string;
  codeVerifier: string;
  bindingHash: string;
}

/** This server's authorization code, keyed by its SHA-256; single use, 60 s. */
export interface AuthorizationCodeRecord extends AuthorizationRequest {
  user: GrantedUser;
  fid: string;
}
