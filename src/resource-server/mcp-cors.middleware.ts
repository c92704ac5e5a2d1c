import { HttpStatus, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import { requestPath, routeKey } from '../http/node-request.js';

const EXPOSED = 'WWW-Authenticate, DPoP-Nonce, Mcp-Session-Id, MCP-Protocol-Version';
const ALLOWED_HEADERS = 'Authorization, DPoP, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID, Mcp-Method, Mcp-Name';

/**
 * Browser access to the MCP endpoint: for an allowed `Origin` (this server's, or `allowedOrigins`) the
 * exact origin is echoed (never `*`, never with credentials) and preflights are answered here, before
 * any guard or handler runs. Other origins get no CORS headers (the guard refuses them with 403).
 */
@Injectable()
export class McpCorsMiddleware implements NestMiddleware {
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly mcpRoute: string;

  constructor(configService: OAuthMcpConfigService) {
    this.config = configService.config;
    this.mcpRoute = routeKey(this.config.mcpPath);
  }

  /** Node's own request and response: Nest runs middleware on them with Express and Fastify alike. */
  use(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void {
    // Matched as the router matches (`OPTIONS /MCP/` reaches the MCP route on Express).
    if (routeKey(requestPath(req)) !== this.mcpRoute) return next();
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    const allowed = typeof origin === 'string' && this.config.allowedOrigins.includes(origin);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED);
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (!allowed) {
        res.statusCode = HttpStatus.FORBIDDEN;
        res.end();
        return;
      }
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '86400');
      res.statusCode = HttpStatus.NO_CONTENT;
      res.end();
      return;
    }
    next();
  }
}
