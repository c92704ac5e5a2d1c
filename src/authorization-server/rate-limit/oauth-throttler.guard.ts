import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { AuditService } from '../../audit/audit.service.js';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { TooManyRequestsError } from '../../errors/oauth.errors.js';
import { clientIp, type PeerRequest, rateLimitBucket } from '../../http/client-ip.js';
import { sha256 } from '../crypto/random.js';
import { RATE_LIMIT_KEY } from './rate-limit.decorator.js';
import { StoreKeys } from '../../store/store-keys.js';

/**
 * @nestjs/throttler's guard on the OAuth endpoints, with this module's rules: the client is its IP as
 * `trustProxyHops` defines it (a client's own X-Forwarded-For never moves its bucket) and IPv6 by its
 * /64; one counter per endpoint family and client, whichever path (root alias or not) was used; CORS
 * preflights are free; a refusal is the OAuth-shaped 429 with `Retry-After` and a `rate_limited` audit
 * event.
 */
@Injectable()
export class OAuthThrottlerGuard extends ThrottlerGuard {
  private readonly config: ResolvedOAuthMcpConfig;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    configService: OAuthMcpConfigService,
    private readonly audit: AuditService,
  ) {
    super(options, storage, reflector);
    this.config = configService.config;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.config.rateLimits === false || context.switchToHttp().getRequest<{ method: string }>().method === 'OPTIONS';
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return rateLimitBucket(clientIp(req as unknown as PeerRequest, this.config.trustProxyHops));
  }

  /** `rate:` keys are flow entries the MemoryStore may evict; the IP is kept hashed. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return StoreKeys.rate(throttlerName, sha256(tracker));
  }

  /** The OAuthErrorResponder writes the 429 (Retry-After, security headers, OAuth body). */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    this.audit.emit({ type: 'rate_limited', reason: this.reflector.get<string>(RATE_LIMIT_KEY, context.getHandler()) });
    throw new TooManyRequestsError(undefined, Math.max(1, detail.timeToBlockExpire));
  }
}
