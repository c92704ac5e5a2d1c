import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';

/** A nonce is current for one period and accepted during the next (so a freshly handed-out one never dies at once). */
const PERIOD_SECONDS = 120;

/**
 * Server-provided DPoP nonces (RFC 9449 §8–9) that cost no store write per nonce: `<period>.<HMAC>` with
 * a key created once in the store (first writer wins), so every replica makes and accepts the same ones.
 */
export class DpopNonces {
  private key?: Promise<Buffer>;

  constructor(private readonly store: OAuthMcpStore) {}

  /** The nonce to hand out now. */
  async current(): Promise<string> {
    return this.make(await this.secret(), this.period());
  }

  /** True for a nonce of this period or the previous one. */
  async accepts(nonce: string | undefined): Promise<boolean> {
    if (nonce === undefined || nonce.length > 64) return false;
    const secret = await this.secret();
    const now = this.period();
    return [now, now - 1].some((p) => {
      const expected = Buffer.from(this.make(secret, p));
      const given = Buffer.from(nonce);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  private period(): number {
    return Math.floor(Date.now() / 1000 / PERIOD_SECONDS);
  }

  private make(secret: Buffer, period: number): string {
    return `${period.toString(36)}.${createHmac('sha256', secret).update(String(period)).digest('base64url').slice(0, 32)}`;
  }

  /** Read once; a store failure is not remembered (the next request tries again). */
  private secret(): Promise<Buffer> {
    this.key ??= (async () => {
      const key = StoreKeys.dpopNonceKey();
      await this.store.setIfAbsent(key, randomBytes(32).toString('base64url'));
      const stored = await this.store.get<string>(key);
      if (typeof stored !== 'string') throw new Error('DPoP nonce key missing from the store');
      return Buffer.from(stored, 'base64url');
    })();
    this.key.catch(() => (this.key = undefined));
    return this.key;
  }
}
