import { type ExecutionContext, Injectable } from '@nestjs/common';
import { OriginNotAllowedError } from '../errors/oauth.errors.js';
import { REQUIRED_TOOL_SCOPES_KEY } from '../oauth-mcp.constants.js';
import { type AuthenticatedRequest, BearerAuthGuard } from './bearer-auth.guard.js';

interface JsonRpcCall {
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * Guard for MCP endpoints. Always requires a token (`@Public()` does not apply: an MCP endpoint is
 * never anonymous), and adds the `@RequireToolScopes()` of every `tools/call` in the JSON-RPC body
 * (batches included) to the scopes required, so a missing tool scope is an HTTP 403 step-up challenge.
 * Put it on a controller that answers every method (`@All()`), so an unauthenticated GET/DELETE gets
 * 401 rather than 404/405 (mcp-remote falls back to SSE on those).
 * @publicApi
 */
@Injectable()
export class McpAuthGuard extends BearerAuthGuard {
  /**
   * DNS rebinding (MCP transports: servers MUST validate Origin): a browser request from an origin that
   * is neither this server's nor in `allowedOrigins` gets 403. Checked after authentication, so it
   * never hides the 401 challenge; requests without `Origin` (non-browser clients) pass.
   */
  protected override afterAuthentication(req: AuthenticatedRequest): void {
    const origin = req.headers.origin;
    if (origin !== undefined && !(typeof origin === 'string' && this.config.allowedOrigins.includes(origin))) {
      throw new OriginNotAllowedError();
    }
  }

  protected override requiredScopes(context: ExecutionContext, req: AuthenticatedRequest): string[] {
    const scopes = new Set(super.requiredScopes(context, req));
    const byTool = this.reflector.getAllAndOverride<Record<string, string[]> | undefined>(REQUIRED_TOOL_SCOPES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (byTool && req.method === 'POST') {
      const calls: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
      for (const call of calls) {
        const { method, params } = (call ?? {}) as JsonRpcCall;
        if (method === 'tools/call' && typeof params?.name === 'string' && Object.hasOwn(byTool, params.name)) {
          for (const s of byTool[params.name]) scopes.add(s);
        }
      }
    }
    return [...scopes];
  }
}
