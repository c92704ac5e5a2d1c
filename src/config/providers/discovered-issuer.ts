import type { OAuthMcpModuleOptions } from '../oauth-mcp-options.interface.js';
import type { IssuerResolution } from './provider-definition.interface.js';
import { discoveryUrlOf } from '../url-rules.js';

/** One configured issuer; its keys from OIDC_JWKS_URI, or found through its discovery document. */
export function discoveredIssuer(o: OAuthMcpModuleOptions): IssuerResolution {
  const issuer = o.issuer!;
  return {
    issuers: [issuer],
    authorizationServers: [issuer],
    jwksUri: o.jwksUri,
    discoveryUrl: o.jwksUri ? undefined : discoveryUrlOf(issuer),
  };
}
