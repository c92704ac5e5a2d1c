import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { azureTenantOf } from '../../config/provider-defaults.js';
import { JwksStrategyFor } from './jwks.strategy.js';

/**
 * Microsoft Entra ID v2 tokens. `iss` is matched exactly against the configured tenant (or the
 * allowlisted tenants of a multi-tenant app), and the `tid` claim (always present in v2 tokens) must name the same tenant.
 */
export class AzureStrategy extends JwksStrategyFor('azure') {
  override checkClaims(payload: unknown): Record<string, unknown> {
    const claims = super.checkClaims(payload);
    if (typeof claims.tid !== 'string' || claims.tid !== azureTenantOf(claims.iss)) {
      throw new InvalidTokenError(TOKEN_MESSAGES.issuer);
    }
    return claims;
  }
}
