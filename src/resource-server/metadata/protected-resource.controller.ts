import { All, Controller, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { Public } from '../decorators/public.decorator.js';
import { sendNotFound, serveMetadata } from '../../http/metadata-response.js';

const PRM_PATH = '/.well-known/oauth-protected-resource';

/**
 * RFC 9728 Protected Resource Metadata, at the root and at the path-suffixed URL of the MCP endpoint
 * (clients try the latter first). Open to every origin, never behind the bearer guard, no `null`s.
 */
@Public()
@Controller()
export class ProtectedResourceController {
  private readonly body: string;
  private readonly paths: ReadonlySet<string>;

  constructor(configService: OAuthMcpConfigService) {
    const c = configService.config;
    const suffixed = new URL(c.resourceMetadataUrl).pathname;
    this.paths = new Set([PRM_PATH, `${PRM_PATH}/`, suffixed, `${suffixed}/`]);
    this.body = JSON.stringify({
      resource: c.resource,
      ...(c.authorizationServers.length > 0 ? { authorization_servers: c.authorizationServers } : {}),
      scopes_supported: c.scopes,
      bearer_methods_supported: ['header'],
      ...(c.resourceName ? { resource_name: c.resourceName } : {}),
    });
  }

  @All([PRM_PATH.slice(1), `${PRM_PATH.slice(1)}/*path`])
  serve(@Req() req: Request, @Res() res: Response): void {
    if (!this.paths.has(req.path)) return sendNotFound(res);
    serveMetadata(req, res, this.body);
  }
}
