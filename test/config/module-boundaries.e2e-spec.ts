import { All, Controller, Get, type INestApplication, Module, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OAuthMcpModule, type OAuthMcpModuleOptions, Public } from '../../src/index.js';
import { appUrl } from '../support/test-app.js';
import { startDevIdp } from '../../src/dev-idp/dev-idp.js';

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const APP_PATHS = ['/register', '/token', '/authorize', '/.well-known/jwks.json', '/.well-known/openid-configuration', '/oauth/token'];

/** The application's own routes on the paths an OAuth server would use; imported after OAuthMcpModule. */
@Public()
@Controller()
class AppOwnRoutesController {
  @All(APP_PATHS.map((p) => p.slice(1)))
  own() {
    return { from: 'app' };
  }

  @Get('hello')
  hello() {
    return { hello: 'world' };
  }

  @Post('echo')
  echo() {
    return { ok: true };
  }
}

@Module({ controllers: [AppOwnRoutesController] })
class AppOwnRoutesModule {}

async function start(imports: unknown[]): Promise<INestApplication> {
  @Module({ imports: [...(imports as never[]), AppOwnRoutesModule] })
  class RootModule {}
  const moduleRef = await Test.createTestingModule({ imports: [RootModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const NATIVE: OAuthMcpModuleOptions = { provider: 'hmac', jwtSecret: SECRET, audience: 'api://mcp', serverUrl: 'https://mcp.example.com', production: true };

describe('module boundaries (issue 10): the module mounts only what its mode needs and touches no other route', () => {
  it('native mode: the app keeps /register, /token, /authorize, /oauth/token, /.well-known/jwks.json and /.well-known/openid-configuration', async () => {
    const app = await start([OAuthMcpModule.forRoot({ ...NATIVE, global: true })]);
    try {
      const base = await appUrl(app);
      for (const path of APP_PATHS) {
        const res = await fetch(`${base}${path}`);
        expect({ path, status: res.status, body: await res.json() }).toEqual({ path, status: 200, body: { from: 'app' } });
      }
      expect((await fetch(`${base}/.well-known/oauth-protected-resource`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("no header of the module on the app's other routes (no X-Request-Id, no HSTS, no CORS), even in production over https", async () => {
    const app = await start([OAuthMcpModule.forRoot({ ...NATIVE, global: false })]);
    try {
      const base = await appUrl(app);
      const res = await fetch(`${base}/hello`, { headers: { origin: 'https://mcp.example.com', 'x-request-id': 'abc' } });
      expect(res.status).toBe(200);
      const names = [...res.headers.keys()];
      expect(names.filter((n) => /^(x-request-id|strict-transport-security|access-control-|vary)/.test(n))).toEqual([]);
      // The module's own paths do carry HSTS in production over https.
      const prm = await fetch(`${base}/.well-known/oauth-protected-resource`);
      expect(prm.headers.get('strict-transport-security')).toMatch(/max-age=/);
    } finally {
      await app.close();
    }
  });

  it('proxy mode: the root aliases are opt-in, so the app keeps /token, /register and /authorize unless rootAliases is set', async () => {
    const idp = await startDevIdp({ resource: 'http://127.0.0.1:1/mcp', scopes: ['mcp:read'], port: 0, proxyCallbackUrl: 'http://127.0.0.1:1/oauth/callback' });
    const proxy = (rootAliases: boolean) =>
      OAuthMcpModule.forRoot({
        mode: 'proxy',
        provider: 'oidc',
        issuer: idp.issuer,
        clientId: idp.proxyClient!.clientId,
        clientSecret: idp.proxyClient!.clientSecret,
        jwtSecret: SECRET,
        serverUrl: 'http://127.0.0.1:1',
        rootAliases,
      });
    try {
      const plain = await start([proxy(false)]);
      try {
        const base = await appUrl(plain);
        for (const path of ['/token', '/register', '/authorize']) expect(await (await fetch(`${base}${path}`)).json()).toEqual({ from: 'app' });
        expect((await fetch(`${base}/oauth/token`, { method: 'GET' })).status).toBe(405);
      } finally {
        await plain.close();
      }
      const aliased = await start([proxy(true)]);
      try {
        const base = await appUrl(aliased);
        expect((await fetch(`${base}/token`, { method: 'GET' })).status).toBe(405);
      } finally {
        await aliased.close();
      }
    } finally {
      await idp.close();
    }
  });

  it('forRootAsync: the static mode decides the routes, and a factory disagreeing with it stops the application', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [
        OAuthMcpModule.forRootAsync({
          useFactory: () =>
            ({ ...NATIVE, provider: 'oidc', issuer: 'https://idp.example.com', mode: 'proxy', clientId: 'x', clientSecret: 'y' }) as OAuthMcpModuleOptions,
        }),
      ],
    });
    await expect(moduleRef.compile()).rejects.toThrow(/declared for 'native'.*forRootAsync/);
  });
});
