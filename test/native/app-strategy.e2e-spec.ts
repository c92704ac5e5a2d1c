import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { All, Controller, type DynamicModule, HttpStatus, Inject, Injectable, type INestApplication, Module, Req, Res, UseGuards } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, Response } from 'express';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import {
  McpAuthGuard,
  type McpAuthInfo,
  McpBody,
  OAuthMcpModule,
  type OAuthMcpModuleOptions,
  type OAuthMcpUser,
  oauthMcpUserFromClaims,
  RequireToolScopes,
  TemporarilyUnavailableError,
} from '../../src/index.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../../src/oauth-mcp.internal-constants.js';
import type { TokenCache } from '../../src/resource-server/verification/token-cache.js';
import { now, signHmac } from '../support/tokens.js';

/*
 * An application's own Passport strategies (issue 11): an RFC 7662 introspection strategy for opaque
 * tokens beside the built-in HMAC strategy, and a JWT strategy with its own claims mapping replacing
 * the built-in one. Each is called through the official MCP SDK client, and goes through the same
 * guard, validated-token cache, 401/403 challenges and req.auth as the built-in strategies.
 */

const SERVER_URL = 'http://127.0.0.1:9';
const RESOURCE = `${SERVER_URL}/mcp`;
const PRM = `${SERVER_URL}/.well-known/oauth-protected-resource/mcp`;
const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const PARTNER_SECRET = 'partner-signing-secret-0123456789abcdef';

/** An RFC 7662 introspection endpoint over loopback HTTP; knows the tokens put into `active`. */
class IntrospectionServer {
  readonly active = new Map<string, Record<string, unknown>>();
  requests = 0;
  down = false;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests++;
        if (this.down) {
          res.statusCode = 503;
          return res.end();
        }
        const token = new URLSearchParams(body).get('token') ?? '';
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(this.active.get(token) ?? { active: false }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/introspect`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const INTROSPECTION_URL = 'INTROSPECTION_URL';

/** The application's strategy, written the usual Nest way: PassportStrategy over passport-http-bearer. */
@Injectable()
class IntrospectionStrategy extends PassportStrategy(BearerStrategy, 'introspection') {
  constructor(@Inject(INTROSPECTION_URL) private readonly url: string) {
    super();
  }

  async validate(token: string): Promise<OAuthMcpUser | false> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    if (!res.ok) throw new TemporarilyUnavailableError();
    const info = (await res.json()) as Record<string, unknown>;
    if (info.active !== true || info.aud !== RESOURCE) return false;
    return oauthMcpUserFromClaims(info, 'introspection');
  }
}

@Module({})
class IntrospectionModule {
  static register(url: string): DynamicModule {
    return { module: IntrospectionModule, providers: [{ provide: INTROSPECTION_URL, useValue: url }, IntrospectionStrategy], exports: [IntrospectionStrategy] };
  }
}

/** A stateless MCP endpoint: `whoami` (reads req.auth through the SDK) and `admin_ping` (needs mcp:admin). */
@UseGuards(McpAuthGuard)
@RequireToolScopes({ admin_ping: ['mcp:admin'] })
@Controller('mcp')
class McpController {
  @All()
  async handle(@Req() req: Request, @Res() res: Response, @McpBody() body: unknown): Promise<void> {
    if (req.method !== 'POST') {
      res.status(HttpStatus.METHOD_NOT_ALLOWED).end();
      return;
    }
    const server = new McpServer({ name: 'app-strategy', version: '0' });
    server.registerTool('whoami', {}, (extra) => {
      const auth = extra.authInfo as McpAuthInfo;
      return {
        content: [
          {
            type: 'text',
            text: JSON.stringify({ sub: auth.extra?.user.sub, provider: auth.extra?.user.provider, clientId: auth.clientId, scopes: auth.scopes }),
          },
        ],
      };
    });
    server.registerTool('admin_ping', {}, () => ({ content: [{ type: 'text', text: 'pong' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }
}

async function startApp(moduleImport: DynamicModule): Promise<{ app: INestApplication; base: string }> {
  @Module({ imports: [moduleImport], controllers: [McpController] })
  class AppModule {}
  const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** Calls a tool with the official MCP SDK client, presenting `token`. */
async function callTool(base: string, token: string, name: string): Promise<string> {
  const client = new Client({ name: 'app-strategy-e2e', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name, arguments: {} })) as { content: { text: string }[] };
    return result.content[0].text;
  } finally {
    await client.close();
  }
}

const post = (base: string, token: string, tool = 'whoami') =>
  fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }),
  });

const base64urlOpaque = () => randomBytes(32).toString('base64url');

const nativeOptions: OAuthMcpModuleOptions = {
  provider: 'hmac',
  jwtSecret: SECRET,
  audience: RESOURCE,
  serverUrl: SERVER_URL,
  scopes: ['mcp:read', 'mcp:admin'],
};

describe('an application strategy beside the built-in ones: opaque tokens through RFC 7662 introspection', () => {
  let introspection: IntrospectionServer;
  let app: INestApplication;
  let base: string;

  const activeToken = (scope: string, extra: Record<string, unknown> = {}) => {
    const token = base64urlOpaque();
    introspection.active.set(token, {
      active: true,
      sub: 'alice',
      client_id: 'partner-app',
      scope,
      aud: RESOURCE,
      iss: 'https://as.partner.example',
      exp: now() + 600,
      ...extra,
    });
    return token;
  };

  beforeAll(async () => {
    introspection = await new IntrospectionServer().start();
    ({ app, base } = await startApp(
      OAuthMcpModule.forRootAsync({
        imports: [IntrospectionModule.register(introspection.url)],
        inject: [IntrospectionStrategy],
        useFactory: (strategy: IntrospectionStrategy) => ({ ...nativeOptions, strategies: { introspection: strategy } }),
      }),
    ));
  });
  afterAll(async () => {
    await app?.close();
    await introspection.stop();
  });

  it('the SDK client calls a guarded tool with an opaque token only the introspection strategy accepts; req.auth carries its user', async () => {
    const token = activeToken('mcp:read mcp:admin');
    expect(JSON.parse(await callTool(base, token, 'whoami'))).toEqual({
      sub: 'alice',
      provider: 'introspection',
      clientId: 'partner-app',
      scopes: ['mcp:read', 'mcp:admin'],
    });
    expect(await callTool(base, token, 'admin_ping')).toBe('pong');
  });

  it('the validated-token cache holds its result: the introspection endpoint is asked once per token', async () => {
    const token = activeToken('mcp:read');
    const before = introspection.requests;
    for (let i = 0; i < 3; i++) expect((await post(base, token)).status).toBe(200);
    expect(introspection.requests - before).toBe(1);
    expect(app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE).size).toBeGreaterThan(0);
  });

  it('a tool scope the token lacks is the same 403 step-up challenge (naming what the token has and what it needs)', async () => {
    const res = await post(base, activeToken('mcp:read'), 'admin_ping');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${PRM}", error_description="The access token lacks a scope this operation requires", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
    );
  });

  it('an unknown or inactive opaque token, or one for another resource, is the same 401 invalid_token; nothing is cached', async () => {
    const cache = app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE);
    const size = cache.size;
    for (const token of [base64urlOpaque(), activeToken('mcp:read', { active: false }), activeToken('mcp:read', { aud: 'https://other.example/mcp' })]) {
      const res = await post(base, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata=/);
    }
    expect(cache.size).toBe(size);
  });

  it('the introspection endpoint down: 503, the token is not let in (fail closed)', async () => {
    introspection.down = true;
    try {
      const res = await post(base, activeToken('mcp:read'));
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable' });
    } finally {
      introspection.down = false;
    }
  });

  it('the built-in HMAC strategy still verifies its JWTs; the introspection endpoint is not asked for them', async () => {
    const before = introspection.requests;
    const jwt = await signHmac(SECRET, { sub: 'bob', aud: RESOURCE, exp: now() + 600, iat: now(), scope: 'mcp:read' });
    expect(JSON.parse(await callTool(base, jwt, 'whoami'))).toMatchObject({ sub: 'bob', provider: 'hmac' });
    expect(introspection.requests).toBe(before);
  });

  it('still strict RFC 6750 presentation: a token outside the header, or in two places, never reaches a strategy', async () => {
    const token = activeToken('mcp:read');
    const before = introspection.requests;
    const query = await fetch(`${base}/mcp?access_token=${token}`, { method: 'POST' });
    expect(query.status).toBe(401);
    expect(query.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
    const both = await fetch(`${base}/mcp?access_token=${token}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(both.status).toBe(400);
    expect(introspection.requests).toBe(before);
  });
});

describe('an application strategy replacing the built-in ones (builtInStrategies: false): its own claims mapping', () => {
  let app: INestApplication;
  let base: string;

  /** Partner tokens carry `roles` instead of `scope`; the application maps them. */
  const partnerJwt = new JwtStrategy(
    {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: PARTNER_SECRET,
      algorithms: ['HS256'],
      audience: RESOURCE,
      issuer: 'https://partner.example',
    },
    (claims: Record<string, unknown>, done: (err: unknown, user?: OAuthMcpUser) => void) => {
      const roles = Array.isArray(claims.roles) ? (claims.roles as string[]) : [];
      done(null, { ...oauthMcpUserFromClaims(claims, 'partner'), scopes: roles.map((r) => `mcp:${r}`) });
    },
  );

  beforeAll(async () => {
    ({ app, base } = await startApp(
      OAuthMcpModule.forRootAsync({ useFactory: () => ({ ...nativeOptions, strategies: { partner: partnerJwt }, builtInStrategies: false }) }),
    ));
  });
  afterAll(() => app.close());

  it('a partner token (roles mapped to scopes) calls the guarded tools; a token for the built-in HMAC secret is now refused', async () => {
    const token = await signHmac(PARTNER_SECRET, { sub: 'carol', aud: RESOURCE, iss: 'https://partner.example', exp: now() + 600, roles: ['read', 'admin'] });
    expect(JSON.parse(await callTool(base, token, 'whoami'))).toEqual({ sub: 'carol', provider: 'partner', clientId: '', scopes: ['mcp:read', 'mcp:admin'] });
    expect(await callTool(base, token, 'admin_ping')).toBe('pong');
    const readOnly = await signHmac(PARTNER_SECRET, { sub: 'carol', aud: RESOURCE, iss: 'https://partner.example', exp: now() + 600, roles: ['read'] });
    expect((await post(base, readOnly, 'admin_ping')).status).toBe(403);

    const builtIn = await signHmac(SECRET, { sub: 'bob', aud: RESOURCE, exp: now() + 600, scope: 'mcp:read mcp:admin' });
    const refused = await post(base, builtIn);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('refuses to start when the options name no strategy that could verify a token', async () => {
    await expect(startApp(OAuthMcpModule.forRootAsync({ useFactory: () => ({ ...nativeOptions, builtInStrategies: false }) }))).rejects.toThrow(
      /builtInStrategies .*is false, so at least one of strategies must verify tokens/,
    );
    await expect(
      startApp(OAuthMcpModule.forRootAsync({ useFactory: () => ({ ...nativeOptions, strategies: { 'oauth-mcp:hmac': partnerJwt } }) })),
    ).rejects.toThrow(/strategies has the name "oauth-mcp:hmac"/);
  });
});

describe('an application strategy that succeeds with something that is not an OAuthMcpUser', () => {
  it('is refused with 401 and nothing is cached (no sub, scopes or expiresAt to bound the cache and build req.auth)', async () => {
    const sloppy = new BearerStrategy((_token: string, done: (err: unknown, user?: unknown) => void) => done(null, { id: 42, name: 'anyone' }));
    const { app, base } = await startApp(OAuthMcpModule.forRootAsync({ useFactory: () => ({ ...nativeOptions, strategies: { sloppy } }) }));
    try {
      const res = await post(base, base64urlOpaque());
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(app.get<TokenCache>(OAUTH_MCP_TOKEN_CACHE).size).toBe(0);
    } finally {
      await app.close();
    }
  });
});
