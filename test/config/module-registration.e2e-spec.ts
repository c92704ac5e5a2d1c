import { Controller, Get, Inject, Injectable, type INestApplication, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  CurrentUser,
  OAuthMcpConfigService,
  OAuthMcpModule,
  oauthMcpOptionsFromEnv,
  type OAuthMcpModuleOptions,
  type OAuthMcpUser,
  Public,
} from '../../src/index.js';
import passport from 'passport';
import { OAUTH_MCP_PASSPORT } from '../../src/oauth-mcp.internal-constants.js';
import { HmacPreviousSecretStrategy, HmacStrategy } from '../../src/resource-server/strategies/hmac.strategy.js';
import { OktaStrategy } from '../../src/resource-server/strategies/okta.strategy.js';
import { appUrl } from '../support/test-app.js';
import { now, signHmac } from '../support/tokens.js';

/*
 * OAuthMcpModule registration: forRoot and every forRootAsync flavour resolve the same validated
 * config, and `global: true` (and only it) installs JwtAuthGuard as APP_GUARD.
 */

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const SERVER_URL = 'http://127.0.0.1:9';
const AUD = `${SERVER_URL}/mcp`;
const SETTINGS = Symbol('SETTINGS');

interface Settings {
  secret: string;
  audience: string;
  skew: number;
}

const OPTIONS: OAuthMcpModuleOptions = {
  provider: 'hmac',
  jwtSecret: SECRET,
  audience: AUD,
  serverUrl: SERVER_URL,
  scopes: ['mcp:read', 'mcp:write'],
  clockSkewSeconds: 10,
  resourceName: 'Registration probe',
};

const optionsFrom = (s: Settings): OAuthMcpModuleOptions => ({ ...OPTIONS, jwtSecret: s.secret, audience: s.audience, clockSkewSeconds: s.skew });

/** What every registration below must resolve to. */
const RESOLVED = {
  mode: 'native',
  provider: 'hmac',
  production: false,
  issuers: [],
  audiences: [AUD],
  algorithms: ['HS256'],
  hmacSecrets: [SECRET],
  serverUrl: SERVER_URL,
  mcpPath: '/mcp',
  resource: AUD,
  resourceMetadataUrl: `${SERVER_URL}/.well-known/oauth-protected-resource/mcp`,
  scopes: ['mcp:read', 'mcp:write'],
  clockSkewSeconds: 10,
  cacheMaxEntries: 10_000,
  cacheMaxTtlMs: 300_000,
  maxTokenBytes: 8192,
  resourceName: 'Registration probe',
};

@Module({ providers: [{ provide: SETTINGS, useValue: { secret: SECRET, audience: AUD, skew: 10 } satisfies Settings }], exports: [SETTINGS] })
class SettingsModule {}

@Injectable()
class OAuthOptionsFactory {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  createOAuthMcpOptions(): OAuthMcpModuleOptions {
    return optionsFrom(this.settings);
  }
}

@Module({ imports: [SettingsModule], providers: [OAuthOptionsFactory], exports: [OAuthOptionsFactory] })
class OptionsFactoryModule {}

/** A route of the application, unrelated to MCP and without any decorator of the module. */
@Controller('anything')
class AnythingController {
  @Get()
  anything(@CurrentUser() user?: OAuthMcpUser) {
    return { ok: true, sub: user?.sub ?? null };
  }

  @Public()
  @Get('open')
  open() {
    return { ok: true };
  }
}

async function boot(oauth: DynamicModule): Promise<INestApplication> {
  @Module({ imports: [oauth], controllers: [AnythingController] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

async function resolvedConfigOf(oauth: DynamicModule): Promise<unknown> {
  const app = await boot(oauth);
  try {
    return app.get(OAuthMcpConfigService).config;
  } finally {
    await app.close();
  }
}

describe('OAuthMcpModule registration', () => {
  it('forRoot(options)', async () => {
    expect(await resolvedConfigOf(OAuthMcpModule.forRoot(OPTIONS))).toMatchObject(RESOLVED);
  });

  it('forRootAsync({ imports, inject, useFactory }) with a value exported by an imported module', async () => {
    const oauth = OAuthMcpModule.forRootAsync({ imports: [SettingsModule], inject: [SETTINGS], useFactory: (s: Settings) => optionsFrom(s) });
    expect(await resolvedConfigOf(oauth)).toMatchObject(RESOLVED);
  });

  it('forRootAsync({ useFactory }) returning a promise', async () => {
    const oauth = OAuthMcpModule.forRootAsync({
      useFactory: async () => {
        await new Promise((r) => setTimeout(r, 5));
        return OPTIONS;
      },
    });
    expect(await resolvedConfigOf(oauth)).toMatchObject(RESOLVED);
  });

  it('forRootAsync({ imports, useClass })', async () => {
    const oauth = OAuthMcpModule.forRootAsync({ imports: [SettingsModule], useClass: OAuthOptionsFactory });
    expect(await resolvedConfigOf(oauth)).toMatchObject(RESOLVED);
  });

  it('forRootAsync({ imports, useExisting })', async () => {
    const oauth = OAuthMcpModule.forRootAsync({ imports: [OptionsFactoryModule], useExisting: OAuthOptionsFactory });
    expect(await resolvedConfigOf(oauth)).toMatchObject(RESOLVED);
  });

  it('forRootAsync with ConfigModule + ConfigService + oauthMcpOptionsFromEnv (the documented recipe)', async () => {
    const oauth = OAuthMcpModule.forRootAsync({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [
            () => ({
              OAUTH_PROVIDER: 'hmac',
              JWT_SECRET: SECRET,
              OIDC_AUDIENCE: AUD,
              MCP_URL: SERVER_URL,
              OAUTH_SCOPES: 'mcp:read mcp:write',
              OAUTH_CLOCK_SKEW_SECONDS: '10',
              OAUTH_RESOURCE_NAME: 'Registration probe',
            }),
          ],
        }),
      ],
      inject: [ConfigService],
      useFactory: oauthMcpOptionsFromEnv,
    });
    expect(await resolvedConfigOf(oauth)).toMatchObject(RESOLVED);
  });

  it('forRootAsync with invalid options fails bootstrap like forRoot', async () => {
    const oauth = OAuthMcpModule.forRootAsync({ useFactory: () => ({ ...OPTIONS, jwtSecret: 'short' }) });
    await expect(Test.createTestingModule({ imports: [oauth] }).compile()).rejects.toThrow(/JWT_SECRET/);
  });
});

describe('global: true registers JwtAuthGuard for every route', () => {
  const token = () => signHmac(SECRET, { sub: 'alice', aud: AUD, exp: now() + 600, iat: now(), scope: 'mcp:read' });

  const cases: [string, () => DynamicModule, boolean][] = [
    ['forRoot({ global: true })', () => OAuthMcpModule.forRoot({ ...OPTIONS, global: true }), true],
    ['forRootAsync({ global: true, useFactory })', () => OAuthMcpModule.forRootAsync({ global: true, useFactory: () => OPTIONS }), true],
    ['forRoot() without global', () => OAuthMcpModule.forRoot(OPTIONS), false],
    ['forRoot({ global: false })', () => OAuthMcpModule.forRoot({ ...OPTIONS, global: false }), false],
    ['forRootAsync({ useFactory }) without global', () => OAuthMcpModule.forRootAsync({ useFactory: () => OPTIONS }), false],
  ];

  for (const [label, oauth, guarded] of cases) {
    it(`${label}: an arbitrary route ${guarded ? 'needs a bearer token' : 'stays open'}`, async () => {
      const app = await boot(oauth());
      try {
        const base = await appUrl(app);
        const anonymous = await fetch(`${base}/anything`);
        if (guarded) {
          expect(anonymous.status).toBe(401);
          expect(anonymous.headers.get('www-authenticate')).toBe(
            `Bearer resource_metadata="${SERVER_URL}/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
          );
          const authorized = await fetch(`${base}/anything`, { headers: { authorization: `Bearer ${await token()}` } });
          expect(authorized.status).toBe(200);
          expect(await authorized.json()).toEqual({ ok: true, sub: 'alice' });
          const bad = await fetch(`${base}/anything`, { headers: { authorization: 'Bearer a.b.c' } });
          expect(bad.status).toBe(401);
        } else {
          expect(anonymous.status).toBe(200);
          expect(await anonymous.json()).toEqual({ ok: true, sub: null });
        }
        expect((await fetch(`${base}/anything/open`)).status).toBe(200);
        expect((await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).status).toBe(200);
      } finally {
        await app.close();
      }
    });
  }
});

describe("strategies are Nest providers registered on the module instance's own Passport", () => {
  it('the configured strategies (and only they) exist as providers, on a Passport of their own, never on the global one', async () => {
    const rotating = await boot(OAuthMcpModule.forRoot({ ...OPTIONS, jwtSecretPrevious: 'Zr8Lq3Wn6Tb1Yc4Xv7Ms2Kd5Hf9Jg0Ap' }));
    const single = await boot(OAuthMcpModule.forRoot(OPTIONS));
    try {
      const own = rotating.get<passport.Authenticator>(OAUTH_MCP_PASSPORT);
      const current = rotating.get(HmacStrategy);
      expect(current).toBeInstanceOf(HmacStrategy);
      expect(rotating.get(HmacPreviousSecretStrategy)).toBeInstanceOf(HmacPreviousSecretStrategy);
      expect(rotating.get(OktaStrategy)).toBeNull();
      const registered = (p: passport.Authenticator, name: string) => (p as unknown as { _strategy(n: string): unknown })._strategy(name);
      expect(registered(own, 'oauth-mcp:hmac')).toBe(current);
      expect(registered(own, 'oauth-mcp:hmac-previous')).toBe(rotating.get(HmacPreviousSecretStrategy));
      // Another instance in the same process: its own Passport, its own strategy of the same name.
      const other = single.get<passport.Authenticator>(OAUTH_MCP_PASSPORT);
      expect(other).not.toBe(own);
      expect(registered(other, 'oauth-mcp:hmac')).toBe(single.get(HmacStrategy));
      expect(registered(other, 'oauth-mcp:hmac')).not.toBe(current);
      expect(single.get(HmacPreviousSecretStrategy)).toBeNull();
      expect(registered(passport, 'oauth-mcp:hmac')).toBeUndefined();
    } finally {
      await rotating.close();
      await single.close();
    }
  });
});
