import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InsufficientScopeError, InvalidTokenError } from '../../errors/oauth.errors.js';
import type { AuthorizationHeaderCarrier } from '../../http/authorization-header.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { TokenVerifier } from '../../resource-server/verification/token-verifier.service.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';
import { userKeyOf } from '../authorize/user-key.js';
import { safeEqual, sha256 } from '../crypto/random.js';
import { cookieName, SESSION_COOKIE } from '../http/cookies.js';

/** The signed-in user behind a "Connected apps" request. */
export interface AppsPrincipal {
  userKey: string;
  via: 'session' | 'bearer';
  /** Session only: the CSRF token a state-changing request must carry (bound to this session). */
  csrfToken?: string;
}

/**
 * Who is asking: the browser session of the consent flow (cookie), or a bearer token this server issued
 * to a signed-in user with the connected-apps scope. A session's CSRF token is an HMAC of the session id
 * under the server secret: bound to that session, nothing stored, useless to anyone without the cookie.
 */
@Injectable()
export class ConnectedAppsAuth {
  private readonly config: ResolvedOAuthMcpConfig;

  constructor(
    configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly verifier: TokenVerifier,
  ) {
    this.config = configService.config;
  }

  /** The session's user, or undefined (no cookie, unknown or expired session). */
  async fromSession(cookies: Record<string, string>): Promise<AppsPrincipal | undefined> {
    const sid = cookies[cookieName(SESSION_COOKIE, this.config.https)];
    if (!sid || sid.length > 128) return undefined;
    const session = await this.store.get<{ userKey: string }>(StoreKeys.session(sha256(sid)));
    return session ? { userKey: session.userKey, via: 'session', csrfToken: this.csrfFor(sid) } : undefined;
  }

  /**
   * The bearer token's user: 401 unless it is a valid, unrevoked token of this server from a user's
   * sign-in (not a machine or ID-JAG grant), 403 `insufficient_scope` without the connected-apps scope.
   */
  async fromBearer(req: AuthorizationHeaderCarrier & { query?: unknown; body?: unknown }): Promise<AppsPrincipal> {
    const { user } = await this.verifier.verify(req);
    const fromSignIn = user.issuer === this.config.issuer && typeof user.claims.fid === 'string' && user.claims.gty === undefined;
    if (!fromSignIn) throw new InvalidTokenError('Only a token this server issued to a signed-in user can manage connected apps');
    const scope = this.config.connectedAppsScope;
    if (!user.scopes.includes(scope)) throw new InsufficientScopeError([scope], user.scopes);
    return { userKey: userKeyOf(this.config.upstream!.issuer, user.sub), via: 'bearer' };
  }

  /** A bearer principal needs no CSRF token (no ambient credential); a session one needs its own. */
  csrfHolds(principal: AppsPrincipal, token: string | undefined): boolean {
    if (principal.via === 'bearer') return true;
    return token !== undefined && principal.csrfToken !== undefined && safeEqual(token, principal.csrfToken);
  }

  private csrfFor(sid: string): string {
    return createHmac('sha256', this.config.jwtSecret!).update(`connected-apps-csrf|${sid}`).digest('base64url');
  }
}
