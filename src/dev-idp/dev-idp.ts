import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { renderDevLoginPage } from './dev-login-page.js';

/** Options of the embedded development IdP. */
export interface DevIdpOptions {
  /** The MCP resource (`${MCP_URL}/mcp`): the only RFC 8707 resource, and the `aud` of every access token. */
  resource: string;
  /** Scopes the MCP resource supports. */
  scopes: readonly string[];
  /** Loopback port; 0 picks a free one. @default 9400 */
  port?: number;
  /** Host name used in the issuer URL. @default 'localhost' */
  hostname?: string;
  /** Access token lifetime, seconds. @default 3600 */
  accessTokenTtlSeconds?: number;
  /**
   * Pre-register a confidential client for an MCP server in proxy mode, redirecting to this URI
   * (`${MCP_URL}/oauth/callback`); its id and a random secret are returned as `proxyClient`.
   */
  proxyCallbackUrl?: string;
  /**
   * Rotate refresh tokens on every use, for every client: a refresh token presented twice then revokes
   * the whole grant (reuse detection), as strict IdPs do.
   * @default false (only public clients' refresh tokens rotate)
   */
  rotateRefreshTokens?: boolean;
}

/** A running development IdP. */
export interface DevIdp {
  issuer: string;
  jwksUri: string;
  /** The confidential client registered for a proxy-mode MCP server, when asked for. */
  proxyClient?: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

/**
 * Starts `oidc-provider` on loopback as a development identity provider: open dynamic client
 * registration (also from browsers: CORS on registration and, for public clients, the token endpoint),
 * PKCE S256 required, a login page that accepts any user name, automatic consent, any supported scope
 * for every client (step-up), refresh tokens, and JWT access tokens (`typ: at+jwt`, ES256) whose `aud`
 * is the MCP resource.
 * Keys and all state live in memory and die with the process. Never for production.
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9400, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${options.hostname ?? 'localhost'}:${port}`;
  const proxyClient = options.proxyCallbackUrl ? { clientId: 'nestjs-oauth-mcp-proxy', clientSecret: randomBytes(32).toString('base64url') } : undefined;
  const provider = new Provider(issuer, devIdpConfiguration(options, proxyClient));
  provider.use(registrationCors);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    routeInteraction(provider, req, res).then(
      (handled) => {
        if (!handled) void callback(req, res);
      },
      () => {
        res.statusCode = 400;
        res.end('Login failed; start again from the client.');
      },
    );
  });
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    proxyClient,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function devIdpConfiguration(options: DevIdpOptions, proxyClient?: { clientId: string; clientSecret: string }): Configuration {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    jwks: {
      keys: [
        { ...ec, kid: 'dev-es256', alg: 'ES256', use: 'sig' },
        { ...rsa, kid: 'dev-rs256', alg: 'RS256', use: 'sig' },
      ] as never,
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: proxyClient
      ? [
          {
            client_id: proxyClient.clientId,
            client_secret: proxyClient.clientSecret,
            client_name: 'nestjs-oauth-mcp (proxy mode)',
            redirect_uris: [options.proxyCallbackUrl!],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ]
      : [],
    // The MCP scopes are listed too: clients put them in their registration metadata.
    scopes: ['openid', 'offline_access', 'profile', 'email', ...options.scopes],
    // A client's registered `scope` would cap what it may ask for later; MCP clients register with the
    // scope of their first sign-in and step up beyond it (403 insufficient_scope), so it is dropped.
    extraClientMetadata: {
      properties: ['scope'],
      validator: (_ctx, key, _value, metadata) => {
        if (key === 'scope') delete (metadata as { scope?: string }).scope;
      },
    },
    // Browser clients (MCP Inspector in direct mode) call the token and revocation endpoints from the
    // origin of their redirect URI; public clients only, as oidc-provider's default.
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // The proxy client's upstream token is for the IdP itself (userinfo), not for the MCP resource.
        defaultResource: (_ctx, client) => (client?.clientId === proxyClient?.clientId ? undefined : options.resource),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== options.resource) throw new errors.InvalidTarget();
          return {
            scope: options.scopes.join(' '),
            audience: options.resource,
            accessTokenTTL: options.accessTokenTtlSeconds ?? 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    pkce: { required: () => true },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      Grant: 86_400,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 86_400,
      Session: 86_400,
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ...(options.rotateRefreshTokens ? { rotateRefreshToken: true } : {}),
    extraTokenClaims: async (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      return accountId ? { preferred_username: accountId, email: `${accountId}@dev.localhost` } : undefined;
    },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@dev.localhost`, email_verified: true, preferred_username: id, name: id }),
    }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'application/json';
      ctx.body = { error: out.error, error_description: out.error_description };
    },
  };
}

const REGISTRATION_PATH = '/reg';

/**
 * CORS on the registration endpoint, which oidc-provider leaves without it: browser clients (MCP
 * Inspector in direct mode) register from their own page. Registration is open to any caller anyway;
 * the origin is echoed, never with credentials.
 */
async function registrationCors(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  const origin = ctx.get('Origin');
  if (ctx.path !== REGISTRATION_PATH || !origin || origin === 'null') return next();
  ctx.vary('Origin');
  ctx.set('Access-Control-Allow-Origin', origin);
  if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
    ctx.set('Access-Control-Allow-Methods', 'POST');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type, Accept, MCP-Protocol-Version');
    ctx.set('Access-Control-Max-Age', '3600');
    ctx.status = 204;
    return;
  }
  return next();
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/;

/** The dev login and automatic consent; returns false for every other path. */
async function routeInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const match = INTERACTION_PATH.exec(new URL(req.url ?? '/', 'http://x').pathname);
  if (!match) return false;
  const interaction = await provider.interactionDetails(req, res);
  if (match[2] && req.method === 'POST') {
    const login = new URLSearchParams(await readBody(req)).get('login')?.trim() ?? '';
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(login)) {
      sendLoginPage(res, interaction.uid, 'Use 1-64 letters, digits, dots, dashes, underscores or @.');
      return true;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return true;
  }
  if (interaction.prompt.name === 'login') {
    sendLoginPage(res, interaction.uid);
    return true;
  }
  // Development only: every client gets what it asked for.
  const { details } = interaction.prompt as { details: Record<string, unknown> };
  const grant = interaction.grantId
    ? (await provider.Grant.find(interaction.grantId))!
    : new provider.Grant({ accountId: interaction.session!.accountId, clientId: interaction.params.client_id as string });
  if (Array.isArray(details.missingOIDCScope)) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (Array.isArray(details.missingOIDCClaims)) grant.addOIDCClaims(details.missingOIDCClaims as string[]);
  for (const [indicator, scopes] of Object.entries((details.missingResourceScopes ?? {}) as Record<string, string[]>)) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  return true;
}

function sendLoginPage(res: ServerResponse, uid: string, problem?: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  // No form-action: after sign-in the IdP redirects to whichever client started the flow.
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.end(renderDevLoginPage(uid, problem));
}

function readBody(req: IncomingMessage, limit = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > limit) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
