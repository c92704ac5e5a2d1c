import { All, Controller, Inject, type OnApplicationShutdown, Optional, Req, Res, UseGuards } from '@nestjs/common';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import type { Request, Response } from 'express';
import { ADMIN_SCOPE, createExampleMcpServer, type ExampleServerExtension } from './example-tools.js';
import { McpBody, RequireToolScopes, McpAuthGuard, UpstreamTokenService } from 'nestjs-oauth-mcp';

/** Optional provider: more tools on the example server (the conformance fixtures in the tests). */
export const EXAMPLE_SERVER_EXTENSION = 'EXAMPLE:SERVER_EXTENSION';

/**
 * `/mcp` over Streamable HTTP with the official SDK's `createMcpHandler`: the newest protocol revision
 * (2026-07-28, stateless, `server/discover`), and older clients through its stateless legacy fallback
 * (`initialize`; GET/DELETE answered 405, no sessions). `@All()` so the guard answers every method with
 * 401 first. The handler gets exactly the payload the guard checked (`@McpBody()`) and `req.auth`.
 */
@UseGuards(McpAuthGuard)
@RequireToolScopes({ admin_ping: [ADMIN_SCOPE] })
@Controller('mcp')
export class McpController implements OnApplicationShutdown {
  private readonly mcp: McpHttpHandler;
  private readonly serve: NodeMcpRequestHandler;

  constructor(upstreamTokens: UpstreamTokenService, @Optional() @Inject(EXAMPLE_SERVER_EXTENSION) extend?: ExampleServerExtension) {
    this.mcp = createMcpHandler(() => createExampleMcpServer(upstreamTokens, extend));
    this.serve = toNodeHandler(this.mcp);
  }

  @All()
  async handle(@Req() req: Request, @Res() res: Response, @McpBody() body: unknown): Promise<void> {
    // Never the raw stream: the guard read it; for GET/DELETE there is no body.
    await this.serve(req, res, body);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.mcp.close();
  }
}
