import { All, Controller, HttpStatus, Logger, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import { Public } from '../resource-server/decorators/public.decorator.js';
import { InvalidClientMetadataError } from '../errors/oauth.errors.js';
import { applySecurityHeaders } from '../http/security-headers.js';
import { AuthorizationFlowService } from './authorize/authorization-flow.service.js';
import { ClientRegistryService } from './clients/client-registry.service.js';
import { parseCookies } from './http/cookies.js';
import { sendFlow, sendJson, sendOAuthError } from './http/oauth-response.js';
import { TokenEndpointService } from './token-endpoint/token-endpoint.service.js';
import { OAuthRateLimitGuard, RateLimit } from './rate-limit/oauth-rate-limit.guard.js';

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * The authorization server's endpoints (mounted in proxy mode only), outside the bearer guard.
 * Browser endpoints are not CORS-enabled; token, registration and revocation are open to any origin
 * without credentials.
 */
@Public()
@UseGuards(OAuthRateLimitGuard)
@Controller()
export class OAuthController {
  private readonly logger = new Logger('OAuthMcp:AS');
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly secure: boolean;

  constructor(
    configService: OAuthMcpConfigService,
    private readonly flow: AuthorizationFlowService,
    private readonly tokens: TokenEndpointService,
    private readonly clients: ClientRegistryService,
  ) {
    this.config = configService.config;
    this.secure = this.config.https;
  }

  @RateLimit('authorize')
  @All('oauth/authorize')
  authorize(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.browser(req, res, ['GET'], () => this.flow.authorize(req.query, parseCookies(req.headers.cookie)));
  }

  @RateLimit('none')
  @All('oauth/consent')
  consent(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.browser(req, res, ['POST'], () => this.flow.consent(req.body, parseCookies(req.headers.cookie)));
  }

  @RateLimit('none')
  @All('oauth/callback')
  callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const rawQuery = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    return this.browser(req, res, ['GET'], () => this.flow.callback(req.query, rawQuery, parseCookies(req.headers.cookie)));
  }

  @RateLimit('token')
  @All('oauth/token')
  token(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.api(req, res, async () => {
      const body = await this.tokens.token(req.headers.authorization, req.body);
      sendJson(res, HttpStatus.OK, body);
    });
  }

  @RateLimit('register')
  @All('oauth/register')
  register(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.api(req, res, async () => {
      if (!req.is('application/json')) throw new InvalidClientMetadataError('The registration request must be application/json');
      sendJson(res, HttpStatus.CREATED, await this.clients.register(req.body));
    });
  }

  @RateLimit('revoke')
  @All('oauth/revoke')
  revoke(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.api(req, res, async () => {
      await this.tokens.revoke(req.headers.authorization, req.body);
      sendJson(res, HttpStatus.OK, {});
    });
  }

  /** Browser endpoints: no CORS; errors are pages or redirects decided by the flow. */
  private async browser(req: Request, res: Response, methods: string[], handle: () => ReturnType<AuthorizationFlowService['authorize']>): Promise<void> {
    if (!methods.includes(req.method)) return this.methodNotAllowed(res, methods);
    try {
      sendFlow(res, await handle(), this.secure);
    } catch (err) {
      sendOAuthError(res, err, this.logger);
    }
  }

  /** JSON endpoints: POST only, CORS for any origin without credentials, OAuth JSON errors. */
  private async api(req: Request, res: Response, handle: () => Promise<void>): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      applySecurityHeaders(res);
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, MCP-Protocol-Version');
      res.setHeader('Access-Control-Max-Age', '86400');
      res.status(HttpStatus.NO_CONTENT).end();
      return;
    }
    if (req.method !== 'POST') return this.methodNotAllowed(res, ['POST', 'OPTIONS']);
    try {
      await handle();
    } catch (err) {
      sendOAuthError(res, err, this.logger);
    }
  }

  private methodNotAllowed(res: Response, methods: string[]): void {
    applySecurityHeaders(res);
    res.setHeader('Allow', methods.join(', '));
    res.status(HttpStatus.METHOD_NOT_ALLOWED).json({ error: 'invalid_request', error_description: `Use ${methods.join(' or ')}` });
  }
}

/**
 * Opt-in (`rootAliases: true`): `/authorize`, `/token` and `/register` at the root, for 2025-03-26
 * clients that fall back to them when the server publishes no metadata they read. Same handlers.
 */
@Public()
@UseGuards(OAuthRateLimitGuard)
@Controller()
export class OAuthRootAliasesController {
  constructor(private readonly oauth: OAuthController) {}

  @RateLimit('authorize')
  @All('authorize')
  authorize(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.authorize(req, res);
  }

  @RateLimit('token')
  @All('token')
  token(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.token(req, res);
  }

  @RateLimit('register')
  @All('register')
  register(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.register(req, res);
  }
}
