import { Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { MetadataDocumentsMiddleware } from '../../http/metadata-documents.middleware.js';
import { OAuthErrorResponder } from '../../http/oauth-error.responder.js';

import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';

const PRM_PATH = '/.well-known/oauth-protected-resource';

/** The root URL and the MCP endpoint's path-suffixed one (RFC 9728 §3.1). */
export function protectedResourceMetadataPaths(c: ResolvedOAuthMcpConfig): string[] {
  return [PRM_PATH, new URL(c.resourceMetadataUrl).pathname];
}

/**
 * RFC 9728 Protected Resource Metadata, at the root and at the path-suffixed URL of the MCP endpoint
 * (clients try the latter first). Open to every origin, never behind the bearer guard, no `null`s.
 */
@Injectable()
export class ProtectedResourceMetadataMiddleware extends MetadataDocumentsMiddleware {
  constructor(
    responder: OAuthErrorResponder,
    private readonly configService: OAuthMcpConfigService,
  ) {
    super(responder);
  }

  protected build(): Map<string, () => string> {
    const c = this.configService.config;
    const body = JSON.stringify({
      resource: c.resource,
      ...(c.authorizationServers.length > 0 ? { authorization_servers: c.authorizationServers } : {}),
      scopes_supported: c.resourceScopes,
      bearer_methods_supported: ['header'],
      ...(c.resourceName ? { resource_name: c.resourceName } : {}),
    });
    return new Map(protectedResourceMetadataPaths(c).map((path) => [path, () => body]));
  }
}
