import { type ExecutionContext, Injectable } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../../oauth-mcp.constants.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';

/**
 * Bearer-token guard for any route; register it globally with `OAuthMcpModule.forRoot({ global: true })`
 * and opt routes out with `@Public()`.
 * @publicApi
 */
@Injectable()
export class JwtAuthGuard extends BearerAuthGuard {
  protected override isPublic(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
  }
}
