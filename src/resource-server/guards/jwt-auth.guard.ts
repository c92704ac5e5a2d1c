import { type ExecutionContext, Injectable } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../../oauth-mcp.constants.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { RouteMetadataCache } from './route-metadata-cache.js';

/**
 * Bearer-token guard for any route; register it globally with `OAuthMcpModule.forRoot({ global: true })`
 * and opt routes out with `@Public()`.
 * @publicApi
 */
@Injectable()
export class JwtAuthGuard extends BearerAuthGuard {
  private readonly publicRoutes = new RouteMetadataCache<boolean>();

  /** `@Public()` on the handler or its class, read once per route. */
  protected override isPublic(context: ExecutionContext): boolean {
    return this.publicRoutes.get(context, ([cls, handler]) => this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, cls]) === true);
  }
}
