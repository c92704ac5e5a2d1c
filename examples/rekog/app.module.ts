import { type DynamicModule, Module } from '@nestjs/common';
import { MCP_HTTP_HANDLER, McpStrategy, StreamableHttpTransport } from '@rekog/mcp-nest';
import { exampleOAuthImports } from '../basic/app.module.js';
import { RekogMcpHttpController } from './mcp-http.controller.js';
import { RekogToolsController } from './tools.controller.js';

/** One MCP server: the strategy Nest connects as a microservice, and its Streamable HTTP transport. */
export interface RekogMcp {
  strategy: McpStrategy;
  transport: StreamableHttpTransport;
}

/** A new @rekog/mcp-nest server (one per app: the transport keeps per-server state). */
export function createRekogMcp(logging = true): RekogMcp {
  const transport = new StreamableHttpTransport();
  const strategy = new McpStrategy({
    name: 'nestjs-oauth-mcp-rekog-example',
    version: '0.1.0',
    transports: [transport],
    ...(logging ? {} : { logging: false as const }),
  });
  return { strategy, transport };
}

/**
 * The @rekog/mcp-nest example: the same configuration as the plain-SDK example (environment, `.env`,
 * embedded dev IdP when no provider is set), with the MCP server built by @rekog/mcp-nest. No global
 * guard: the only route needing one is `/mcp`, which `McpAuthGuard` guards.
 */
@Module({})
export class RekogAppModule {
  static register(mcp: RekogMcp, env?: Record<string, string | undefined>): DynamicModule {
    return {
      module: RekogAppModule,
      imports: exampleOAuthImports(env, false),
      controllers: [RekogMcpHttpController, RekogToolsController],
      // Reading `httpHandlers` claims the route: the transport does not self-mount an unguarded /mcp.
      providers: [{ provide: MCP_HTTP_HANDLER, useValue: mcp.transport.httpHandlers }],
    };
  }
}
