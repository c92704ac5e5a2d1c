import type { IncomingMessage } from 'node:http';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, OAuthError } from '../../errors/oauth.errors.js';
import { AuditService } from '../../audit/audit.service.js';
import { OAuthErrorResponder } from '../../http/oauth-error.responder.js';
import { coversScopes } from '../challenge/scope-check.js';
import type { McpAuthInfo, OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { REQUIRED_SCOPES_KEY } from '../../oauth-mcp.constants.js';
import type { PeerRequest } from '../../http/client-ip.js';
import { TokenVerifier, type VerifiedCaller } from '../verification/token-verifier.service.js';
import { isQuietRefusal } from '../../rate-limit/quiet-refusal.js';
import { RouteMetadataCache } from './route-metadata-cache.js';

/** The request fields the guards read and write. */
export interface AuthenticatedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
  raw?: IncomingMessage;
  user?: OAuthMcpUser;
  auth?: McpAuthInfo;
}

/** Marks the caller this module verified on the request; other code cannot forge a symbol it cannot see. */
const VERIFIED = Symbol('oauth-mcp:verified-caller');

interface Verified {
  [VERIFIED]?: McpAuthInfo;
}

/**
 * Shared work of `JwtAuthGuard` and `McpAuthGuard`: verify the bearer token, set `req.user` and
 * `req.auth` (the MCP SDK's `AuthInfo`), enforce required scopes. A refusal is thrown as an OAuthError;
 * its headers (the RFC 6750 challenge) are written first, so any exception filter sends them.
 */
@Injectable()
export abstract class BearerAuthGuard implements CanActivate {
  protected readonly config: ResolvedOAuthMcpConfig;

  constructor(
    protected readonly verifier: TokenVerifier,
    configService: OAuthMcpConfigService,
    protected readonly reflector: Reflector,
    protected readonly audit: AuditService,
    private readonly responder: OAuthErrorResponder,
  ) {
    this.config = configService.config;
  }

  /** Synchronous on a cache hit of a route whose scopes are fixed: no promise for Nest to await. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return false;
    if (this.isPublic(context)) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<AuthenticatedRequest & Verified>();
    try {
      const admitted = this.admit(context, req);
      return admitted instanceof Promise ? admitted.catch((err: unknown) => this.refuse(err, http, req)) : admitted;
    } catch (err) {
      return this.refuse(err, http, req);
    }
  }

  /** The caller (verified now, or by a first guard on this request), then the scopes the operation needs. */
  private admit(context: ExecutionContext, req: AuthenticatedRequest & Verified): boolean | Promise<boolean> {
    // A second guard on the same request (global + MCP guard) reuses the first verification, known
    // by a private symbol: a `req.auth` or `req.user` set by any other middleware is never trusted.
    const verified = req[VERIFIED];
    if (verified) return this.authorize(context, req, verified);
    const caller = this.verifier.verifyRequest(req);
    if (caller instanceof Promise) return caller.then((c) => this.authenticated(context, req, c));
    return this.authenticated(context, req, caller);
  }

  private authenticated(context: ExecutionContext, req: AuthenticatedRequest & Verified, { token, user }: VerifiedCaller): boolean | Promise<boolean> {
    const auth: McpAuthInfo = {
      token,
      clientId: user.clientId ?? '',
      scopes: user.scopes,
      expiresAt: user.expiresAt,
      resource: this.resourceUrl(user),
      extra: { user },
    };
    req[VERIFIED] = auth;
    return this.authorize(context, req, auth);
  }

  private authorize(context: ExecutionContext, req: AuthenticatedRequest, auth: McpAuthInfo): boolean | Promise<boolean> {
    req.user = auth.extra!.user;
    req.auth = auth;
    // Fastify: the MCP SDK's transports take the Node request (`req.raw`) and read `auth` there.
    if (req.raw && (req.raw as unknown) !== req) Object.assign(req.raw, { auth, user: auth.extra!.user });
    const required = this.requiredScopes(context, req);
    return required instanceof Promise ? required.then((r) => this.permitted(req, auth, r)) : this.permitted(req, auth, required);
  }

  private permitted(req: AuthenticatedRequest, auth: McpAuthInfo, required: string[]): boolean {
    if (!coversScopes(auth.scopes, required, this.config.impliedScopes)) throw new InsufficientScopeError(required, auth.scopes);
    this.afterAuthentication(req);
    return true;
  }

  private readonly resourceUrls = new WeakMap<OAuthMcpUser, URL>();

  /** `req.auth.resource`: one URL per verified token (the cached user), not one per request. */
  private resourceUrl(user: OAuthMcpUser): URL {
    let url = this.resourceUrls.get(user);
    if (!url) this.resourceUrls.set(user, (url = new URL(this.config.resource)));
    return url;
  }

  private refuse(err: unknown, http: ReturnType<ExecutionContext['switchToHttp']>, req: AuthenticatedRequest & Verified): never {
    if (err instanceof OAuthError) {
      // A malformed credential (token in two places) is a Bearer problem too (RFC 6750 §3.1).
      if (err instanceof InvalidRequestError) err.challenge = 'Bearer';
      this.responder.applyHeaders(http.getResponse(), err);
      // Already accounted for by the failed-auth throttle (its aggregate event), so a flood stays bounded.
      if (isQuietRefusal(err)) throw err;
      const ours = req[VERIFIED];
      this.audit.emit(
        {
          type: 'authorization_denied',
          reason: err instanceof InvalidTokenError && err.missing ? 'no_token' : err.error,
          subject: ours?.extra?.user.sub,
          clientId: ours?.clientId || undefined,
          ...(err instanceof InsufficientScopeError ? { scopes: [...err.requiredScopes] } : {}),
        },
        req as unknown as PeerRequest,
      );
    }
    throw err;
  }

  /** Extra checks once the caller is known (the MCP guard validates `Origin`). */
  protected afterAuthentication(_req: AuthenticatedRequest): void {}

  /** Routes the guard lets through without a token. */
  protected isPublic(_context: ExecutionContext): boolean {
    return false;
  }

  /**
   * Scopes the current operation needs: `@RequireScopes()` on the controller and on the handler, added
   * up (a method-level list never relaxes the controller's).
   */
  protected requiredScopes(context: ExecutionContext, _req: AuthenticatedRequest): string[] | Promise<string[]> {
    return this.routeScopes(context);
  }

  private readonly routeScopeCache = new RouteMetadataCache<string[]>();

  /** The union of class and handler `@RequireScopes()`, computed once per route. */
  protected routeScopes(context: ExecutionContext): string[] {
    return this.routeScopeCache.get(context, (targets) => {
      const lists = this.reflector.getAll<(string[] | undefined)[]>(REQUIRED_SCOPES_KEY, targets);
      return [...new Set(lists.flatMap((list) => list ?? []))];
    });
  }
}
