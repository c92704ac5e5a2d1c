import { All, Controller, HttpStatus, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { InvalidClientError, InvalidClientMetadataError, InvalidGrantError, MethodNotAllowedError } from '../errors/oauth.errors.js';
import type { PeerRequest } from '../http/client-ip.js';
import { FailedAuthThrottle } from '../rate-limit/failed-auth-throttle.service.js';
import { headerTarget } from '../http/node-response.js';
import { mediaType, type ModuleRequest, rawQuery } from '../http/node-request.js';
import { OAuthEndpointExceptionFilter } from '../http/oauth-exception.filter.js';
import { applySecurityHeaders } from '../http/security-headers.js';
import { singleAuthorizationHeader } from '../http/authorization-header.js';
import { Public } from '../resource-server/decorators/public.decorator.js';
import { AuthorizationFlowService, type FlowResponse } from './authorize/authorization-flow.service.js';
import { ClientRegistryService } from './clients/client-registry.service.js';
import { requestCookies } from './http/cookies.js';
import { sendFlow, sendJson, sendNoContent } from './http/oauth-response.js';
import { OAuthThrottlerGuard } from './rate-limit/oauth-throttler.guard.js';
import { RateLimit } from './rate-limit/rate-limit.decorator.js';
import { TokenEndpointService } from './token-endpoint/token-endpoint.service.js';

/**
 * The authorization server's endpoints (mounted in proxy mode only), outside the bearer guard. Every
 * error leaves through OAuthErrorResponder. Browser endpoints are not CORS-enabled; token,
 * registration and revocation are open to any origin without credentials.
 */
@Public()
@UseGuards(OAuthThrottlerGuard)
@UseFilters(OAuthEndpointExceptionFilter)
@Controller()
export class OAuthController {
  private readonly secure: boolean;

  constructor(
    configService: OAuthMcpConfigService,
    private readonly flow: AuthorizationFlowService,
    private readonly tokens: TokenEndpointService,
    private readonly clients: ClientRegistryService,
    private readonly failedAuth: FailedAuthThrottle,
  ) {
    this.secure = configService.config.https;
  }

  @RateLimit('authorize')
  @All('oauth/authorize')
  authorize(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.browser(req, res, 'GET', () => this.flow.authorize(req.query, requestCookies(req)));
  }

  @RateLimit('none')
  @All('oauth/consent')
  consent(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.browser(req, res, 'POST', () => this.flow.consent(req.body, requestCookies(req)));
  }

  @RateLimit('none')
  @All('oauth/callback')
  callback(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.browser(req, res, 'GET', () => this.flow.callback(req.query, rawQuery(req), requestCookies(req)));
  }

  @RateLimit('token')
  @All('oauth/token')
  token(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.api(req, res, async () => {
      // A client IP over the failed-authentication limit is refused before the client is authenticated.
      await this.failedAuth.admit(req as PeerRequest);
      let response;
      try {
        response = await this.tokens.token(singleAuthorizationHeader(req), req.body, {
          method: req.method ?? 'POST',
          url: req.url,
          originalUrl: req.originalUrl,
          headers: req.headers,
        });
      } catch (err) {
        // Failed client authentication and refused grants (codes, refresh tokens, assertions) count; a malformed request does not.
        if (err instanceof InvalidClientError || err instanceof InvalidGrantError) await this.failedAuth.failed(req as PeerRequest, err);
        throw err;
      }
      sendJson(res, HttpStatus.OK, response);
    });
  }

  @RateLimit('register')
  @All('oauth/register')
  register(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.api(req, res, async () => {
      if (mediaType(req) !== 'application/json') throw new InvalidClientMetadataError('The registration request must be application/json');
      sendJson(res, HttpStatus.CREATED, await this.clients.register(req.body));
    });
  }

  @RateLimit('revoke')
  @All('oauth/revoke')
  revoke(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.api(req, res, async () => {
      await this.tokens.revoke(singleAuthorizationHeader(req), req.body);
      sendJson(res, HttpStatus.OK, {});
    });
  }

  /** Browser endpoints: one method; pages or redirects decided by the flow. */
  private async browser(req: ModuleRequest, res: unknown, method: 'GET' | 'POST', handle: () => Promise<FlowResponse>): Promise<void> {
    if (req.method !== method) throw new MethodNotAllowedError([method]);
    sendFlow(res, await handle(), this.secure);
  }

  /** JSON endpoints: POST only, CORS for any origin without credentials. */
  private async api(req: ModuleRequest, res: unknown, handle: () => Promise<void>): Promise<void> {
    const raw = headerTarget(res);
    raw.setHeader('Access-Control-Allow-Origin', '*');
    raw.setHeader('Access-Control-Expose-Headers', 'DPoP-Nonce');
    if (req.method === 'OPTIONS') {
      applySecurityHeaders(raw);
      raw.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      raw.setHeader('Access-Control-Allow-Headers', 'Authorization, DPoP, Content-Type, Accept, MCP-Protocol-Version');
      raw.setHeader('Access-Control-Max-Age', '86400');
      return sendNoContent(res);
    }
    if (req.method !== 'POST') throw new MethodNotAllowedError(['POST', 'OPTIONS']);
    await handle();
  }
}

/**
 * Opt-in (`rootAliases: true`): `/authorize`, `/token` and `/register` at the root, for 2025-03-26
 * clients that fall back to them when the server publishes no metadata they read. Same handlers.
 */
@Public()
@UseGuards(OAuthThrottlerGuard)
@UseFilters(OAuthEndpointExceptionFilter)
@Controller()
export class OAuthRootAliasesController {
  constructor(private readonly oauth: OAuthController) {}

  @RateLimit('authorize')
  @All('authorize')
  authorize(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.oauth.authorize(req, res);
  }

  @RateLimit('token')
  @All('token')
  token(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.oauth.token(req, res);
  }

  @RateLimit('register')
  @All('register')
  register(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    return this.oauth.register(req, res);
  }
}
