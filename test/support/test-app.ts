import { All, Controller, Get, type INestApplication, Module, Req } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CurrentUser,
  McpAuthGuard,
  OAuthMcpModule,
  type OAuthMcpModuleExtras,
  type OAuthMcpModuleOptions,
  type OAuthMcpUser,
  Public,
  RequireScopes,
  RequireToolScopes,
} from '../../src/index.js';
import { UseGuards } from '@nestjs/common';
import { type AdapterName, createApp } from './adapters.js';

@Controller()
class ProbeController {
  @Get('protected')
  whoami(@CurrentUser() user: OAuthMcpUser, @Req() req: { auth?: unknown }) {
    return { user, auth: req.auth };
  }

  @Get('email')
  email(@CurrentUser('email') email: string) {
    return { email: email ?? null };
  }

  @Public()
  @Get('public')
  open() {
    return { ok: true };
  }

  @RequireScopes('mcp:admin', 'mcp:write')
  @Get('admin')
  admin() {
    return { ok: true };
  }
}

@UseGuards(McpAuthGuard)
@RequireToolScopes({ admin_ping: ['mcp:admin'] })
@Controller('mcp')
class ProbeMcpController {
  @All()
  mcp(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

/** An app with the module under test, a global guard, and probe routes. */
export async function createTestApp(
  options: OAuthMcpModuleOptions & OAuthMcpModuleExtras,
  global = true,
  adapter: AdapterName = 'express',
): Promise<INestApplication> {
  // Security suites send thousands of bad tokens from 127.0.0.1; the failed-auth tests turn the throttle on.
  @Module({ imports: [OAuthMcpModule.forRoot({ failedAuthThrottle: false, ...options, global })], controllers: [ProbeController, ProbeMcpController] })
  class TestAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const app = createApp(moduleRef, adapter);
  await app.listen(0, '127.0.0.1');
  return app;
}

export async function appUrl(app: INestApplication): Promise<string> {
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}
