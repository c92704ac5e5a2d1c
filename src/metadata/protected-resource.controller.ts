import { All, Controller, HttpStatus, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { Public } from '../decorators/public.decorator.js';
import { applySecurityHeaders } from '../http/security-headers.js';

const PRM_PATH = '/.well-known/oauth-protected-resource';
const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

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
    const basePath = new URL(c.serverUrl).pathname.replace(/\/$/, '');
    const suffixed = `${PRM_PATH}${basePath}${c.mcpPath}`;
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
    applySecurityHeaders(res, 'public, max-age=300');
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (!this.paths.has(req.path)) {
      res.status(HttpStatus.NOT_FOUND).json({ error: 'not_found', error_description: 'No such metadata document' });
      return;
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      const requested = req.headers['access-control-request-headers'];
      if (typeof requested === 'string' && /^[A-Za-z0-9-, ]{0,512}$/.test(requested)) {
        res.setHeader('Access-Control-Allow-Headers', requested);
      }
      res.setHeader('Access-Control-Max-Age', '86400');
      res.status(HttpStatus.NO_CONTENT).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOWED_METHODS);
      res.status(HttpStatus.METHOD_NOT_ALLOWED).json({ error: 'method_not_allowed', error_description: 'Use GET' });
      return;
    }
    res.status(HttpStatus.OK).type('application/json').send(this.body);
  }
}
