import 'reflect-metadata';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OAuthMcpModuleOptions } from '../src/config/oauth-mcp-options.interface.js';
import { OAuthMcpModule } from '../src/oauth-mcp.module.js';

/**
 * The module in an application context (no HTTP), wired exactly as an application gets it: what the
 * in-process benches (verify, memory, guard) measure.
 */
export async function moduleContext(options: OAuthMcpModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [OAuthMcpModule.forRoot(options)] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  return app;
}
