import { HttpException, HttpStatus, Injectable, Logger, type LoggerService } from '@nestjs/common';
import { OAuthMcpConfigService } from '../config/oauth-mcp-config.service.js';
import { InvalidRequestError, MethodNotAllowedError, OAuthError, ServerError, TooManyRequestsError, UseDpopNonceError } from '../errors/oauth.errors.js';
import { DPOP_ALGORITHMS } from '../config/algorithm-rules.js';
import { type DpopChallengeSettings, resourceChallenges } from './www-authenticate.js';
import { headerTarget, writeJson } from './node-response.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Browser clients (Inspector direct mode, claude.ai) must be able to read the challenge. */
const EXPOSED_ON_CHALLENGE = 'WWW-Authenticate, DPoP-Nonce, Mcp-Session-Id, MCP-Protocol-Version';

/**
 * The one exit for OAuth errors: it alone decides an error response's status, `{ error,
 * error_description }` body, `WWW-Authenticate`, `Retry-After`, caching and security headers. The
 * exception filters, the guards (headers first, so an application's own catch-all filter cannot lose
 * the challenge) and body-parse failures all go through it.
 */
@Injectable()
export class OAuthErrorResponder {
  private readonly logger: LoggerService;
  private readonly resourceMetadataUrl: string;
  private readonly scopes: readonly string[];
  private readonly dpop: DpopChallengeSettings;

  constructor(configService: OAuthMcpConfigService) {
    const c = configService.config;
    this.resourceMetadataUrl = c.resourceMetadataUrl;
    this.scopes = c.resourceScopes;
    this.dpop = { algs: DPOP_ALGORITHMS, required: c.dpopRequired };
    this.logger = c.logger ?? new Logger('OAuthMcp');
  }

  /** Anything thrown in an OAuth endpoint as an OAuthError; an unexpected one is a 500 logged by name only. */
  toOAuthError(err: unknown): OAuthError {
    if (err instanceof OAuthError) return err;
    if (err instanceof HttpException && err.getStatus() < 500) {
      return new InvalidRequestError(err.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE ? 'The request body is too large' : 'The request is malformed');
    }
    this.logger.error(`Unexpected error in an OAuth endpoint (${(err as Error)?.name ?? typeof err})`);
    return new ServerError();
  }

  /** Every header of the error's response, in the order they are written. */
  headers(err: OAuthError): [string, string][] {
    const out: [string, string][] = [...SECURITY_HEADERS, ['Cache-Control', 'no-store'], ['Pragma', 'no-cache']];
    if (err.challenge === 'Bearer' || err.challenge === 'DPoP') {
      out.push(
        ['WWW-Authenticate', resourceChallenges(err, this.resourceMetadataUrl, this.scopes, this.dpop)],
        ['Access-Control-Expose-Headers', EXPOSED_ON_CHALLENGE],
      );
    } else if (err.challenge === 'Basic') {
      out.push(['WWW-Authenticate', 'Basic realm="oauth"']);
    }
    // RFC 9449 §8–9: the nonce to retry with, at the token endpoint and the resource alike.
    if (err instanceof UseDpopNonceError) out.push(['DPoP-Nonce', err.nonce]);
    if (err instanceof MethodNotAllowedError) out.push(['Allow', err.allow.join(', ')]);
    if (err instanceof TooManyRequestsError && err.retryAfterSeconds !== undefined)
      out.push(['Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds)))]);
    return out;
  }

  /** Headers only, while the adapter will still send the response (a guard about to throw). */
  applyHeaders(res: unknown, err: OAuthError): void {
    const raw = headerTarget(res);
    if (raw.headersSent) return;
    for (const [name, value] of this.headers(err)) raw.setHeader(name, value);
  }

  /** The whole response. */
  send(res: unknown, error: unknown): void {
    const err = this.toOAuthError(error);
    if (headerTarget(res).headersSent) return;
    this.applyHeaders(res, err);
    writeJson(res, err.getStatus(), err.getResponse());
  }
}
