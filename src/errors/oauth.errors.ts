import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Base class of every protocol error the module answers with. The `error` code and the
 * HTTP status are fixed per class (RFC 6749 §5.2, RFC 6750 §3.1); `description` is a fixed,
 * generic sentence that never contains request data, tokens or key material.
 * @publicApi
 */
export abstract class OAuthError extends HttpException {
  abstract readonly error: string;

  constructor(
    status: number,
    readonly description: string,
  ) {
    super(description, status);
    this.name = this.constructor.name;
  }

  /** The JSON body sent to the client: `{ error, error_description }`. */
  override getResponse(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** 401 `invalid_token`: the bearer token is missing, malformed, expired or not for us. @publicApi */
export class InvalidTokenError extends OAuthError {
  readonly error = 'invalid_token';
  constructor(
    description = 'The access token is invalid',
    /** True when the request carried no credentials at all (RFC 6750 §3.1: no error code in the challenge). */
    readonly missing = false,
  ) {
    super(HttpStatus.UNAUTHORIZED, description);
  }
}

/** 403 `insufficient_scope`: the token is valid but lacks scopes the operation needs. @publicApi */
export class InsufficientScopeError extends OAuthError {
  readonly error = 'insufficient_scope';
  constructor(readonly requiredScopes: readonly string[]) {
    super(HttpStatus.FORBIDDEN, 'The access token lacks a scope this operation requires');
  }
}

/** 400 `invalid_request`: the request itself is malformed (e.g. a token in two places). @publicApi */
export class InvalidRequestError extends OAuthError {
  readonly error = 'invalid_request';
  constructor(description = 'The request is malformed') {
    super(HttpStatus.BAD_REQUEST, description);
  }
}

/** 503 `temporarily_unavailable`: a dependency (IdP, store) cannot be reached; nothing is let in. @publicApi */
export class TemporarilyUnavailableError extends OAuthError {
  readonly error = 'temporarily_unavailable';
  constructor(description = 'The service is temporarily unavailable') {
    super(HttpStatus.SERVICE_UNAVAILABLE, description);
  }
}
