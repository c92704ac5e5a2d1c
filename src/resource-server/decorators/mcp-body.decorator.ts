import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { guardedMcpBody, hasGuardedMcpBody } from '../guards/mcp-message.js';

/**
 * The JSON-RPC payload `McpAuthGuard` checked, to hand to the MCP transport
 * (`transport.handleRequest(req, res, body)`): never bytes the guard did not see. Throws when the
 * guard did not run on a POST (a route left unguarded by mistake answers 500, not unchecked).
 * @publicApi
 */
export const McpBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => {
  const req = ctx.switchToHttp().getRequest<{ method: string }>();
  if (req.method !== 'POST') return undefined;
  if (!hasGuardedMcpBody(req)) throw new Error('@McpBody() needs McpAuthGuard on the route');
  return guardedMcpBody(req);
});
