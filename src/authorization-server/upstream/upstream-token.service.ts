import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { TemporarilyUnavailableError } from '../../errors/oauth.errors.js';
import type { McpAuthInfo } from '../../resource-server/oauth-mcp-user.interface.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { SecretBox } from '../crypto/secret-box.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { UpstreamClientService, type UpstreamTokens } from './upstream-client.service.js';

/** Refresh this long before the upstream access token expires. */
const EXPIRY_MARGIN_SECONDS = 30;

/**
 * Proxy mode: the signed-in user's upstream (IdP) access token, for tool handlers that call upstream
 * APIs on the user's behalf. The tokens never leave the server: they are sealed in the store per grant
 * and refreshed here when expired. Never hand the result to the MCP client.
 * @publicApi
 * @example
 * server.registerTool('calendar', {}, async (extra) => {
 *   const token = await upstreamTokens.getAccessToken(extra.authInfo);
 *   return fetch('https://api.example.com/calendar', { headers: { authorization: `Bearer ${token}` } });
 * });
 */
@Injectable()
export class UpstreamTokenService {
  private readonly logger = new Logger('OAuthMcp:Upstream');
  private box?: SecretBox;

  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    /** Absent in native mode: there is no upstream sign-in, so no upstream token. */
    @Optional() private readonly upstreamClient?: UpstreamClientService,
  ) {}

  /** Seals a grant's upstream tokens into the store (the only place they are written). */
  async save(fid: string, tokens: UpstreamTokens): Promise<void> {
    await this.store.set(`upstream-tokens:${fid}`, this.secretBox().seal(tokens), this.configService.config.refreshTokenTtlSeconds);
  }

  /** The upstream access token of the grant behind `authInfo` (from `extra.authInfo` or `req.auth`). */
  async getAccessToken(authInfo: McpAuthInfo | undefined): Promise<string> {
    const fid = authInfo?.extra?.user?.claims?.fid;
    if (!this.upstreamClient || typeof fid !== 'string') {
      throw new Error('No upstream token: only proxy-mode requests authenticated by this server have one');
    }
    const key = `upstream-tokens:${fid}`;
    const sealed = await this.store.get<string>(key);
    const tokens = sealed ? this.secretBox().open<UpstreamTokens>(sealed) : undefined;
    if (!tokens) throw new Error('No upstream token is stored for this grant');
    if (tokens.expires_at === undefined || tokens.expires_at - EXPIRY_MARGIN_SECONDS > Date.now() / 1000) return tokens.access_token;
    if (!tokens.refresh_token) throw new TemporarilyUnavailableError('The upstream token expired and cannot be refreshed; sign in again');
    try {
      const fresh = await this.upstreamClient.refresh(tokens.refresh_token);
      await this.save(fid, fresh);
      return fresh.access_token;
    } catch (err) {
      this.logger.warn(`Upstream token refresh failed (${(err as Error).name})`);
      throw new TemporarilyUnavailableError('The upstream token could not be refreshed');
    }
  }

  /** On-behalf-of example: the IdP's userinfo for the user behind `authInfo`, fetched with the upstream token. */
  async userInfo(authInfo: McpAuthInfo | undefined): Promise<Record<string, unknown>> {
    const token = await this.getAccessToken(authInfo);
    return this.upstreamClient!.userInfo(token, authInfo!.extra!.user.sub);
  }

  private secretBox(): SecretBox {
    this.box ??= new SecretBox(this.configService.config.jwtSecret!, 'upstream-tokens');
    return this.box;
  }
}
