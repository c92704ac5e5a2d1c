import { Injectable, type NestMiddleware } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';

interface HeaderWritable {
  setHeader(name: string, value: string): unknown;
}

/**
 * HSTS on the module's responses in production over https (the header covers the whole host, so the
 * module's own paths are enough; the app's other routes are left as the app sets them).
 */
@Injectable()
export class HstsMiddleware implements NestMiddleware {
  private readonly enabled: boolean;

  constructor(configService: OAuthMcpConfigService) {
    const c = configService.config;
    this.enabled = c.production && c.https;
  }

  use(_req: unknown, res: HeaderWritable, next: () => void): void {
    if (this.enabled) res.setHeader('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    next();
  }
}
