import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { clientIp } from '../http/client-ip.js';
import type { ModuleShape } from '../config/module-shape.js';
import { OAUTH_MCP_MODULE_SHAPE } from '../oauth-mcp.internal-constants.js';
import { requestContext, requestIdFrom } from './request-context.js';

/**
 * Opens the request context (request id, client IP) that audit events read, on the module's own
 * paths and the MCP endpoint; echoes `X-Request-Id` only when `requestIdHeader` is on.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_MODULE_SHAPE) private readonly shape: ModuleShape,
  ) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    if (this.shape.requestIdHeader) res.setHeader('X-Request-Id', requestId);
    requestContext.run({ requestId, ip: clientIp(req, this.configService.config.trustProxyHops) }, next);
  }
}
