import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedIdJagIssuer, ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidGrantError } from '../../errors/oauth.errors.js';
import { JwksKeyStore } from '../../resource-server/verification/jwks-key-store.js';
import { OidcDiscovery } from '../../resource-server/verification/oidc-discovery.js';

/**
 * The verification keys of each trusted ID-JAG issuer, with the same key store as the upstream's: its
 * configured JWKS URI or the one its discovery document names (the document's `issuer` must equal the
 * configured one exactly), fetched with a timeout and byte cap, refetched for an unknown `kid` at most
 * once per cooldown, RSA under 2048 bits and private keys never used. Keys never come from the token.
 */
@Injectable()
export class IdJagIssuerKeys {
  private readonly stores = new Map<string, { issuer: ResolvedIdJagIssuer; keys: JwksKeyStore }>();

  constructor(configService: OAuthMcpConfigService) {
    const c = configService.config;
    for (const issuer of c.idJag?.issuers ?? []) {
      const view: ResolvedOAuthMcpConfig = { ...c, issuers: [issuer.issuer], jwksUri: issuer.jwksUri, discoveryUrl: issuer.discoveryUrl };
      this.stores.set(issuer.issuer, { issuer, keys: new JwksKeyStore(view, new OidcDiscovery(view)) });
    }
  }

  /** The trusted issuer named exactly so, or undefined. */
  trusted(iss: unknown): ResolvedIdJagIssuer | undefined {
    return typeof iss === 'string' ? this.stores.get(iss)?.issuer : undefined;
  }

  /** The issuer's key for this `kid` and algorithm; `invalid_grant` when it has none. */
  async key(iss: string, kid: string | undefined, alg: string): Promise<KeyObject> {
    const entry = this.stores.get(iss);
    try {
      if (!entry) throw new Error('untrusted issuer');
      return await entry.keys.getKey(kid, alg);
    } catch {
      throw new InvalidGrantError('The assertion is signed with a key its issuer does not publish');
    }
  }
}
