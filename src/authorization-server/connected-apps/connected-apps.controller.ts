import { All, Controller, HttpStatus, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { AccessDeniedError, InvalidRequestError, InvalidTokenError, MethodNotAllowedError } from '../../errors/oauth.errors.js';
import { singleAuthorizationHeader } from '../../http/authorization-header.js';
import type { ModuleRequest } from '../../http/node-request.js';
import { OAuthEndpointExceptionFilter } from '../../http/oauth-exception.filter.js';
import { Public } from '../../resource-server/decorators/public.decorator.js';
import { AuthorizationFlowService, CONNECTED_APPS_PAGE, type FlowResponse } from '../authorize/authorization-flow.service.js';
import { errorPage, pageCsp } from '../authorize/html.js';
import { requestCookies } from '../http/cookies.js';
import { sendFlow, sendJson } from '../http/oauth-response.js';
import { single } from '../http/request-params.js';
import { OAuthThrottlerGuard } from '../rate-limit/oauth-throttler.guard.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { renderAppsPage } from './apps-page.js';
import { type AppsPrincipal, ConnectedAppsAuth } from './connected-apps-auth.js';
import { ConnectedAppsService } from './connected-apps.service.js';

/**
 * "Connected apps" (proxy mode). The page, `GET /oauth/apps` with its revoke form `POST /oauth/apps/revoke`,
 * runs on the consent flow's browser session (none yet: an upstream sign-in first). The JSON API,
 * `GET /oauth/connected-apps` and `POST /oauth/connected-apps/revoke`, takes a bearer token with the
 * connected-apps scope, or that session (its revoke then needs the session's CSRF token too).
 * Not CORS-enabled: no other origin reads or drives it with the user's cookie.
 */
@Public()
@UseGuards(OAuthThrottlerGuard)
@UseFilters(OAuthEndpointExceptionFilter)
@Controller()
export class ConnectedAppsController {
  private readonly secure: boolean;

  constructor(
    configService: OAuthMcpConfigService,
    private readonly flow: AuthorizationFlowService,
    private readonly auth: ConnectedAppsAuth,
    private readonly apps: ConnectedAppsService,
  ) {
    this.secure = configService.config.https;
  }

  @RateLimit('authorize')
  @All('oauth/apps')
  async page(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    if (req.method !== 'GET') throw new MethodNotAllowedError(['GET']);
    const principal = await this.auth.fromSession(requestCookies(req));
    if (!principal) return sendFlow(res, await this.flow.signInForApps(), this.secure);
    const notice = single(req.query, 'revoked', 8) === '1' ? 'Access was revoked.' : undefined;
    const html = renderAppsPage(await this.apps.list(principal.userKey), principal.csrfToken!, notice);
    sendFlow(res, { kind: 'page', status: 200, html, csp: pageCsp() }, this.secure);
  }

  @RateLimit('revoke')
  @All('oauth/apps/revoke')
  async revokeFromPage(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    if (req.method !== 'POST') throw new MethodNotAllowedError(['POST']);
    const principal = await this.auth.fromSession(requestCookies(req));
    const clientId = single(req.body, 'client_id', 2048);
    if (!principal || !this.auth.csrfHolds(principal, single(req.body, 'csrf_token', 128))) {
      return sendFlow(res, this.problem(new AccessDeniedError('The form is invalid, expired, or was not sent from this browser'), 403), this.secure);
    }
    if (!clientId) return sendFlow(res, this.problem(new InvalidRequestError('client_id is required'), 400), this.secure);
    await this.apps.revoke(principal.userKey, clientId, 'user');
    sendFlow(res, { kind: 'redirect', status: 303, location: `${CONNECTED_APPS_PAGE}?revoked=1` }, this.secure);
  }

  @RateLimit('token')
  @All('oauth/connected-apps')
  async list(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    if (req.method !== 'GET') throw new MethodNotAllowedError(['GET']);
    const principal = await this.principal(req);
    const apps = await this.apps.list(principal.userKey);
    sendJson(res, HttpStatus.OK, { apps, ...(principal.csrfToken ? { csrf_token: principal.csrfToken } : {}) });
  }

  @RateLimit('revoke')
  @All('oauth/connected-apps/revoke')
  async revoke(@Req() req: ModuleRequest, @Res() res: unknown): Promise<void> {
    if (req.method !== 'POST') throw new MethodNotAllowedError(['POST']);
    const principal = await this.principal(req);
    if (!this.auth.csrfHolds(principal, single(req.body, 'csrf_token', 128))) throw new AccessDeniedError('A session needs its csrf_token to revoke');
    const clientId = single(req.body, 'client_id', 2048);
    if (!clientId) throw new InvalidRequestError('client_id is required');
    sendJson(res, HttpStatus.OK, { revoked: await this.apps.revoke(principal.userKey, clientId, 'user') });
  }

  /** A bearer token when the request carries `Authorization` (the cookie is then ignored), else the session. */
  private async principal(req: ModuleRequest): Promise<AppsPrincipal> {
    if (singleAuthorizationHeader(req) !== undefined) return this.auth.fromBearer(req);
    const session = await this.auth.fromSession(requestCookies(req));
    if (!session) throw new InvalidTokenError('Sign in, or send a bearer token with the connected-apps scope', true);
    return session;
  }

  private problem(err: AccessDeniedError | InvalidRequestError, status: number): FlowResponse {
    const html = errorPage(err.error, err.description, 'This request cannot continue', 'Open the connected apps page again and retry.', 'Connected apps');
    return { kind: 'page', status, html, csp: pageCsp() };
  }
}
