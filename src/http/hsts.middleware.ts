import { Injectable, type NestMiddleware } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { isLoopbackHostname } from '../config/url-rules.js';

interface HeaderWritable {
  setHeader(name: string, value: string): unknown;
}

/**
 * HSTS on the module's responses whenever `MCP_URL` is https on a host other than loopback (on
 * loopback it would pin localhost); the header covers the whole host, so the module's own paths are
 * enough; the app's other routes are left as the app sets them.
 */
@Injectable()
export class HstsMiddleware implements NestMiddleware {
  private readonly enabled: boolean;

  constructor(configService: OAuthMcpConfigService) {
    const c = configService.config;
    // O4: follows the parsed public URL, not NODE_ENV.
    this.enabled = c.https && !isLoopbackHostname(c.resourceUrl.hostname);
  }

  use(_req: unknown, res: HeaderWritable, next: () => void): void {
    if (this.enabled) res.setHeader('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    next();
  }
}
