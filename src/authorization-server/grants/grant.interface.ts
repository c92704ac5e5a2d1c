/** The user a grant was made for, as mapped from the upstream ID token. */
export interface GrantedUser {
  sub: string;
  username?: string;
  email?: string;
  /** The IdP asserted `email_verified: true` (the access policy's email-domain rule requires it). */
  emailVerified?: boolean;
  name?: string;
  groups: string[];
}

/** What a client was authorized for: who, which scopes, for which resource. */
export interface Grant {
  clientId: string;
  user: GrantedUser;
  scopes: string[];
  resource: string;
}

/** A refresh-token family: one per authorization, rotated on every refresh. */
export interface RefreshFamily extends Grant {
  version: number;
  fid: string;
  /** SHA-256 of the only refresh token of the family that is still valid. */
  rtHash: string;
  /** Epoch seconds; the family ends then whatever the rotations. */
  expiresAt: number;
  /** Epoch seconds of the last refresh (connected apps' "last used"); absent until the first one. */
  usedAt?: number;
  /** RFC 9449 §5: a public client's refresh token is bound to its DPoP key (thumbprint); refreshing needs a proof by it. */
  jkt?: string;
  /** Whether the access tokens last issued on this grant are DPoP-bound (any client; connected apps show it). */
  accessBound?: boolean;
}

/** RFC 6749 §5.1 success response; absent members are omitted, never null. */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the access token is bound to the client's key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  /** Absent for grants that get none (client credentials, ID-JAG: the client asks again). */
  refresh_token?: string;
  /** Absent when no scope was granted. */
  scope?: string;
}
