import { Inject, Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { UpstreamTokenService } from '../upstream/upstream-token.service.js';
import { StoreKeys } from '../../store/store-keys.js';

/**
 * Revocation state of this server's tokens. A grant (refresh-token family) is revoked as a whole; the
 * marker outlives every token the family could have issued. The guard asks `isRevoked` on every
 * request in proxy mode, so a revocation takes effect at once, cache or not.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly upstreamTokens: UpstreamTokenService,
  ) {}

  /** Revokes the grant here, then removes (and revokes upstream) the IdP tokens it held. */
  async revokeFamily(fid: string): Promise<void> {
    const c = this.configService.config;
    await this.store.set(StoreKeys.revokedFamily(fid), 1, c.refreshTokenTtlSeconds + c.accessTokenTtlSeconds);
    await this.store.delete(StoreKeys.family(fid));
    await this.upstreamTokens.discard(fid);
  }

  async isRevoked(fid: unknown): Promise<boolean> {
    if (typeof fid !== 'string') return true;
    return (await this.store.get(StoreKeys.revokedFamily(fid))) !== undefined;
  }
}
