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
import { TokenVerifier } from '../verification/token-verifier.service.js';
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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    if (this.isPublic(context)) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<AuthenticatedRequest & Verified>();
    try {
      // A second guard on the same request (global + MCP guard) reuses the first verification, known
      // by a private symbol: a `req.auth` or `req.user` set by any other middleware is never trusted.
      let auth = req[VERIFIED];
      if (!auth) {
        const { token, user } = await this.verifier.verify(req);
        auth = {
          token,
          clientId: user.clientId ?? '',
          scopes: user.scopes,
          expiresAt: user.expiresAt,
          resource: new URL(this.config.resource),
          extra: { user },
        };
        req[VERIFIED] = auth;
      }
      req.user = auth.extra!.user;
      req.auth = auth;
      const required = await this.requiredScopes(context, req);
      if (!coversScopes(auth.scopes, required, this.config.impliedScopes)) {
        throw new InsufficientScopeError(required, auth.scopes);
      }
      this.afterAuthentication(req);
      return true;
    } catch (err) {
      if (err instanceof OAuthError) {
        // A malformed credential (token in two places) is a Bearer problem too (RFC 6750 §3.1).
        if (err instanceof InvalidRequestError) err.challenge = 'Bearer';
        this.responder.applyHeaders(http.getResponse(), err);
        const ours = req[VERIFIED];
        this.audit.emit({
          type: 'authorization_denied',
          reason: err instanceof InvalidTokenError && err.missing ? 'no_token' : err.error,
          subject: ours?.extra?.user.sub,
          clientId: ours?.clientId || undefined,
          ...(err instanceof InsufficientScopeError ? { scopes: [...err.requiredScopes] } : {}),
        }, req as unknown as PeerRequest);
      }
      throw err;
    }
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
