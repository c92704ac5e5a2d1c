import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';
import type { ClientRecord } from '../clients/client.interface.js';
import { ClientRegistryService } from '../clients/client-registry.service.js';
import { sha256 } from '../crypto/random.js';
import type { RefreshFamily } from '../grants/grant.interface.js';
import { RevocationService } from '../grants/revocation.service.js';
import { type UserGrantEntry, UserGrantsIndex } from '../grants/user-grants.index.js';

/**
 * One application a user approved, with every live grant it holds for them folded together.
 * @publicApi
 */
export interface ConnectedApp {
  clientId: string;
  /** As the client registered it: self-asserted unless `verified`. Absent when it gave none or is gone. */
  clientName?: string;
  /** `static`: pre-registered by the operator; `dcr`: self-registered; `cimd`: a metadata document URL. */
  registration?: ClientRecord['source'];
  /** True only for pre-registered clients: the only ones whose name the operator vouches for. */
  verified: boolean;
  /** Every scope the app holds for this user (union of its grants). */
  scopes: string[];
  /** ISO 8601: first token issued, last token issued or refreshed. */
  firstUsed: string;
  lastUsed: string;
  /** `DPoP` when every grant is bound to a key of the client, else `bearer`. */
  tokenBinding: 'DPoP' | 'bearer';
  /** How many live grants (refresh-token families) the app holds, e.g. one per device. */
  grants: number;
}

/** Who asked for a revocation: the user themselves, or an operator (admin panel). */
export type RevokedBy = 'user' | 'operator';

const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

/**
 * "Connected apps" (proxy mode): the applications a user approved, and revoking one of them. A revocation
 * ends every grant of that client for that user: the refresh-token families (so their access tokens fail
 * the revocation check on the next request), the sealed upstream tokens (revoked at the IdP when it can),
 * and the remembered consent, so the next sign-in asks again. Other users' grants are never touched.
 * Operators call `listForSubject` / `revokeForSubject` with the upstream `sub`.
 * @publicApi
 */
@Injectable()
export class ConnectedAppsService {
  constructor(
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly index: UserGrantsIndex,
    private readonly revocations: RevocationService,
    private readonly clients: ClientRegistryService,
    private readonly audit: AuditService,
  ) {}

  /** The apps of the user with this upstream `sub` (operator side). */
  listForSubject(sub: string): Promise<ConnectedApp[]> {
    return this.list(this.index.userKey(sub));
  }

  /** Revokes one app for the user with this upstream `sub` (operator side, audited as such); the number of grants ended. */
  revokeForSubject(sub: string, clientId: string): Promise<number> {
    return this.revoke(this.index.userKey(sub), clientId, 'operator');
  }

  /** The apps of a user, by the key their sessions and grants use; most recently used first. */
  async list(userKey: string): Promise<ConnectedApp[]> {
    const live = await this.liveGrants(userKey);
    const byClient = new Map<string, { entries: UserGrantEntry[]; families: RefreshFamily[] }>();
    for (const { entry, family } of live) {
      const group = byClient.get(entry.clientId) ?? { entries: [], families: [] };
      group.entries.push(entry);
      group.families.push(family);
      byClient.set(entry.clientId, group);
    }
    const apps = await Promise.all(
      [...byClient].map(async ([clientId, { entries, families }]): Promise<ConnectedApp> => {
        const client = await this.clients.find(clientId).catch(() => undefined);
        return {
          clientId,
          ...(client?.client_name ? { clientName: client.client_name } : {}),
          ...(client ? { registration: client.source } : {}),
          verified: client?.source === 'static',
          scopes: [...new Set(entries.flatMap((e) => e.scopes))].sort(),
          firstUsed: iso(Math.min(...entries.map((e) => e.firstUsed))),
          lastUsed: iso(Math.max(...entries.map((e, i) => families[i].usedAt ?? e.firstUsed))),
          // A grant's access tokens are DPoP-bound (any client), or its refresh token is (public clients).
          tokenBinding: families.every((f) => f.accessBound === true || typeof f.jkt === 'string') ? 'DPoP' : 'bearer',
          grants: entries.length,
        };
      }),
    );
    return apps.sort((a, b) => b.lastUsed.localeCompare(a.lastUsed));
  }

  /**
   * Ends every grant `clientId` holds for this user and forgets the remembered consent; returns how many
   * grants were ended (0 when the user had none with that client: nothing of anyone else is touched).
   */
  async revoke(userKey: string, clientId: string, by: RevokedBy): Promise<number> {
    const record = await this.index.read(userKey);
    const fids = (record?.grants ?? []).filter((g) => g.clientId === clientId).map((g) => g.fid);
    // The consent first: from now on a new grant needs the user's approval again.
    await this.store.delete(StoreKeys.consent(userKey, sha256(clientId)));
    for (const fid of fids) {
      await this.revocations.revokeFamily(fid);
      this.audit.emit({ type: 'connected_app_revoked', clientId, subject: record!.sub, grantId: fid, reason: `${by}_request` });
    }
    // The grants are revoked whatever happens here: an entry left behind is not listed (its family is gone).
    if (fids.length > 0) await this.index.remove(userKey, fids);
    return fids.length;
  }

  /** Index entries whose family still exists (not revoked, not expired), with that family. */
  private async liveGrants(userKey: string): Promise<{ entry: UserGrantEntry; family: RefreshFamily }[]> {
    const record = await this.index.read(userKey);
    const entries = record?.grants ?? [];
    if (entries.length === 0) return [];
    const families = await this.store.getMany<RefreshFamily>(entries.map((e) => StoreKeys.family(e.fid)));
    const t = Math.floor(Date.now() / 1000);
    return entries.flatMap((entry, i) => {
      const family = families[i];
      return family && family.expiresAt > t && family.clientId === entry.clientId ? [{ entry, family }] : [];
    });
  }
}
