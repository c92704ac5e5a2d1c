import { HttpException, HttpStatus, type LoggerService } from '@nestjs/common';
import type { Response } from 'express';
import { InvalidClientError, InvalidRequestError, OAuthError, ServerError } from '../../errors/oauth.errors.js';
import { applySecurityHeaders } from '../../http/security-headers.js';
import type { FlowResponse } from '../authorize/authorization-flow.service.js';
import { serializeCookie } from './cookies.js';

/**
 * The one place errors become OAuth responses (RFC 6749 §5.2): `{ error, error_description }` with the
 * class's status; Basic-authenticated `invalid_client` adds a Basic challenge; anything that is not an
 * `OAuthError` is a generic 500 `server_error` whose cause is only logged (by name, never by message).
 */
export function toOAuthError(err: unknown, logger: LoggerService): OAuthError {
  if (err instanceof OAuthError) return err;
  if (err instanceof HttpException && err.getStatus() < 500) {
    return new InvalidRequestError(err.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE ? 'The request body is too large' : 'The request is malformed');
  }
  logger.error(`Unexpected error in an OAuth endpoint (${(err as Error)?.name ?? typeof err})`);
  return new ServerError();
}

export function sendOAuthError(res: Response, err: unknown, logger: LoggerService): void {
  const oauthError = toOAuthError(err, logger);
  applySecurityHeaders(res);
  res.setHeader('Pragma', 'no-cache');
  if (oauthError instanceof InvalidClientError && oauthError.usedBasicAuth) res.setHeader('WWW-Authenticate', 'Basic realm="oauth"');
  res.status(oauthError.getStatus()).json(oauthError.getResponse());
}

export function sendJson(res: Response, status: number, body: unknown): void {
  applySecurityHeaders(res);
  res.setHeader('Pragma', 'no-cache');
  res.status(status).json(body);
}

/** Sends a browser-leg response: a page with its CSP, or a 302/303 redirect; cookies first. */
export function sendFlow(res: Response, flow: FlowResponse, secureCookies: boolean): void {
  applySecurityHeaders(res);
  for (const cookie of flow.cookies ?? []) res.append('Set-Cookie', serializeCookie(cookie, secureCookies));
  if (flow.kind === 'redirect') {
    res.redirect(flow.status, flow.location);
    return;
  }
  res.setHeader('Content-Security-Policy', flow.csp);
  res.status(flow.status).type('text/html; charset=utf-8').send(flow.html);
}
