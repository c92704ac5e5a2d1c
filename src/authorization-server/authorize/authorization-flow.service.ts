import { Inject, Injectable, Logger } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { isLoopbackHostname } from '../../config/url-rules.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import {
  AccessDeniedError,
  InvalidClientError,
  InvalidRequestError,
  InvalidTargetError,
  OAuthError,
  TemporarilyUnavailableError,
  UnauthorizedClientError,
  UnsupportedResponseTypeError,
  UpstreamError,
} from '../../errors/oauth.errors.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { ClientRecord } from '../clients/client.interface.js';
import { ClientRegistryService } from '../clients/client-registry.service.js';
import { allowedByServer, findRegisteredRedirectUri } from '../../config/redirect-uri.policy.js';
import { randomToken, safeEqual, sha256 } from '../crypto/random.js';
import { UpstreamTokenService } from '../upstream/upstream-token.service.js';
import { cookieName, type CookieSpec, SESSION_COOKIE } from '../http/cookies.js';
import { DuplicateParameterError, single } from '../http/request-params.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { newPkceVerifier, requirePkceChallenge } from '../grants/pkce.js';
import { isThisResource } from '../grants/resource-indicator.js';
import { UpstreamClientService } from '../upstream/upstream-client.service.js';
import type {
  AppsSignInStateRecord,
  AuthorizationCodeRecord,
  AuthorizationRequest,
  ConsentRequestRecord,
  UpstreamStateRecord,
} from './authorization-request.js';
import { renderConsentPage } from './consent-page.js';
import { AuditService } from '../../audit/audit.service.js';
import { errorPage, pageCsp } from './html.js';
import { AccessPolicyService } from '../policy/access-policy.service.js';
import { policyUser } from '../policy/access-rules.js';
import { withinClientRegistration } from '../grants/granted-scopes.js';
import { StoreKeys } from '../../store/store-keys.js';
import { userKeyOf } from './user-key.js';

/** What the controller sends: a page, or a redirect (302 after GET, 303 after the consent POST; never 307). */
export type FlowResponse =
  | { kind: 'page'; status: number; html: string; csp: string; cookies?: CookieSpec[] }
  | { kind: 'redirect'; status: 302 | 303; location: string; cookies?: CookieSpec[] };

/** A problem found while validating: shown as a page, or sent to the already-validated redirect URI. */
class AuthorizeProblem extends Error {
  constructor(
    readonly oauthError: OAuthError,
    readonly redirect?: { uri: string; state?: string },
  ) {
    super(oauthError.description);
  }
}

const FLOW_TTL_SECONDS = 600;
const MAX_REMEMBERED_REDIRECTS = 10;

/** A user's remembered approval of a client: the scopes, for these exact redirect URIs. */
interface RememberedApproval {
  scopes: string[];
  redirectUris: string[];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
const CODE_TTL_SECONDS = 60;
/** A session opened only to manage connected apps, when consents are not remembered (no longer session exists). */
const APPS_SESSION_TTL_SECONDS = 3600;
/** Where a connected-apps sign-in returns. */
export const CONNECTED_APPS_PAGE = '/oauth/apps';

type UpstreamExchange = Awaited<ReturnType<UpstreamClientService['exchange']>>;

/**
 * The browser leg of proxy mode: `/oauth/authorize` (every parameter validated first; unknown client or
 * unregistered redirect URI never redirect), the consent page (CSRF token + a per-request cookie),
 * the upstream redirect (random single-use state bound to the browser by a cookie), and
 * `/oauth/callback`, which mints this server's own single-use authorization code.
 */
@Injectable()
export class AuthorizationFlowService {
  private readonly logger = new Logger('OAuthMcp:Authorize');
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly secure: boolean;

  constructor(
    configService: OAuthMcpConfigService,
    private readonly clients: ClientRegistryService,
    private readonly upstream: UpstreamClientService,
    private readonly upstreamTokens: UpstreamTokenService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly audit: AuditService,
    private readonly policy: AccessPolicyService,
  ) {
    this.config = configService.config;
    this.secure = this.config.https;
  }

  async authorize(query: unknown, cookies: Record<string, string>): Promise<FlowResponse> {
    let request: AuthorizationRequest;
    let client: ClientRecord;
    try {
      ({ request, client } = await this.validate(query));
    } catch (err) {
      if (!(err instanceof AuthorizeProblem)) throw err;
      return err.redirect ? this.redirectWithError(err.redirect.uri, err.oauthError, err.redirect.state, 302) : this.errorPage(err.oauthError);
    }
    const prompt = single(query, 'prompt');
    const rememberedUser = prompt === 'consent' ? undefined : await this.rememberedApproval(request, cookies);
    if (rememberedUser) return this.toUpstream(request, 302, rememberedUser);
    return this.consentPage(request, client);
  }

  async consent(form: unknown, cookies: Record<string, string>): Promise<FlowResponse> {
    const requestId = single(form, 'request_id', 128);
    const csrf = single(form, 'csrf_token', 128);
    const decision = single(form, 'decision', 16);
    const forbidden = this.errorPage(new AccessDeniedError('The consent form is invalid or was not sent from this browser'), 403);
    if (!requestId || !csrf) return forbidden;
    const key = StoreKeys.consentRequest(sha256(requestId));
    const record = await this.store.get<ConsentRequestRecord>(key);
    const binding = cookies[this.consentCookieName(requestId)];
    if (!record || !binding || !safeEqual(sha256(binding), record.bindingHash) || !safeEqual(sha256(csrf), record.csrfHash)) return forbidden;
    if (!(await this.store.take(key))) return forbidden;
    const clear = [{ name: this.consentCookieName(requestId), value: '', maxAgeSeconds: 0, sameSite: 'Strict' as const }];
    const { request } = record;
    if (!(await this.stillRegistered(request))) return this.errorPage(new InvalidClientError('The client or its redirect URI is no longer registered'));
    if (decision === 'deny') {
      this.audit.emit({ type: 'consent_denied', clientId: request.clientId, scopes: request.scopes });
      return { ...this.redirectWithError(request.redirectUri, new AccessDeniedError('The user denied the request'), request.state, 303), cookies: clear };
    }
    if (decision !== 'approve') return this.errorPage(new InvalidRequestError('decision must be approve or deny'));
    this.audit.emit({ type: 'consent_granted', clientId: request.clientId, scopes: request.scopes });
    const response = await this.toUpstream(request, 303);
    return { ...response, cookies: [...clear, ...(response.cookies ?? [])] };
  }

  async callback(query: unknown, rawQuery: string, cookies: Record<string, string>): Promise<FlowResponse> {
    let state: string | undefined;
    let code: string | undefined;
    let error: string | undefined;
    try {
      state = single(query, 'state', 512);
      code = single(query, 'code', 4096);
      error = single(query, 'error', 128);
    } catch (err) {
      return this.errorPage(err as OAuthError);
    }
    const invalidState = this.errorPage(new InvalidRequestError('The sign-in state is missing, expired, already used, or from another browser'));
    if (!state) return invalidState;
    const key = StoreKeys.upstreamState(sha256(state));
    const record = await this.store.get<UpstreamStateRecord | AppsSignInStateRecord>(key);
    const binding = cookies[this.stateCookieName(state)];
    if (!record || !binding || !safeEqual(sha256(binding), record.bindingHash)) return invalidState;
    if (!(await this.store.take(key))) return invalidState;
    const clear: CookieSpec[] = [{ name: this.stateCookieName(state), value: '', maxAgeSeconds: 0, sameSite: 'Lax' }];
    if ('purpose' in record) return this.appsSignedIn(record, { query, rawQuery, state, code, error }, clear);
    const { request } = record;
    if (!(await this.stillRegistered(request))) return this.errorPage(new InvalidClientError('The client or its redirect URI is no longer registered'));
    if (code !== undefined && error !== undefined)
      return this.errorPage(new InvalidRequestError('The identity provider answered with both a code and an error'));
    if (error !== undefined || code === undefined) {
      // Relayed as a fixed code and text: the upstream's own description never reaches the client.
      return {
        ...this.redirectWithError(request.redirectUri, new AccessDeniedError('The identity provider did not authorize the request'), request.state, 302),
        cookies: clear,
      };
    }
    const exchanged = await this.exchange(query, rawQuery, state, code, record);
    if ('kind' in exchanged) return { ...exchanged, cookies: clear };
    const result = exchanged;
    const userKey = userKeyOf(this.config.upstream!.issuer, result.user.sub);
    if (record.consentedUserKey && record.consentedUserKey !== userKey) {
      const denied = new AccessDeniedError('A different user signed in than the one who approved this application');
      return { ...this.redirectWithError(request.redirectUri, denied, request.state, 302), cookies: clear };
    }
    // The access policy decides now that the user is known; a refusal stores nothing (no code, no tokens).
    const user = policyUser(result.user, this.config.upstream!.issuer, result.claims);
    const outcome = await this.policy.evaluate({ grantType: 'authorization_code', clientId: request.clientId, user, scopes: request.scopes });
    if (!outcome.allowed) {
      const denied = new AccessDeniedError('The access policy does not allow this sign-in');
      return { ...this.redirectWithError(request.redirectUri, denied, request.state, 302), cookies: clear };
    }
    const fid = randomToken(16);
    await this.upstreamTokens.save(fid, result.tokens);
    const ourCode = randomToken(32);
    const codeRecord: AuthorizationCodeRecord = { ...request, scopes: outcome.scopes, user: result.user, fid };
    await this.store.set(StoreKeys.code(sha256(ourCode)), codeRecord, CODE_TTL_SECONDS);
    const remembered = await this.remember(request, userKey);
    this.audit.emit({ type: 'sign_in', clientId: request.clientId, subject: result.user.sub, grantId: fid, scopes: outcome.scopes });
    return {
      kind: 'redirect',
      status: 302,
      location: withParams(request.redirectUri, { code: ourCode, state: request.state, iss: this.config.issuer }),
      cookies: [...clear, ...remembered],
    };
  }

  /** GET /oauth/apps without a session: the user signs in at the upstream, then lands back on the page. */
  async signInForApps(): Promise<FlowResponse> {
    return this.upstreamRedirect(302, (checks, bindingHash) => ({
      purpose: 'connected-apps',
      nonce: checks.nonce,
      codeVerifier: checks.codeVerifier,
      bindingHash,
    }));
  }

  /** The end of a connected-apps sign-in: a session for this user, and back to the page. No client, no code. */
  private async appsSignedIn(
    record: AppsSignInStateRecord,
    p: { query: unknown; rawQuery: string; state: string; code?: string; error?: string },
    clear: CookieSpec[],
  ): Promise<FlowResponse> {
    if (p.error !== undefined || p.code === undefined) {
      return { ...this.errorPage(new AccessDeniedError('The identity provider did not sign you in'), 403), cookies: clear };
    }
    const exchanged = await this.exchange(p.query, p.rawQuery, p.state, p.code, record);
    if ('kind' in exchanged) return { ...exchanged, cookies: clear };
    const days = this.config.consentRememberDays;
    const session = await this.startSession(userKeyOf(this.config.upstream!.issuer, exchanged.user.sub), days > 0 ? days * 86_400 : APPS_SESSION_TTL_SECONDS);
    return { kind: 'redirect', status: 302, location: CONNECTED_APPS_PAGE, cookies: [...clear, session] };
  }

  /**
   * The upstream code for the user: checked here first (an empty code, or a mix-up, RFC 9207: an `iss`
   * that is not the configured upstream, is the request's fault, not the IdP's), then exchanged. A
   * failure is the error page to show.
   */
  private async exchange(
    query: unknown,
    rawQuery: string,
    state: string,
    code: string,
    record: { nonce: string; codeVerifier: string },
  ): Promise<UpstreamExchange | FlowResponse> {
    let iss: string | undefined;
    try {
      iss = single(query, 'iss', 2048);
    } catch (err) {
      return this.errorPage(err as OAuthError);
    }
    if (code === '' || (iss !== undefined && iss !== this.config.upstream!.issuer)) {
      return this.errorPage(new InvalidRequestError('The sign-in response is invalid (empty code, or from another issuer)'));
    }
    try {
      return await this.upstream.exchange(new URLSearchParams(rawQuery), { state, nonce: record.nonce, codeVerifier: record.codeVerifier });
    } catch (err) {
      const name = (err as Error).name;
      const errCode = (err as { code?: string }).code;
      this.logger.warn(`Upstream code exchange failed (${name}${errCode ? ` ${errCode}` : ''})`);
      // openid-client refuses a malformed response itself (ClientError) before or without trusting it.
      if (name === 'ClientError' && errCode === 'OAUTH_INVALID_RESPONSE') return this.errorPage(new InvalidRequestError('The sign-in response is invalid'));
      const timedOut = name === 'TimeoutError' || errCode === 'OAUTH_TIMEOUT';
      const failure = timedOut ? new TemporarilyUnavailableError('The identity provider did not answer in time') : new UpstreamError();
      return this.errorPage(failure, timedOut ? 504 : 502);
    }
  }

  private async validate(query: unknown): Promise<{ request: AuthorizationRequest; client: ClientRecord }> {
    const direct = (e: OAuthError) => new AuthorizeProblem(e);
    const param = (name: string, max?: number) => {
      try {
        return single(query, name, max);
      } catch (err) {
        throw direct(err as OAuthError);
      }
    };
    // Phase 1: errors are shown here, never redirected (unknown client, unregistered redirect URI).
    const clientId = param('client_id', 2048);
    if (!clientId) throw direct(new InvalidRequestError('client_id is required'));
    const client = await this.clients.find(clientId);
    if (!client) throw direct(new InvalidClientError('Unknown client'));
    // A machine client (client credentials, ID-JAG only) never signs a user in through the browser.
    if (!client.grant_types.includes('authorization_code')) throw direct(new UnauthorizedClientError('This client may not use the authorization code flow'));
    let redirectUri = param('redirect_uri', 2048);
    const redirectUriProvided = redirectUri !== undefined;
    if (redirectUri === undefined) {
      if (client.redirect_uris.length !== 1) throw direct(new InvalidRequestError('redirect_uri is required when the client has several'));
      redirectUri = client.redirect_uris[0];
    }
    const registered = findRegisteredRedirectUri(redirectUri, client.redirect_uris);
    if (!registered) throw direct(new InvalidRequestError('redirect_uri is not registered for this client'));
    // O2: also for clients stored before the allowlist was set or changed.
    if (!allowedByServer(redirectUri, this.config.redirectUris))
      throw direct(new InvalidRequestError('redirect_uri is not allowed on this server (OAUTH_REDIRECT_URIS)'));

    // Phase 2: errors go back to the redirect URI with state and iss, but only to one this server may
    // redirect to before the user approved anything (RFC 9700 §4.11.2): a pre-registered client's, or
    // the user's own machine (loopback, app scheme). A self-registered https URI gets the error page.
    const target = trustedForErrorRedirect(client, redirectUri) ? redirectUri : undefined;
    let state: string | undefined;
    try {
      state = single(query, 'state', 1024);
    } catch {
      throw new AuthorizeProblem(new InvalidRequestError('state must be given once and at most 1024 characters'), target ? { uri: target } : undefined);
    }
    const fail = (e: OAuthError) => new AuthorizeProblem(e, target ? { uri: target, state } : undefined);
    const p = (name: string, max?: number) => {
      try {
        return single(query, name, max);
      } catch (err) {
        throw fail(err instanceof DuplicateParameterError ? err : new InvalidRequestError(`The ${name} parameter is too long`));
      }
    };
    const responseType = p('response_type', 64);
    if (responseType === undefined) throw fail(new InvalidRequestError('response_type is required'));
    if (responseType !== 'code') throw fail(new UnsupportedResponseTypeError());
    let codeChallenge: string;
    try {
      codeChallenge = requirePkceChallenge(p('code_challenge', 128), p('code_challenge_method', 16));
    } catch (err) {
      throw err instanceof OAuthError ? fail(err) : err;
    }
    const resource = p('resource', 2048);
    if (resource !== undefined && !isThisResource(this.config, resource)) throw fail(new InvalidTargetError());
    const scopes = withinClientRegistration(client, this.grantableScopes(p('scope', 4096)));
    return {
      client,
      request: {
        clientId,
        redirectUri,
        registeredRedirectUri: registered,
        redirectUriProvided,
        codeChallenge,
        state,
        scopes,
        resource: this.config.resource,
      },
    };
  }

  /**
   * No `scope` (or an empty one) asks for the server's default: every supported scope (RFC 6749 §3.3).
   * Unknown scopes (mcp-remote sends `openid email profile`) are dropped; when nothing known is left,
   * nothing is granted (never every scope), and a tool that needs a scope answers with a step-up 403.
   */
  private grantableScopes(scope: string | undefined): string[] {
    const supported = this.config.scopes;
    const requested = (scope ?? '').split(' ').filter(Boolean);
    // Nothing named: what the MCP endpoint advertises, never the connected-apps scope.
    if (requested.length === 0) return [...this.config.resourceScopes];
    return [...new Set(requested.filter((s) => supported.includes(s)))];
  }

  private async stillRegistered(request: AuthorizationRequest): Promise<boolean> {
    const client = await this.clients.find(request.clientId);
    return (
      client !== undefined &&
      findRegisteredRedirectUri(request.redirectUri, client.redirect_uris) !== undefined &&
      allowedByServer(request.redirectUri, this.config.redirectUris)
    );
  }

  private async rememberedApproval(request: AuthorizationRequest, cookies: Record<string, string>): Promise<string | undefined> {
    if (this.config.consentRememberDays === 0) return undefined;
    const sid = cookies[cookieName(SESSION_COOKIE, this.secure)];
    if (!sid || sid.length > 128) return undefined;
    const session = await this.store.get<{ userKey: string }>(StoreKeys.session(sha256(sid)));
    if (!session) return undefined;
    const approval = await this.store.get<RememberedApproval>(StoreKeys.consent(session.userKey, sha256(request.clientId)));
    // O5: the exact redirect URI the user approved, port included (never the loopback port relaxation).
    if (!Array.isArray(approval?.redirectUris) || !approval.redirectUris.includes(request.redirectUri)) return undefined;
    return request.scopes.every((s) => approval.scopes.includes(s)) ? session.userKey : undefined;
  }

  private async remember(request: AuthorizationRequest, userKey: string): Promise<CookieSpec[]> {
    const days = this.config.consentRememberDays;
    if (days === 0) return [];
    const ttl = days * 86_400;
    const key = StoreKeys.consent(userKey, sha256(request.clientId));
    const previous = await this.store.get<RememberedApproval>(key);
    // The same scopes approved for another exact URI add that URI; other scopes start over.
    const sameScopes = previous !== undefined && sameSet(previous.scopes, request.scopes) && Array.isArray(previous.redirectUris);
    const redirectUris = [request.redirectUri, ...(sameScopes ? previous.redirectUris.filter((u) => u !== request.redirectUri) : [])].slice(
      0,
      MAX_REMEMBERED_REDIRECTS,
    );
    await this.store.set(key, { scopes: request.scopes, redirectUris } satisfies RememberedApproval, ttl);
    return [await this.startSession(userKey, ttl)];
  }

  /** A browser session of this user (remembered consent, the connected-apps page); the store keeps only its hash. */
  private async startSession(userKey: string, ttl: number): Promise<CookieSpec> {
    const sid = randomToken(32);
    await this.store.set(StoreKeys.session(sha256(sid)), { userKey }, ttl);
    return { name: cookieName(SESSION_COOKIE, this.secure), value: sid, maxAgeSeconds: ttl, sameSite: 'Lax' };
  }

  private async consentPage(request: AuthorizationRequest, client: ClientRecord): Promise<FlowResponse> {
    const requestId = randomToken(16);
    const csrfToken = randomToken(32);
    const binding = randomToken(32);
    const record: ConsentRequestRecord = { request, csrfHash: sha256(csrfToken), bindingHash: sha256(binding) };
    await this.store.set(StoreKeys.consentRequest(sha256(requestId)), record, FLOW_TTL_SECONDS);
    const html = renderConsentPage({
      clientName: client.client_name,
      clientId: client.client_id,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      resource: request.resource,
      requestId,
      csrfToken,
      source: client.source,
    });
    const redirect = new URL(request.redirectUri);
    const redirectSource = redirect.protocol === 'https:' || redirect.protocol === 'http:' ? redirect.origin : redirect.protocol;
    return {
      kind: 'page',
      status: 200,
      html,
      csp: pageCsp([await this.upstream.origin(), redirectSource]),
      cookies: [{ name: this.consentCookieName(requestId), value: binding, maxAgeSeconds: FLOW_TTL_SECONDS, sameSite: 'Strict' }],
    };
  }

  private toUpstream(request: AuthorizationRequest, status: 302 | 303, consentedUserKey?: string): Promise<FlowResponse> {
    return this.upstreamRedirect(status, (checks, bindingHash): UpstreamStateRecord => ({
      request,
      nonce: checks.nonce,
      codeVerifier: checks.codeVerifier,
      bindingHash,
      consentedUserKey,
    }));
  }

  /** To the upstream's sign-in, with a random single-use state bound to this browser by a cookie. */
  private async upstreamRedirect(
    status: 302 | 303,
    record: (checks: { nonce: string; codeVerifier: string }, bindingHash: string) => UpstreamStateRecord | AppsSignInStateRecord,
  ): Promise<FlowResponse> {
    const checks = { state: randomToken(32), nonce: randomToken(32), codeVerifier: newPkceVerifier() };
    const binding = randomToken(32);
    await this.store.set(StoreKeys.upstreamState(sha256(checks.state)), record(checks, sha256(binding)), FLOW_TTL_SECONDS);
    const url = await this.upstream.authorizationUrl(checks);
    return {
      kind: 'redirect',
      status,
      location: url.href,
      cookies: [{ name: this.stateCookieName(checks.state), value: binding, maxAgeSeconds: FLOW_TTL_SECONDS, sameSite: 'Lax' }],
    };
  }

  /** One cookie per flow (named after a hash prefix), so parallel sign-ins do not overwrite each other. */
  private consentCookieName(requestId: string): string {
    return cookieName(`mcp_consent_${sha256(requestId).slice(0, 12)}`, this.secure);
  }

  private stateCookieName(state: string): string {
    return cookieName(`mcp_state_${sha256(state).slice(0, 12)}`, this.secure);
  }

  private redirectWithError(uri: string, err: OAuthError, state: string | undefined, status: 302 | 303): FlowResponse {
    return {
      kind: 'redirect',
      status,
      location: withParams(uri, { error: err.error, error_description: err.description, state, iss: this.config.issuer }),
    };
  }

  private errorPage(err: OAuthError, status = 400): FlowResponse {
    return { kind: 'page', status, html: errorPage(err.error, err.description), csp: pageCsp() };
  }
}

function trustedForErrorRedirect(client: ClientRecord, redirectUri: string): boolean {
  if (client.source === 'static') return true;
  const url = new URL(redirectUri);
  return (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) || (url.protocol !== 'http:' && url.protocol !== 'https:');
}

/**
 * Appends the response parameters to a redirect URI, keeping its own query byte for byte (RFC 6749
 * §3.1.2: retained, not re-encoded). A registered URI never carries these names itself (redirect-URI
 * syntax rules), so each appears exactly once.
 */
function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  const added = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  url.search = url.search ? `${url.search.slice(1)}&${added}` : added;
  return url.href;
}
