import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from 'nestjs-oauth-mcp';
import { OAuthMcpHealthIndicator } from 'nestjs-oauth-mcp/health';

/**
 * Liveness and readiness for the example server. Both are `@Public()`: the global guard must not
 * answer a load balancer's probe with 401.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly oauthMcp: OAuthMcpHealthIndicator,
  ) {}

  /** The process answers: always up while it serves requests. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready to authenticate callers: the IdP is reachable (hmac: always) and the store answers. 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.oauthMcp.isHealthy(), () => this.oauthMcp.isStoreHealthy()]);
  }
}
