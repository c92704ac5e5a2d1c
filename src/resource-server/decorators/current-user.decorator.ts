import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';

/** The shape of an RPC context that can hand out the HTTP request it came from (`@rekog/mcp-nest`'s `McpContext`). */
interface RequestCarryingRpcContext {
  getRawRequest?: () => unknown;
}

/**
 * The HTTP request behind a handler. In an RPC handler (`@rekog/mcp-nest` tools, resources and prompts
 * run as microservice message handlers) the request comes from the RPC context's `getRawRequest()`,
 * never from the payload: the payload is the caller's tool arguments.
 */
function requestOf(ctx: ExecutionContext): { user?: OAuthMcpUser } | undefined {
  if (ctx.getType() === 'rpc') {
    const rpc = ctx.switchToRpc().getContext<RequestCarryingRpcContext | undefined>();
    const raw = typeof rpc?.getRawRequest === 'function' ? rpc.getRawRequest() : undefined;
    return raw && typeof raw === 'object' ? (raw as { user?: OAuthMcpUser }) : undefined;
  }
  return ctx.switchToHttp().getRequest<{ user?: OAuthMcpUser }>();
}

/**
 * The authenticated caller (`req.user`), or one field of it: `@CurrentUser('email')`. Works in HTTP
 * handlers and in `@rekog/mcp-nest` tool methods (with `@Payload()` on the arguments parameter), where
 * it reads the user `McpAuthGuard` set on the MCP HTTP request. `undefined` without one (e.g. stdio).
 * @publicApi
 */
export const CurrentUser = createParamDecorator((field: keyof OAuthMcpUser | undefined, ctx: ExecutionContext) => {
  const user = requestOf(ctx)?.user;
  return field ? user?.[field] : user;
});
