import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { clientIp } from '../http/client-ip.js';
import { requestContext, requestIdFrom } from './request-context.js';

/** Opens the request context (request id, client IP) that audit events read; echoes `X-Request-Id`. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(private readonly configService: OAuthMcpConfigService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    requestContext.run({ requestId, ip: clientIp(req, this.configService.config.trustProxyHops) }, next);
  }
}
