import { Inject, Injectable } from '@nestjs/common';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { sha256 } from '../crypto/random.js';
import { StoreKeys } from '../../store/store-keys.js';

/** A one-time value (an assertion's `jti`) and how long it must be remembered: until its assertion expires. */
export interface SingleUseMark {
  readonly key: string;
  readonly ttlSeconds: number;
}

/**
 * Replay detection for assertions (RFC 7523 §3 `jti`), in the store so every replica shares it. A mark is
 * checked before anything is decided (`used`) and claimed only when the request succeeds (`claim`, first
 * writer wins), so a refused request stores nothing.
 */
@Injectable()
export class SingleUseRegistry {
  constructor(@Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore) {}

  /** `scope` is who issued the value (a client id, an IdP): ids are unique per issuer, not globally. */
  mark(kind: 'client-assertion' | 'id-jag', scope: string, id: string, expiresAt: number, skewSeconds: number): SingleUseMark {
    const ttlSeconds = Math.max(1, Math.ceil(expiresAt + skewSeconds - Date.now() / 1000));
    return { key: StoreKeys.singleUse(kind, sha256(`${scope}\n${id}`)), ttlSeconds };
  }

  async used(mark: SingleUseMark): Promise<boolean> {
    return (await this.store.get(mark.key)) !== undefined;
  }

  /** True for the one caller that claims the mark; false when it was used already. */
  claim(mark: SingleUseMark): Promise<boolean> {
    return this.store.setIfAbsent(mark.key, 1, mark.ttlSeconds);
  }
}
