import { Inject, Injectable } from '@nestjs/common';
import type { OAuthMcpStore } from '../store/oauth-mcp-store.interface.js';
import { OAUTH_MCP_STORE } from '../oauth-mcp.internal-constants.js';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { probeIdpKeys, probeUpstreamDiscovery } from './idp-keys.js';

/** Options of `OAuthMcpHealthIndicator.isHealthy()`. @publicApi */
export interface OAuthMcpHealthOptions {
  /** Give up on the IdP after this long (discovery and JWKS together). @default min(3000, the module's fetch timeout) */
  timeoutMs?: number;
  /** Reuse a result (up or down) for this long, so probes do not hammer the IdP. @default 5000 */
  cacheMs?: number;
}

/**
 * `@nestjs/terminus` indicator: is the identity provider's key set reachable, with at least one key
 * usable for the accepted algorithms? It looks the way the module does (the configured JWKS URI, or
 * OIDC discovery with the exact-issuer check, then the JWKS), with a short timeout, and caches the
 * answer for a few seconds. `hmac` is always up: its key is `JWT_SECRET`, nothing is fetched.
 * In proxy mode this server verifies its own tokens, so the indicator checks the upstream IdP's
 * OpenID configuration instead (reachable, `issuer` byte-identical); `isStoreHealthy()` checks the store.
 *
 * Add it to a module that imports `TerminusModule` (the `OAuthMcpModule` configuration is global):
 * @example
 * ```ts
 * @Module({ imports: [TerminusModule], providers: [OAuthMcpHealthIndicator], controllers: [HealthController] })
 * // in HealthController:
 * @Public() @Get('health/ready') @HealthCheck()
 * ready() { return this.health.check([() => this.oauthMcp.isHealthy()]); }
 * ```
 * @publicApi
 */
@Injectable()
export class OAuthMcpHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
  ) {}

  /**
   * `{ [key]: { status: 'up', store } }` when the store answers a ping within `timeoutMs`: readiness
   * for proxy mode, where every OAuth step and the revocation check need it. Never cached.
   */
  async isStoreHealthy<const Key extends string = 'oauth_store'>(key: Key = 'oauth_store' as Key, timeoutMs = 2000): Promise<HealthIndicatorResult<Key>> {
    return this.health
      .check(key)
      .attempt(async () => {
        await this.store.ping();
        return { store: this.store.constructor.name };
      })
      .withTimeout(timeoutMs);
  }

  /**
   * `{ [key]: { status: 'up', provider, jwksUri, keys } }` when the keys are reachable (proxy mode:
   * `{ status: 'up', mode: 'proxy', provider, upstream }`);
   * `{ [key]: { status: 'down', message } }` otherwise (`HealthCheckService` then answers 503).
   * The message is a short reason (`JWKS unexpected HTTP status 500`, `timeout of 3000ms exceeded`),
   * never a response body.
   */
  async isHealthy<const Key extends string = 'oauth_idp'>(
    key: Key = 'oauth_idp' as Key,
    options: OAuthMcpHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const config = this.configService.config;
    const session = this.health.check(key);
    const timeoutMs = options.timeoutMs ?? Math.min(3000, config.fetchTimeoutMs);
    if (config.mode === 'proxy') {
      return session
        .attempt(async () => {
          const { issuer } = await probeUpstreamDiscovery(config, timeoutMs);
          return { mode: 'proxy', provider: config.provider, upstream: issuer };
        })
        .withTimeout(timeoutMs)
        .cacheFor(options.cacheMs ?? 5000);
    }
    if (config.provider === 'hmac') return session.up({ provider: 'hmac' });
    return session
      .attempt(async () => {
        const probe = await probeIdpKeys(config, timeoutMs);
        return { provider: config.provider, jwksUri: probe.jwksUri, keys: probe.usable };
      })
      .withTimeout(timeoutMs)
      .cacheFor(options.cacheMs ?? 5000);
  }
}
