import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { JWT_BEARER_GRANT, staticClientAuthMethod, staticClientGrantTypes } from '../../config/static-client-rules.js';

export { JWT_BEARER_GRANT };
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/**
 * The grant types this server offers, as its metadata advertises them and its token endpoint accepts
 * them: the authorization code and refresh grants always; client credentials when a pre-registered
 * client may use it; the ID-JAG grant when enterprise issuers are trusted. Any other is
 * `unsupported_grant_type`.
 */
export function offeredGrantTypes(c: ResolvedOAuthMcpConfig): string[] {
  return [
    'authorization_code',
    'refresh_token',
    ...(c.staticClients.some((client) => staticClientGrantTypes(client).includes(CLIENT_CREDENTIALS_GRANT)) ? [CLIENT_CREDENTIALS_GRANT] : []),
    ...(c.idJag ? [JWT_BEARER_GRANT] : []),
  ];
}

/** `private_key_jwt` is offered when a pre-registered client authenticates with it. */
export function offersPrivateKeyJwt(c: ResolvedOAuthMcpConfig): boolean {
  return c.staticClients.some((client) => staticClientAuthMethod(client) === 'private_key_jwt');
}
