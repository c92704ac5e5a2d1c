import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { requestContext } from '../audit/request-context.js';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import { OAuthError, TemporarilyUnavailableError, TooManyRequestsError } from '../errors/oauth.errors.js';
import { clientIp, type PeerRequest, rateLimitBucket } from '../http/client-ip.js';
import { OAUTH_MCP_STORE } from '../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../store/oauth-mcp-store.interface.js';
import { MemoryStore } from '../store/memory.store.js';
import { StoreKeys } from '../store/store-keys.js';
import { FailedAuthTally } from './failed-auth-tally.js';
import { markQuiet } from './quiet-refusal.js';
import { StoreThrottlerStorage } from './store-throttler.storage.js';

/** The throttler name in store keys (`rate:failed-auth:<hash>`). */
const THROTTLER = 'failed-auth';
/** Blocks this replica already knows of, kept to answer a flood without a store read each time. */
const MAX_LOCAL_BLOCKS = 10_000;

/**
 * The blocks known in this process, per store: module instances sharing one store object share them.
 * For a MemoryStore this map sees every block (they can only start in this process), so it is the answer.
 */
const blocksByStore = new WeakMap<OAuthMcpStore, Map<string, number>>();

interface Client {
  /** The rate-limit bucket: the IP, or its IPv6 /64. */
  bucket: string;
}

/**
 * Failed-authentication throttling (docs/failed-auth-throttling.md), on @nestjs/throttler's storage
 * over the module's store so that replicas count together. Counts failures, not requests: a failed
 * bearer verification, or failed client authentication or grant at the token endpoint. Once a client
 * IP (IPv6 by /64) reaches `limit` failures within `windowSeconds`, `admit` refuses it with 429 and
 * `Retry-After` for `blockSeconds`, before any verification work.
 *
 * Logging is bounded: the first failure of a window is logged as before; later ones and the 429s are
 * marked quiet and added up into one `authentication_failures` audit event per IP and window; the
 * start of a block is one `authentication_throttled` event (from whichever replica started it).
 */
@Injectable()
export class FailedAuthThrottle implements OnModuleDestroy {
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly storage: StoreThrottlerStorage;
  private readonly localBlocks: Map<string, number>;
  /** A process-local store: the local map is authoritative (no store read), unless it overflowed. */
  private readonly localIsAuthoritative: boolean;
  private localOverflow = false;
  private readonly tally = new FailedAuthTally();
  private flushTimer?: ReturnType<typeof setInterval>;

  constructor(
    configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) store: OAuthMcpStore,
    private readonly audit: AuditService,
  ) {
    this.config = configService.config;
    this.storage = new StoreThrottlerStorage(store);
    this.localIsAuthoritative = store instanceof MemoryStore;
    let blocks = blocksByStore.get(store);
    if (!blocks) blocksByStore.set(store, (blocks = new Map()));
    this.localBlocks = blocks;
  }

  get enabled(): boolean {
    return this.config.failedAuthThrottle !== false;
  }

  /**
   * Resolves when the client IP may be verified; throws (or rejects with) a 429 when it is blocked.
   * Synchronous when off, when this process already knows of the block, and always with a MemoryStore;
   * else (a shared store) one store read. A store outage is a 503, unless `storeUnavailable: 'allow'`.
   */
  admit(req: PeerRequest): void | Promise<void> {
    if (this.config.failedAuthThrottle === false) return;
    const client = this.client(req);
    const known = this.localBlocks.get(client.bucket);
    if (known !== undefined) {
      if (known > Date.now()) throw this.tooMany(client, (known - Date.now()) / 1000);
      this.localBlocks.delete(client.bucket);
    }
    if (this.localIsAuthoritative && !this.localOverflow) return;
    return this.storage.blockedFor(this.key(client)).then(
      (seconds) => {
        if (seconds <= 0) return;
        this.remember(client.bucket, seconds);
        throw this.tooMany(client, seconds);
      },
      (err: unknown) => {
        if (this.config.storeUnavailable === 'allow') return;
        throw err instanceof OAuthError ? err : new TemporarilyUnavailableError();
      },
    );
  }

  /**
   * Counts `refusal` (already decided) against the client IP. All but the window's first failure are
   * marked quiet; the failure that reaches the limit starts the block. A store outage loses the count,
   * never the refusal.
   */
  async failed(req: PeerRequest, refusal: object): Promise<void> {
    const limits = this.config.failedAuthThrottle;
    if (limits === false) return;
    const client = this.client(req);
    let record;
    try {
      // The throttler blocks the hit after `limit`; these hits are failures already spent, so the
      // `limit`-th one starts the block.
      record = await this.storage.increment(this.key(client), limits.windowSeconds * 1000, limits.limit - 1, limits.blockSeconds * 1000);
    } catch {
      return;
    }
    if (record.totalHits > 1) {
      markQuiet(refusal);
      this.count(client, 'failures');
    }
    if (record.isBlocked) this.remember(client.bucket, record.timeToBlockExpire);
    if (record.blockStarted) {
      this.audit.emit(
        {
          type: 'authentication_throttled',
          ipHash: ipHash(client),
          count: record.totalHits,
          windowSeconds: limits.windowSeconds,
          blockSeconds: limits.blockSeconds,
        },
        req,
      );
    }
  }

  /** Emits what is left of the tally (shutdown, or a test that wants the aggregate now). */
  flush(): void {
    const limits = this.config.failedAuthThrottle;
    for (const [ipHash, { failures, refused }] of this.tally.drain()) {
      this.audit.emit({
        type: 'authentication_failures',
        ipHash,
        count: failures,
        refused,
        windowSeconds: limits === false ? undefined : limits.windowSeconds,
      });
    }
  }

  onModuleDestroy(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    this.flush();
  }

  private tooMany(client: Client, seconds: number): TooManyRequestsError {
    const err = new TooManyRequestsError(undefined, Math.max(1, Math.ceil(seconds)));
    markQuiet(err);
    this.count(client, 'refused');
    return err;
  }

  private count(client: Client, kind: 'failures' | 'refused'): void {
    this.tally.add(ipHash(client), kind);
    if (!this.flushTimer && this.config.failedAuthThrottle !== false) {
      // One aggregate per IP and window; the timer does not keep the process alive. Created outside the
      // request context, or every aggregate would carry the ip and request id of the request that started it.
      const every = this.config.failedAuthThrottle.windowSeconds * 1000;
      this.flushTimer = requestContext.exit(() => setInterval(() => this.flush(), every));
      this.flushTimer.unref();
    }
  }

  private remember(bucket: string, seconds: number): void {
    if (this.localBlocks.size >= MAX_LOCAL_BLOCKS && !this.localBlocks.has(bucket)) {
      const now = Date.now();
      for (const [k, until] of this.localBlocks) if (until <= now) this.localBlocks.delete(k);
      if (this.localBlocks.size >= MAX_LOCAL_BLOCKS) {
        // Not remembered: from now on the store is read, so no block is missed.
        this.localOverflow = true;
        return;
      }
    }
    this.localBlocks.set(bucket, Date.now() + seconds * 1000);
  }

  /** The client as the OAuth rate limits see it: the request context's IP (trusted proxies applied), IPv6 by /64. */
  private client(req: PeerRequest): Client {
    return { bucket: rateLimitBucket(requestContext.getStore()?.ip ?? clientIp(req, this.config.trustProxyHops)) };
  }

  /** The store key: the bucket hashed (the address itself is never stored). */
  private key(client: Client): string {
    return StoreKeys.rate(THROTTLER, bucketHash(client.bucket));
  }
}

function bucketHash(bucket: string): string {
  return createHash('sha256').update(bucket).digest('base64url');
}

/** The 12-character prefix audit events carry. */
function ipHash(client: Client): string {
  return bucketHash(client.bucket).slice(0, 12);
}
