import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Base class of every protocol error the module answers with. The `error` code and the
 * HTTP status are fixed per class (RFC 6749 §5.2, RFC 6750 §3.1); `description` is a fixed,
 * generic sentence that never contains request data, tokens or key material.
 * @publicApi
 */
export abstract class OAuthError extends HttpException {
  abstract readonly error: string;
  /**
   * The `WWW-Authenticate` scheme the response carries: `Bearer` for the resource server's refusals
   * (RFC 6750 §3), `DPoP` for the resource server's refusals of a DPoP proof (RFC 9449 §7.1; sent beside
   * the Bearer challenge), `Basic` for a client that authenticated with HTTP Basic (RFC 6749 §5.2).
   */
  challenge?: 'Bearer' | 'DPoP' | 'Basic';

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
  override challenge = 'Bearer' as const;
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
  override challenge = 'Bearer' as const;
  constructor(
    readonly requiredScopes: readonly string[],
    /** The scopes the presented token carries: the challenge names them too, so a re-authorization keeps them. */
    readonly grantedScopes: readonly string[] = [],
  ) {
    super(HttpStatus.FORBIDDEN, 'The access token lacks a scope this operation requires');
  }
}

/**
 * `invalid_dpop_proof` (RFC 9449 §5, §7.1): the `DPoP` proof is missing, malformed, stale, replayed or not
 * for this request, token or key. 400 at the token endpoint; 401 with a `DPoP` challenge at the resource.
 * @publicApi
 */
export class InvalidDpopProofError extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  constructor(description = 'The DPoP proof is invalid', atResource = false) {
    super(atResource ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST, description);
    if (atResource) this.challenge = 'DPoP';
  }
}

/**
 * `use_dpop_nonce` (RFC 9449 §8–9): the proof must carry the server's current nonce, sent as `DPoP-Nonce`.
 * 400 at the token endpoint; 401 with a `DPoP` challenge at the resource.
 * @publicApi
 */
export class UseDpopNonceError extends OAuthError {
  readonly error = 'use_dpop_nonce';
  constructor(
    /** The nonce to use, sent in the `DPoP-Nonce` header. */
    readonly nonce: string,
    atResource = false,
  ) {
    super(atResource ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST, 'The DPoP proof must carry the nonce the server provides');
    if (atResource) this.challenge = 'DPoP';
  }
}

/** 400 `invalid_request`: the request itself is malformed (e.g. a token in two places). @publicApi */
export class InvalidRequestError extends OAuthError {
  readonly error = 'invalid_request';
  constructor(description = 'The request is malformed') {
    super(HttpStatus.BAD_REQUEST, description);
  }
}

/**
 * 400 `invalid_request`: the `Authorization` header was sent more than once (Node keeps only the
 * first; a proxy in front may have used another). @publicApi
 */
export class DuplicateAuthorizationHeaderError extends InvalidRequestError {
  constructor() {
    super('The Authorization header must be sent exactly once');
  }
}

/**
 * 400 (or 413) `invalid_request` for an MCP POST whose body the guard cannot read as JSON, or whose
 * `Mcp-Method`/`Mcp-Name` headers are repeated or badly encoded. Not a credential problem: no challenge.
 * @publicApi
 */
export class McpBodyError extends OAuthError {
  readonly error = 'invalid_request';
  constructor(status: 400 | 413 = 400) {
    super(status, status === 413 ? 'The request body is too large' : 'The request is not a readable MCP message');
  }
}

/** 405: the endpoint exists but not for this HTTP method; `Allow` names the ones it takes. @publicApi */
export class MethodNotAllowedError extends OAuthError {
  readonly error = 'invalid_request';
  constructor(readonly allow: readonly string[] = []) {
    super(HttpStatus.METHOD_NOT_ALLOWED, allow.length > 0 ? `Use ${allow.join(' or ')}` : 'The HTTP method is not allowed here');
  }
}

/** 404 for a path under one of the module's routes that names no document. @publicApi */
export class EndpointNotFoundError extends OAuthError {
  readonly error = 'not_found';
  constructor() {
    super(HttpStatus.NOT_FOUND, 'No such endpoint');
  }
}

/** 503 `temporarily_unavailable`: a dependency (IdP, store) cannot be reached; nothing is let in. @publicApi */
export class TemporarilyUnavailableError extends OAuthError {
  readonly error = 'temporarily_unavailable';
  constructor(description = 'The service is temporarily unavailable') {
    super(HttpStatus.SERVICE_UNAVAILABLE, description);
  }
}

/** 403: a browser `Origin` that may not call the MCP endpoint (DNS rebinding protection). @publicApi */
export class OriginNotAllowedError extends OAuthError {
  readonly error = 'access_denied';
  constructor(description = 'Requests from this Origin are not allowed') {
    super(HttpStatus.FORBIDDEN, description);
  }
}

/** 401 `invalid_client` (or 400 when the client did not use HTTP authentication): unknown client or bad credentials. @publicApi */
export class InvalidClientError extends OAuthError {
  readonly error = 'invalid_client';
  constructor(
    description = 'Client authentication failed',
    /** The client authenticated with HTTP Basic: answer 401 with a Basic challenge (RFC 6749 §5.2). */
    readonly usedBasicAuth = false,
  ) {
    super(usedBasicAuth ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST, description);
    if (usedBasicAuth) this.challenge = 'Basic';
  }
}
/** 400 `invalid_grant`: bad, expired or used code or refresh token, PKCE or redirect mismatch. @publicApi */
export class InvalidGrantError extends OAuthError {
  readonly error = 'invalid_grant';
  constructor(description = 'The grant is invalid, expired or was already used') {
    super(400, description);
  }
}
/** 400 `unauthorized_client`. @publicApi */
export class UnauthorizedClientError extends OAuthError {
  readonly error = 'unauthorized_client';
  constructor(description = 'The client may not use this grant') {
    super(400, description);
  }
}
/** 400 `unsupported_grant_type`. @publicApi */
export class UnsupportedGrantTypeError extends OAuthError {
  readonly error = 'unsupported_grant_type';
  constructor(description = 'The grant type is not supported') {
    super(400, description);
  }
}
/** 400 `unsupported_response_type`. @publicApi */
export class UnsupportedResponseTypeError extends OAuthError {
  readonly error = 'unsupported_response_type';
  constructor(description = 'Only response_type=code is supported') {
    super(400, description);
  }
}
/** 400 `invalid_scope`. @publicApi */
export class InvalidScopeError extends OAuthError {
  readonly error = 'invalid_scope';
  constructor(description = 'The requested scope is invalid') {
    super(400, description);
  }
}
/** 400 `invalid_target` (RFC 8707): the resource is not this MCP server. @publicApi */
export class InvalidTargetError extends OAuthError {
  readonly error = 'invalid_target';
  constructor(description = 'The resource parameter does not identify this server') {
    super(400, description);
  }
}
/** 403 `access_denied`: the user or the policy refused. @publicApi */
export class AccessDeniedError extends OAuthError {
  readonly error = 'access_denied';
  constructor(description = 'The request was denied') {
    super(403, description);
  }
}
/** 400 `invalid_redirect_uri` (RFC 7591). @publicApi */
export class InvalidRedirectUriError extends OAuthError {
  readonly error = 'invalid_redirect_uri';
  constructor(description = 'A redirect URI is not acceptable') {
    super(400, description);
  }
}
/** 400 `invalid_client_metadata` (RFC 7591). @publicApi */
export class InvalidClientMetadataError extends OAuthError {
  readonly error = 'invalid_client_metadata';
  constructor(description = 'The client metadata is invalid') {
    super(400, description);
  }
}
/** 400 `unsupported_token_type` (RFC 7009). @publicApi */
export class UnsupportedTokenTypeError extends OAuthError {
  readonly error = 'unsupported_token_type';
  constructor(description = 'The token type is not supported') {
    super(400, description);
  }
}
/** 429 `too_many_requests`. @publicApi */
export class TooManyRequestsError extends OAuthError {
  readonly error = 'too_many_requests';
  constructor(
    description = 'Too many requests; retry later',
    /** Sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(429, description);
  }
}
/** 500 `server_error`: never carries the cause; it is logged instead. @publicApi */
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  constructor(description = 'The server could not complete the request') {
    super(500, description);
  }
}
/** 502 `server_error` for an upstream IdP failure; the upstream body is never relayed. @publicApi */
export class UpstreamError extends OAuthError {
  readonly error = 'server_error';
  constructor(description = 'The identity provider could not complete the sign-in') {
    super(502, description);
  }
}
