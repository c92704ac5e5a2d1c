import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { TemporarilyUnavailableError } from '../../errors/oauth.errors.js';
import type { McpAuthInfo } from '../../resource-server/oauth-mcp-user.interface.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { SecretBox } from '../crypto/secret-box.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { UpstreamClientService, type UpstreamTokens } from './upstream-client.service.js';
import { StoreKeys } from '../../store/store-keys.js';

/** Refresh this long before the upstream access token expires. */
const EXPIRY_MARGIN_SECONDS = 30;
/** How often a replica waiting for another one's refresh looks at the store. */
const LOCK_POLL_MS = 50;

const nowSeconds = (): number => Date.now() / 1000;

function dueForRefresh(tokens: UpstreamTokens): boolean {
  return tokens.expires_at !== undefined && tokens.expires_at - EXPIRY_MARGIN_SECONDS <= nowSeconds();
}

/** Someone else refreshed after `seen` was read: a new access token that has not expired yet. */
function refreshedSince(current: UpstreamTokens, seen: UpstreamTokens): boolean {
  return current.access_token !== seen.access_token && (current.expires_at === undefined || current.expires_at > nowSeconds());
}

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
  /** Refreshes in flight in this process, per grant. */
  private readonly refreshing = new Map<string, Promise<string>>();

  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    /** Absent in native mode: there is no upstream sign-in, so no upstream token. */
    @Optional() private readonly upstreamClient?: UpstreamClientService,
  ) {}

  /** Seals a grant's upstream tokens into the store (the only place they are written). */
  async save(fid: string, tokens: UpstreamTokens): Promise<void> {
    await this.store.set(StoreKeys.upstreamTokens(fid), this.secretBox().seal(tokens), this.configService.config.refreshTokenTtlSeconds);
  }

  /**
   * A revoked grant's upstream tokens: deleted from the store, and revoked at the IdP when it has a
   * revocation endpoint (the refresh token, which ends the upstream grant; else the access token).
   * Best effort at the IdP: a failure there is logged (by name) and never undoes the local revocation.
   */
  async discard(fid: string): Promise<void> {
    const tokens = await this.read(fid);
    await this.store.delete(StoreKeys.upstreamTokens(fid));
    if (!tokens || !this.upstreamClient) return;
    try {
      await (tokens.refresh_token
        ? this.upstreamClient.revoke(tokens.refresh_token, 'refresh_token')
        : this.upstreamClient.revoke(tokens.access_token, 'access_token'));
    } catch (err) {
      this.logger.warn(`Upstream token revocation failed (${(err as Error).name})`);
    }
  }

  /** The upstream access token of the grant behind `authInfo` (from `extra.authInfo` or `req.auth`). */
  async getAccessToken(authInfo: McpAuthInfo | undefined): Promise<string> {
    const fid = authInfo?.extra?.user?.claims?.fid;
    if (!this.upstreamClient || typeof fid !== 'string') {
      throw new Error('No upstream token: only proxy-mode requests authenticated by this server have one');
    }
    const tokens = await this.read(fid);
    if (!tokens) throw new Error('No upstream token is stored for this grant');
    if (!dueForRefresh(tokens)) return tokens.access_token;
    if (!tokens.refresh_token) throw new TemporarilyUnavailableError('The upstream token expired and cannot be refreshed; sign in again');
    // O8: one refresh per grant at a time: concurrent calls in this process share it, and other
    // replicas wait for it (a lock in the store), so a rotated refresh token is never sent twice.
    let pending = this.refreshing.get(fid);
    if (!pending) {
      pending = this.refreshOnce(fid, tokens).finally(() => this.refreshing.delete(fid));
      this.refreshing.set(fid, pending);
    }
    return pending;
  }

  /** Refreshes under the grant's store lock, or waits for whoever holds it and takes their result. */
  private async refreshOnce(fid: string, seen: UpstreamTokens): Promise<string> {
    const lock = StoreKeys.upstreamRefreshLock(fid);
    const waitMs = 2 * this.configService.config.fetchTimeoutMs + 2000;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.store.setIfAbsent(lock, 1, Math.ceil(waitMs / 1000))) {
        try {
          // Another replica may have refreshed between our read and the lock.
          const current = await this.read(fid);
          if (!current) throw new TemporarilyUnavailableError('The upstream grant is gone; sign in again');
          if (refreshedSince(current, seen) || !dueForRefresh(current)) return current.access_token;
          return await this.refreshNow(fid, current);
        } finally {
          await this.store.delete(lock).catch(() => undefined);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const current = await this.read(fid);
      if (current && refreshedSince(current, seen)) return current.access_token;
      if (Date.now() > deadline) throw new TemporarilyUnavailableError('The upstream token is being refreshed; retry shortly');
    }
  }

  private async refreshNow(fid: string, tokens: UpstreamTokens): Promise<string> {
    if (!tokens.refresh_token) throw new TemporarilyUnavailableError('The upstream token expired and cannot be refreshed; sign in again');
    let fresh: UpstreamTokens;
    try {
      fresh = await this.upstreamClient!.refresh(tokens.refresh_token);
    } catch (err) {
      this.logger.warn(`Upstream token refresh failed (${(err as Error).name})`);
      throw new TemporarilyUnavailableError('The upstream token could not be refreshed');
    }
    await this.save(fid, fresh);
    return fresh.access_token;
  }

  private async read(fid: string): Promise<UpstreamTokens | undefined> {
    const sealed = await this.store.get<string>(StoreKeys.upstreamTokens(fid));
    return sealed ? this.secretBox().open<UpstreamTokens>(sealed) : undefined;
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
