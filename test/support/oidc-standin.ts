import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** How the stand-in's token endpoint answers. */
export type StandinTokenMode =
  /** A real answer: checks the client, the code and PKCE, returns the configured upstream tokens and a signed ID token. */
  | 'ok'
  /** Accepts the connection and never answers. */
  | 'hang'
  /** Sends the status line and headers, then never sends the body. */
  | 'stall-body'
  /** 400 whose body echoes the client secret it received (a badly behaved IdP). */
  | 'echo-400'
  /** 500 with an HTML body naming internal details. */
  | 'error-500';

export interface OidcStandinOptions {
  clientId: string;
  clientSecret: string;
  /** The upstream tokens the token endpoint hands out in `ok` mode. */
  accessToken?: string;
  refreshToken?: string;
  /** The signed-in user's `sub`. */
  subject?: string;
}

interface PendingCode {
  nonce?: string;
  codeChallenge?: string;
  redirectUri: string;
}

/**
 * A small loopback OIDC provider with no dependency on oidc-provider, for tests that must choose the
 * upstream's secrets and tokens (leak scans) or make its token endpoint misbehave (hangs, echoed
 * secrets). Discovery, an authorization endpoint that signs the user in at once (302 back with
 * `code`, `state` and `iss`), a token endpoint (client_secret_post or _basic, PKCE S256, RS256 ID token
 * with the nonce), a JWKS and a userinfo endpoint. Counts token-endpoint requests.
 */
export class OidcStandin {
  issuer = '';
  tokenMode: StandinTokenMode = 'ok';
  tokenRequests = 0;
  /** Raw bodies of the token requests received (to prove what the module sent). */
  readonly tokenBodies: string[] = [];
  /** The ID tokens handed out. */
  readonly idTokens: string[] = [];
  private server?: Server;
  private privateKey?: CryptoKey;
  private publicJwk?: JWK;
  private readonly codes = new Map<string, PendingCode>();
  private readonly hanging = new Set<ServerResponse>();

  constructor(readonly options: OidcStandinOptions) {}

  /** The `DevIdp`-shaped view the proxy fixture helpers expect (`issuer`, `proxyClient`, `close`). */
  get asDevIdp() {
    return {
      issuer: this.issuer,
      jwksUri: `${this.issuer}/jwks`,
      proxyClient: { clientId: this.options.clientId, clientSecret: this.options.clientSecret },
      close: () => this.stop(),
    };
  }

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = privateKey;
    this.publicJwk = { ...(await exportJWK(publicKey)), kid: 'standin-rs256', alg: 'RS256', use: 'sig' };
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
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return this.json(res, 200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          jwks_uri: `${this.issuer}/jwks`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
          scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
          authorization_response_iss_parameter_supported: true,
        });
      case '/jwks':
        return this.json(res, 200, { keys: [this.publicJwk] });
      case '/authorize': {
        const redirectUri = url.searchParams.get('redirect_uri');
        if (url.searchParams.get('client_id') !== this.options.clientId || !redirectUri) return this.json(res, 400, { error: 'invalid_request' });
        const code = randomBytes(24).toString('base64url');
        this.codes.set(code, {
          nonce: url.searchParams.get('nonce') ?? undefined,
          codeChallenge: url.searchParams.get('code_challenge') ?? undefined,
          redirectUri,
        });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        if (url.searchParams.has('state')) back.searchParams.set('state', url.searchParams.get('state')!);
        back.searchParams.set('iss', this.issuer);
        res.writeHead(302, { location: back.href }).end();
        return;
      }
      case '/token':
        return this.token(req, res);
      case '/userinfo':
        return this.json(res, 200, { sub: this.subject, email: `${this.subject}@standin.test` });
      default:
        res.writeHead(404).end();
    }
  }

  private get subject(): string {
    return this.options.subject ?? 'standin-user';
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.tokenRequests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    this.tokenBodies.push(raw);
    const form = new URLSearchParams(raw);
    const basic = /^basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : undefined;
    const sentSecret = decoded ? decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1)) : (form.get('client_secret') ?? '');
    switch (this.tokenMode) {
      case 'hang':
        this.hanging.add(res);
        return;
      case 'stall-body':
        this.hanging.add(res);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token":');
        return;
      case 'echo-400':
        return this.json(res, 400, { error: 'invalid_client', error_description: `client authentication failed for secret ${sentSecret}`, received: raw });
      case 'error-500':
        res.writeHead(500, { 'content-type': 'text/html' }).end(`<h1>Internal error</h1><pre>secret=${sentSecret}</pre>`);
        return;
      case 'ok':
        break;
    }
    if (sentSecret !== this.options.clientSecret) return this.json(res, 401, { error: 'invalid_client' });
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!pending || pending.redirectUri !== form.get('redirect_uri') || (pending.codeChallenge && pending.codeChallenge !== challenge)) {
      return this.json(res, 400, { error: 'invalid_grant' });
    }
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ nonce: pending.nonce, email: `${this.subject}@standin.test`, preferred_username: this.subject })
      .setProtectedHeader({ alg: 'RS256', kid: 'standin-rs256', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.options.clientId)
      .setSubject(this.subject)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(this.privateKey!);
    this.idTokens.push(idToken);
    return this.json(res, 200, {
      access_token: this.options.accessToken ?? randomBytes(24).toString('base64url'),
      refresh_token: this.options.refreshToken,
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: 3600,
    });
  }
}
