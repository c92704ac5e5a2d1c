import { Inject, Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { TemporarilyUnavailableError } from '../../errors/oauth.errors.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';
import { userKeyOf } from '../authorize/user-key.js';
import type { RefreshFamily } from './grant.interface.js';
import { RevocationService } from './revocation.service.js';

/** One grant of a user, as "Connected apps" lists it. Times are epoch seconds. */
export interface UserGrantEntry {
  fid: string;
  clientId: string;
  scopes: string[];
  /** When the grant was made (its code redeemed); its last use is the family's `usedAt`. */
  firstUsed: number;
  /** When the grant's refresh family ends whatever happens: the entry is dropped then. */
  expiresAt: number;
}

/** The per-user index: a versioned record, so concurrent writers meet at `compareAndSet`. */
export interface UserGrantsRecord {
  version: number;
  sub: string;
  grants: UserGrantEntry[];
}

/**
 * Live grants a user may hold: beyond it the oldest one is revoked (as GitHub does per app), so neither
 * the index nor a user's grants grow without bound.
 */
export const MAX_GRANTS_PER_USER = 100;
/**
 * Concurrent writers for one user are few (sign-ins and refreshes of one person); each round lets one of
 * them through, and a short random pause spreads the others out.
 */
const MAX_ATTEMPTS = 20;
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 10));

const now = (): number => Math.floor(Date.now() / 1000);

/**
 * Which grants (refresh-token families) each user holds: written when a family is created (code redeemed)
 * and when grants are revoked; never on a refresh (the family's own rotation records its last use) nor per
 * MCP request. Kept with the store's own atomic steps
 * (`setIfAbsent`, then a `compareAndSet` loop), so it works the same on MemoryStore, Redis or an
 * application's store; its lifetime is the refresh-token lifetime, renewed on every write.
 */
@Injectable()
export class UserGrantsIndex {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly revocations: RevocationService,
  ) {}

  /** The store key of a user's index (and of their remembered consents): see `userKeyOf`. */
  userKey(sub: string): string {
    return userKeyOf(this.configService.config.upstream!.issuer, sub);
  }

  async read(userKey: string): Promise<UserGrantsRecord | undefined> {
    return this.store.get<UserGrantsRecord>(StoreKeys.userGrants(userKey));
  }

  /**
   * A new grant, before its family is written (an entry whose family never appears is simply not
   * listed). Fails closed: a grant the user could not see, nor revoke, is not issued.
   */
  async add(family: Pick<RefreshFamily, 'fid' | 'clientId' | 'scopes' | 'expiresAt' | 'user'>): Promise<void> {
    const t = now();
    const entry: UserGrantEntry = { fid: family.fid, clientId: family.clientId, scopes: family.scopes, firstUsed: t, expiresAt: family.expiresAt };
    let evicted: UserGrantEntry[] = [];
    const written = await this.update(this.userKey(family.user.sub), family.user.sub, (grants) => {
      // Newest first, ties included (same second): the entry being added is never the one pushed out.
      const kept = [entry, ...grants.filter((g) => g.fid !== entry.fid)].sort((a, b) => b.firstUsed - a.firstUsed);
      evicted = kept.slice(MAX_GRANTS_PER_USER);
      return kept.slice(0, MAX_GRANTS_PER_USER);
    });
    if (!written) throw new TemporarilyUnavailableError('The grant could not be recorded; retry');
    for (const old of evicted) await this.revocations.revokeFamily(old.fid);
  }

  /** Drops entries (revoked grants); false when the index could not be written. */
  async remove(userKey: string, fids: readonly string[]): Promise<boolean> {
    const record = await this.read(userKey);
    if (!record) return true;
    return this.update(userKey, record.sub, (grants) => grants.filter((g) => !fids.includes(g.fid)), false);
  }

  /**
   * Read, change, write back only if nobody wrote in between; expired entries are dropped on the way.
   * `create`: whether a missing index is created (a removal never resurrects one).
   */
  private async update(userKey: string, sub: string, change: (grants: UserGrantEntry[]) => UserGrantEntry[], create = true): Promise<boolean> {
    const key = StoreKeys.userGrants(userKey);
    const ttl = this.configService.config.refreshTokenTtlSeconds;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.store.get<UserGrantsRecord>(key);
      if (!current && !create) return true;
      const t = now();
      const grants = change((current?.grants ?? []).filter((g) => g.expiresAt > t));
      const next: UserGrantsRecord = { version: (current?.version ?? 0) + 1, sub, grants };
      const stored = current ? await this.store.compareAndSet(key, current.version, next, ttl) : await this.store.setIfAbsent(key, next, ttl);
      if (stored) return true;
      await pause();
    }
    return false;
  }
}
