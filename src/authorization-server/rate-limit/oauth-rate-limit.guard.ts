import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { TooManyRequestsError } from '../../errors/oauth.errors.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { sha256 } from '../crypto/random.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { clientIp, rateLimitBucket } from '../../http/client-ip.js';
import { AuditService } from '../../audit/audit.service.js';
import type { RateLimitedEndpoint } from '../../config/rate-limit-defaults.js';

const RATE_LIMIT_KEY = 'oauth-mcp:rate-limit';

/** Which limit a route counts against (`none`: not limited). */
export const RateLimit = (endpoint: RateLimitedEndpoint | 'none') => SetMetadata(RATE_LIMIT_KEY, endpoint);

/**
 * Per-client-IP fixed windows on the OAuth endpoints, counted in the module's store, so replicas
 * sharing Redis share the counters (N replicas do not multiply the limit by N). 429
 * `too_many_requests` with `Retry-After`; a store outage fails closed (503). CORS preflights are free.
 * (@nestjs/throttler 6 is CommonJS and requires Nest 12's ESM-only @nestjs/common, which Jest on
 * Node 20 cannot load; this guard is the same fixed-window model on the store's atomic `increment`.)
 */
@Injectable()
export class OAuthRateLimitGuard implements CanActivate {
  private readonly config: ResolvedOAuthMcpConfig;

  constructor(
    configService: OAuthMcpConfigService,
    private readonly reflector: Reflector,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly audit: AuditService,
  ) {
    this.config = configService.config;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const limits = this.config.rateLimits;
    const endpoint = this.reflector.get<RateLimitedEndpoint | 'none' | undefined>(RATE_LIMIT_KEY, context.getHandler());
    const http = context.switchToHttp();
    const req = http.getRequest<Parameters<typeof clientIp>[0] & { method: string }>();
    if (limits === false || this.config.mode !== 'proxy' || !endpoint || endpoint === 'none' || req.method === 'OPTIONS') return true;
    const { limit, windowSeconds } = limits[endpoint];
    const key = `rate:${endpoint}:${sha256(rateLimitBucket(clientIp(req, this.config.trustProxyHops)))}`;
    const { count, ttlSeconds } = await this.store.increment(key, windowSeconds);
    if (count <= limit) return true;
    this.audit.emit({ type: 'rate_limited', reason: endpoint });
    throw new TooManyRequestsError(undefined, ttlSeconds);
  }
}
