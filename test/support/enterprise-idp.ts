import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A person in the stand-in's directory. */
export interface EnterpriseUser {
  sub: string;
  email: string;
  email_verified?: boolean;
  name?: string;
  groups: string[];
  /** The scopes the enterprise's policy lets this user have at any MCP server. */
  scopes: string[];
}

/**
 * An application registered at the enterprise IdP for single sign-on (an MCP client), and how it is
 * known at each resource authorization server: the ID-JAG's `client_id` (draft §5, client id mapping).
 */
export interface EnterpriseApp {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Resource authorization server issuer → { the client id there, the MCP resources it may reach there }. */
  resourceClients: Record<string, { clientId: string; resources: string[] }>;
}

export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

interface PendingCode {
  app: EnterpriseApp;
  user: EnterpriseUser;
  nonce?: string;
  codeChallenge?: string;
  redirectUri: string;
  scope: string;
}

/**
 * A loopback stand-in for an enterprise IdP (Okta, Entra) that brokers Cross App Access: OpenID Connect
 * sign-in (discovery, an authorization endpoint that signs in the user named by `login_hint` at once,
 * a token endpoint with PKCE S256 and client_secret_post/basic, RS256 ID tokens, a JWKS), and RFC 8693
 * token exchange of an ID token for an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §4.3):
 * the ID token must be its own and issued to the calling app, the `(audience, resource)` pair one the
 * app is allowed, and the scopes the user's own (intersected with the request). Counts exchanges.
 */
export class EnterpriseIdp {
  issuer = '';
  readonly users = new Map<string, EnterpriseUser>();
  readonly apps = new Map<string, EnterpriseApp>();
  exchanges = 0;
  /** Who is signed in at the IdP's own session when a sign-in request names no `login_hint` (a browser's session). */
  sessionUser?: string;
  /** Seconds an ID-JAG lives. */
  idJagLifetimeSeconds = 300;
  private server?: Server;
  private key?: CryptoKey;
  private publicKey?: CryptoKey;
  /** A key the IdP never publishes: what a forger holds. */
  rogueKey?: CryptoKey;
  publicJwk?: JWK;
  private readonly codes = new Map<string, PendingCode>();

  async start(): Promise<this> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.key = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'enterprise-rs256', alg: 'RS256', use: 'sig' };
    this.rogueKey = (await generateKeyPair('RS256')).privateKey;
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * An ID-JAG signed with the IdP's published key (or `key`), valid unless the overrides say otherwise: for
   * the refusal tests, which change one claim or header at a time. `undefined` removes a claim.
   */
  async mintIdJag(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: CryptoKey = this.key!): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { iss: this.issuer, jti: randomUUID(), iat: now, exp: now + this.idJagLifetimeSeconds, ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: 'RS256', kid: 'enterprise-rs256', typ: 'oauth-id-jag+jwt', ...header } as never)
      .sign(key);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }

  private metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', TOKEN_EXCHANGE],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      scopes_supported: ['openid', 'email', 'profile'],
      identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE],
      authorization_response_iss_parameter_supported: true,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
      case '/.well-known/oauth-authorization-server':
        return this.json(res, 200, this.metadata());
      case '/jwks':
        return this.json(res, 200, { keys: [this.publicJwk] });
      case '/authorize':
        return this.authorize(url, res);
      case '/token':
        return this.token(req, res);
      default:
        res.writeHead(404).end();
    }
  }

  /**
   * Signs in the user named by `login_hint`, else the session's user, at once (a stand-in: the password
   * step is the IdP's business).
   */
  private authorize(url: URL, res: ServerResponse): void {
    const app = this.apps.get(url.searchParams.get('client_id') ?? '');
    const redirectUri = url.searchParams.get('redirect_uri');
    const user = this.users.get(url.searchParams.get('login_hint') ?? this.sessionUser ?? '');
    if (!app || redirectUri !== app.redirectUri || !user || url.searchParams.get('code_challenge_method') !== 'S256')
      return this.json(res, 400, { error: 'invalid_request' });
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      app,
      user,
      redirectUri,
      nonce: url.searchParams.get('nonce') ?? undefined,
      codeChallenge: url.searchParams.get('code_challenge') ?? undefined,
      scope: url.searchParams.get('scope') ?? 'openid',
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    if (url.searchParams.has('state')) back.searchParams.set('state', url.searchParams.get('state')!);
    back.searchParams.set('iss', this.issuer);
    res.writeHead(302, { location: back.href }).end();
  }

  /** client_secret_post or client_secret_basic. */
  private authenticate(req: IncomingMessage, form: URLSearchParams): EnterpriseApp | undefined {
    const basic = /^basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      id = decodeURIComponent(decoded.slice(0, decoded.indexOf(':')));
      secret = decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1));
    }
    const app = this.apps.get(id ?? '');
    return app && secret === app.clientSecret ? app : undefined;
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const app = this.authenticate(req, form);
    if (!app) return this.json(res, 401, { error: 'invalid_client' });
    if (form.get('grant_type') === 'authorization_code') return this.redeemCode(app, form, res);
    if (form.get('grant_type') === TOKEN_EXCHANGE) return this.exchange(app, form, res);
    return this.json(res, 400, { error: 'unsupported_grant_type' });
  }

  private async redeemCode(app: EnterpriseApp, form: URLSearchParams, res: ServerResponse): Promise<void> {
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code);
    const challenge = createHash('sha256')
      .update(form.get('code_verifier') ?? '')
      .digest('base64url');
    if (!pending || pending.app !== app || pending.redirectUri !== form.get('redirect_uri') || pending.codeChallenge !== challenge) {
      return this.json(res, 400, { error: 'invalid_grant' });
    }
    const now = Math.floor(Date.now() / 1000);
    const { user } = pending;
    const idToken = await new SignJWT({
      nonce: pending.nonce,
      email: user.email,
      email_verified: user.email_verified ?? true,
      name: user.name,
      groups: user.groups,
      auth_time: now,
      amr: ['pwd', 'mfa'],
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'enterprise-rs256', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(app.clientId)
      .setSubject(user.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(this.key!);
    return this.json(res, 200, {
      access_token: randomBytes(24).toString('base64url'),
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: 600,
      scope: pending.scope,
    });
  }

  /** RFC 8693 token exchange: an ID token of this app's user → an ID-JAG for one resource authorization server. */
  private async exchange(app: EnterpriseApp, form: URLSearchParams, res: ServerResponse): Promise<void> {
    this.exchanges++;
    if (form.get('requested_token_type') !== ID_JAG_TOKEN_TYPE || form.get('subject_token_type') !== ID_TOKEN_TYPE)
      return this.json(res, 400, { error: 'invalid_request' });
    let subject: JWTPayload;
    try {
      ({ payload: subject } = await jwtVerify(form.get('subject_token') ?? '', this.publicKey!, { issuer: this.issuer, audience: app.clientId }));
    } catch {
      return this.json(res, 400, { error: 'invalid_grant', error_description: 'The subject token is not a valid ID token for this client' });
    }
    const user = [...this.users.values()].find((u) => u.sub === subject.sub);
    const audience = form.get('audience') ?? '';
    const target = app.resourceClients[audience];
    const resource = form.get('resource') ?? undefined;
    if (!user || !target || (resource !== undefined && !target.resources.includes(resource))) {
      return this.json(res, 400, { error: 'invalid_target', error_description: 'This app may not reach that resource' });
    }
    const requested = form.get('scope')?.split(' ').filter(Boolean);
    const scopes = requested ? requested.filter((s) => user.scopes.includes(s)) : user.scopes;
    if (scopes.length === 0) return this.json(res, 400, { error: 'invalid_scope', error_description: 'The policy grants none of these scopes' });
    const idJag = await this.mintIdJag({
      sub: user.sub,
      aud: audience,
      client_id: target.clientId,
      resource: resource ?? target.resources[0],
      scope: scopes.join(' '),
      email: user.email,
      email_verified: user.email_verified ?? true,
      name: user.name,
      groups: user.groups,
      auth_time: subject.auth_time,
      amr: subject.amr,
    });
    return this.json(res, 200, {
      issued_token_type: ID_JAG_TOKEN_TYPE,
      access_token: idJag,
      token_type: 'N_A',
      scope: scopes.join(' '),
      expires_in: this.idJagLifetimeSeconds,
    });
  }
}
