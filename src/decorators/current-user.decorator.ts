import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { OAuthMcpUser } from '../interfaces/oauth-mcp-user.interface.js';

/** The authenticated caller (`req.user`), or one field of it: `@CurrentUser('email')`. @publicApi */
export const CurrentUser = createParamDecorator((field: keyof OAuthMcpUser | undefined, ctx: ExecutionContext) => {
  const user = ctx.switchToHttp().getRequest<{ user?: OAuthMcpUser }>().user;
  return field ? user?.[field] : user;
});
