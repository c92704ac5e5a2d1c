import { HttpStatus, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { InvalidClientMetadataError, InvalidRequestError, type OAuthError } from '../../errors/oauth.errors.js';
import { sendOAuthError } from './oauth-response.js';

const OAUTH_JSON_PATHS = new Set(['/oauth/token', '/token', '/oauth/register', '/register', '/oauth/revoke', '/oauth/consent']);

/**
 * Body-parser failures happen before any route, so the OAuth endpoints never see them and Nest would
 * answer in its own format (echoing parser messages). This Express error handler, added after the
 * routes (and before Nest's own), answers them as OAuth errors on the OAuth endpoints only; every other
 * error and path goes on to the app's usual handling.
 */
@Injectable()
export class OAuthBodyErrorHandler implements OnModuleInit {
  private readonly logger = new Logger('OAuthMcp:AS');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly configService: OAuthMcpConfigService,
  ) {}

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter?.getInstance?.();
    if (this.configService.config.mode !== 'proxy' || typeof app?.use !== 'function') return;
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
      const type = (err as { type?: unknown })?.type;
      if (!OAUTH_JSON_PATHS.has(req.path) || typeof type !== 'string' || res.headersSent) return next(err);
      const tooLarge = (err as { status?: number }).status === HttpStatus.PAYLOAD_TOO_LARGE;
      const description = tooLarge ? 'The request body is too large' : 'The request body cannot be parsed';
      const oauthError: OAuthError = req.path.endsWith('register') ? new InvalidClientMetadataError(description) : new InvalidRequestError(description);
      if (req.path !== '/oauth/consent') res.setHeader('Access-Control-Allow-Origin', '*');
      sendOAuthError(res, oauthError, this.logger);
    });
  }
}
