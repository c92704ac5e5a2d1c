import { Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { MetadataDocumentsMiddleware } from '../http/metadata-documents.middleware.js';
import { OAuthErrorResponder } from '../http/oauth-error.responder.js';
import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import { SigningKeyService } from './keys/signing-keys.service.js';
import { offeredGrantTypes, offersPrivateKeyJwt } from './grants/offered-grants.js';
import { ASYMMETRIC_ALGORITHMS, DPOP_ALGORITHMS } from '../config/algorithm-rules.js';

/** The profile an authorization server that redeems ID-JAGs advertises. */
const ID_JAG_GRANT_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';

/** RFC 8414 metadata (root and under the MCP path), OIDC discovery, and the JWKS. */
export function authorizationServerMetadataPaths(c: ResolvedOAuthMcpConfig): [oauth: string, oauthUnderMcp: string, openid: string, jwks: string] {
  return [
    '/.well-known/oauth-authorization-server',
    `/.well-known/oauth-authorization-server${c.mcpPath}`,
    '/.well-known/openid-configuration',
    '/.well-known/jwks.json',
  ];
}

/**
 * Proxy mode: RFC 8414 metadata (also at the OIDC discovery URL, with the fields OIDC requires, and
 * mirrored under the MCP path), and the JWKS of this server's public signing keys. `issuer` is
 * byte-identical to the protected resource metadata's `authorization_servers[0]`.
 */
@Injectable()
export class AuthorizationServerMetadataMiddleware extends MetadataDocumentsMiddleware {
  constructor(
    responder: OAuthErrorResponder,
    private readonly configService: OAuthMcpConfigService,
    private readonly keys: SigningKeyService,
  ) {
    super(responder);
  }

  protected build(): Map<string, () => string> {
    const c = this.configService.config;
    const issuer = c.issuer!;
    const privateKeyJwt = offersPrivateKeyJwt(c);
    const authMethods = ['none', 'client_secret_post', 'client_secret_basic', ...(privateKeyJwt ? ['private_key_jwt'] : [])];
    const signingAlgs = privateKeyJwt
      ? {
          token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
          revocation_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
        }
      : {};
    const metadata = {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      registration_endpoint: `${issuer}/oauth/register`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      scopes_supported: c.scopes,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: offeredGrantTypes(c),
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint_auth_methods_supported: authMethods,
      ...signingAlgs,
      // Enterprise-Managed Authorization §6 (draft-ietf-oauth-identity-assertion-authz-grant §7.2).
      ...(c.idJag ? { authorization_grant_profiles_supported: [ID_JAG_GRANT_PROFILE] } : {}),
      client_id_metadata_document_supported: c.clientIdMetadataDocuments,
      authorization_response_iss_parameter_supported: true,
      // RFC 9449 §5.1: proofs are accepted at the token endpoint (and required when `dpopRequired`).
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    };
    const oauth = JSON.stringify(metadata);
    // OIDC Discovery requires these two even though this server issues no ID tokens.
    const openid = JSON.stringify({ ...metadata, subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256', 'RS256'] });
    const [oauthPath, underMcp, openidPath, jwksPath] = authorizationServerMetadataPaths(c);
    return new Map([
      [oauthPath, () => oauth],
      [underMcp, () => oauth],
      [openidPath, () => openid],
      // Read per request: keys are generated or loaded when the module starts.
      [jwksPath, () => JSON.stringify(this.keys.publicJwks())],
    ]);
  }
}
