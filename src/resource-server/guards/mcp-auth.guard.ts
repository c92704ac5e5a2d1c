import { type ExecutionContext, Injectable } from '@nestjs/common';
import { OriginNotAllowedError } from '../../errors/oauth.errors.js';
import { REQUIRED_TOOL_SCOPES_KEY } from '../../oauth-mcp.constants.js';
import { type AuthenticatedRequest, BearerAuthGuard } from './bearer-auth.guard.js';
import { calledToolNames, settleMcpBody } from './mcp-message.js';
import { RouteMetadataCache } from './route-metadata-cache.js';

/** Tool name (lower case) → scopes, from every `@RequireToolScopes()` on the class and the handler. */
type ToolScopeIndex = ReadonlyMap<string, readonly string[]>;

/**
 * Guard for MCP endpoints. Always requires a token (`@Public()` does not apply: an MCP endpoint is
 * never anonymous), and adds the `@RequireToolScopes()` of every tool the request can run to the
 * scopes required, so a missing tool scope is an HTTP 403 step-up challenge.
 *
 * It decides on exactly the JSON the MCP transport will execute: the body of a POST is settled once
 * (read and parsed here when no body parser did), kept on `req.body` and handed out by `@McpBody()`;
 * every `tools/call` in it (batches included, any casing) and the tool named by the `Mcp-Method` /
 * `Mcp-Name` headers count.
 *
 * Put it on a controller that answers every method (`@All()`), so an unauthenticated GET/DELETE gets
 * 401 rather than 404/405 (mcp-remote falls back to SSE on those).
 * @publicApi
 */
@Injectable()
export class McpAuthGuard extends BearerAuthGuard {
  private readonly toolIndexCache = new RouteMetadataCache<ToolScopeIndex>();

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

  protected override requiredScopes(context: ExecutionContext, req: AuthenticatedRequest): string[] | Promise<string[]> {
    const route = this.routeScopes(context);
    if (req.method !== 'POST') return route;
    // Settled on every POST, tool scopes or not: the transport then reads exactly what was decided on.
    const body = settleMcpBody(req);
    return body instanceof Promise ? body.then((b) => this.withToolScopes(context, req, route, b)) : this.withToolScopes(context, req, route, body);
  }

  /** The route's scopes plus those of every tool the request can run. */
  private withToolScopes(context: ExecutionContext, req: AuthenticatedRequest, route: string[], body: unknown): string[] {
    const byTool = this.toolIndex(context);
    if (byTool.size === 0) return route;
    const scopes = new Set(route);
    for (const name of calledToolNames(body, req)) {
      for (const scope of byTool.get(name.toLowerCase()) ?? []) scopes.add(scope);
    }
    return [...scopes];
  }

  /** Class and handler `@RequireToolScopes()` added up per tool; names compared without case. */
  private toolIndex(context: ExecutionContext): ToolScopeIndex {
    return this.toolIndexCache.get(context, (targets) => {
      const index = new Map<string, string[]>();
      for (const byTool of this.reflector.getAll<(Record<string, string[]> | undefined)[]>(REQUIRED_TOOL_SCOPES_KEY, targets)) {
        for (const [tool, scopes] of Object.entries(byTool ?? {})) {
          const key = tool.toLowerCase();
          index.set(key, [...new Set([...(index.get(key) ?? []), ...scopes])]);
        }
      }
      return index;
    });
  }
}
