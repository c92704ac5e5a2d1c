import { All, Controller, Req, Res, UseFilters } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { Public } from '../decorators/public.decorator.js';
import { EndpointNotFoundError } from '../../errors/oauth.errors.js';
import { serveMetadata } from '../../http/metadata-response.js';
import { type ModuleRequest, requestPath, routeKey } from '../../http/node-request.js';
import { OAuthEndpointExceptionFilter } from '../../http/oauth-exception.filter.js';

const PRM_PATH = '/.well-known/oauth-protected-resource';

/**
 * RFC 9728 Protected Resource Metadata, at the root and at the path-suffixed URL of the MCP endpoint
 * (clients try the latter first). Open to every origin, never behind the bearer guard, no `null`s.
 */
@Public()
@UseFilters(OAuthEndpointExceptionFilter)
@Controller()
export class ProtectedResourceController {
  private readonly body: string;
  private readonly paths: ReadonlySet<string>;

  constructor(configService: OAuthMcpConfigService) {
    const c = configService.config;
    const suffixed = new URL(c.resourceMetadataUrl).pathname;
    this.paths = new Set([routeKey(PRM_PATH), routeKey(suffixed)]);
    this.body = JSON.stringify({
      resource: c.resource,
      ...(c.authorizationServers.length > 0 ? { authorization_servers: c.authorizationServers } : {}),
      scopes_supported: c.scopes,
      bearer_methods_supported: ['header'],
      ...(c.resourceName ? { resource_name: c.resourceName } : {}),
    });
  }

  @All([PRM_PATH.slice(1), `${PRM_PATH.slice(1)}/*path`])
  serve(@Req() req: ModuleRequest, @Res() res: unknown): void {
    if (!this.paths.has(routeKey(requestPath(req)))) throw new EndpointNotFoundError();
    serveMetadata(req, res, this.body);
  }
}
