/** What happened. @publicApi */
export type AuditEventType =
  | 'sign_in'
  | 'consent_granted'
  | 'consent_denied'
  | 'token_issued'
  | 'token_refreshed'
  | 'token_revoked'
  | 'refresh_token_reuse'
  | 'code_replay'
  | 'client_registered'
  | 'authorization_denied'
  | 'rate_limited'
  /** A grant refused by `accessRules` or the `accessPolicy` hook; `reason` names the rule. */
  | 'access_policy_denied'
  /** A single-use assertion (client assertion or ID-JAG) presented again; `reason` says which. */
  | 'assertion_replay'
  /** A client IP reached the failed-authentication limit and is refused (429) for `blockSeconds`. */
  | 'authentication_throttled'
  /**
   * Per client IP and window: the failed authentications not logged one by one (`count`) and the
   * requests refused while blocked (`refused`); only the window's first failure has its own event.
   */
  | 'authentication_failures'
  /** Connected apps: every grant of one client for one user ended; `reason` is `user_request` or `operator_request`. */
  | 'connected_app_revoked';

/**
 * One structured audit event. Never carries a secret: tokens, codes and states appear, if at all,
 * as a short SHA-256 prefix (`tokenHash`). @publicApi
 */
export interface AuditEvent {
  type: AuditEventType;
  /** ISO 8601 time. */
  time: string;
  /** The request's id (`X-Request-Id` when the caller sent a safe one, else generated). */
  requestId?: string;
  /** Client IP as the rate limits see it (socket peer, or per `TRUST_PROXY_HOPS`). */
  ip?: string;
  clientId?: string;
  subject?: string;
  /** Machine-readable reason (e.g. an OAuth error code). */
  reason?: string;
  /** SHA-256 prefix of the token or code concerned. */
  tokenHash?: string;
  /** Grant (refresh-token family) id: lets events of one authorization be correlated. */
  grantId?: string;
  /** Scopes granted or required. */
  scopes?: string[];
  /** SHA-256 prefix of the client IP's rate-limit bucket (the IP, or its IPv6 /64): the store key's tracker. */
  ipHash?: string;
  /** How many times it happened (aggregated events). */
  count?: number;
  /** Requests refused with 429 meanwhile (aggregated events). */
  refused?: number;
  /** The counting window, in seconds (aggregated events). */
  windowSeconds?: number;
  /** How long the client IP is refused, in seconds. */
  blockSeconds?: number;
}

/**
 * Where audit events go. The default writes one JSON line per event through Nest's Logger
 * (context `OAuthMcp:Audit`); provide your own (SIEM, OpenTelemetry) with the `auditSink` option.
 * @publicApi
 */
export interface AuditSink {
  emit(event: AuditEvent): void | Promise<void>;
}
