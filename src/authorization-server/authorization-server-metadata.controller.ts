import { All, Controller, Req, Res, UseFilters } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { Public } from '../resource-server/decorators/public.decorator.js';
import { EndpointNotFoundError } from '../errors/oauth.errors.js';
import { serveMetadata } from '../http/metadata-response.js';
import { type ModuleRequest, requestPath, routeKey } from '../http/node-request.js';
import { OAuthEndpointExceptionFilter } from '../http/oauth-exception.filter.js';
import { SigningKeyService } from './keys/signing-keys.service.js';

/**
 * Proxy mode: RFC 8414 metadata (also at the OIDC discovery URL, with the fields OIDC requires, and
 * mirrored under the MCP path), and the JWKS of this server's public signing keys. `issuer` is
 * byte-identical to the protected resource metadata's `authorization_servers[0]`. Mounted in proxy mode only.
 */
@Public()
@UseFilters(OAuthEndpointExceptionFilter)
@Controller()
export class AuthorizationServerMetadataController {
  private readonly metadata?: Record<string, unknown>;
  private readonly metadataPaths: ReadonlySet<string>;

  constructor(
    configService: OAuthMcpConfigService,
    private readonly keys: SigningKeyService,
  ) {
    const c = configService.config;
    this.metadataPaths = new Set([routeKey('/.well-known/oauth-authorization-server'), routeKey(`/.well-known/oauth-authorization-server${c.mcpPath}`)]);
    if (c.mode !== 'proxy') return;
    const issuer = c.issuer!;
    const authMethods = ['none', 'client_secret_post', 'client_secret_basic'];
    this.metadata = {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      registration_endpoint: `${issuer}/oauth/register`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      scopes_supported: c.scopes,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint_auth_methods_supported: authMethods,
      client_id_metadata_document_supported: c.clientIdMetadataDocuments,
      authorization_response_iss_parameter_supported: true,
    };
  }

  @All(['.well-known/oauth-authorization-server', '.well-known/oauth-authorization-server/*path'])
  oauthMetadata(@Req() req: ModuleRequest, @Res() res: unknown): void {
    if (!this.metadata || !this.metadataPaths.has(routeKey(requestPath(req)))) throw new EndpointNotFoundError();
    serveMetadata(req, res, JSON.stringify(this.metadata));
  }

  @All('.well-known/openid-configuration')
  openidConfiguration(@Req() req: ModuleRequest, @Res() res: unknown): void {
    if (!this.metadata) throw new EndpointNotFoundError();
    // OIDC Discovery requires these three even though this server issues no ID tokens.
    const body = { ...this.metadata, subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256', 'RS256'] };
    serveMetadata(req, res, JSON.stringify(body));
  }

  @All('.well-known/jwks.json')
  jwks(@Req() req: ModuleRequest, @Res() res: unknown): void {
    if (!this.metadata) throw new EndpointNotFoundError();
    serveMetadata(req, res, JSON.stringify(this.keys.publicJwks()));
  }
}
