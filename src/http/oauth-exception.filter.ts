import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable } from '@nestjs/common';
import { OAuthError } from '../errors/oauth.errors.js';
import { OAuthErrorResponder } from './oauth-error.responder.js';

/**
 * Registered app-wide by the module for its own error class only: the refusals of `JwtAuthGuard` and
 * `McpAuthGuard` on any route, and body-parse failures of its endpoints, become OAuth responses.
 * An application with its own catch-all filter can hand OAuthErrors to this one.
 * @publicApi
 */
@Injectable()
@Catch(OAuthError)
export class OAuthExceptionFilter implements ExceptionFilter<OAuthError> {
  constructor(private readonly responder: OAuthErrorResponder) {}

  catch(err: OAuthError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw err;
    this.responder.send(host.switchToHttp().getResponse(), err);
  }
}

/** On the module's own endpoints: whatever is thrown there leaves as an OAuth error (500 `server_error` if unexpected). */
@Injectable()
@Catch()
export class OAuthEndpointExceptionFilter implements ExceptionFilter {
  constructor(private readonly responder: OAuthErrorResponder) {}

  catch(err: unknown, host: ArgumentsHost): void {
    this.responder.send(host.switchToHttp().getResponse(), err);
  }
}
