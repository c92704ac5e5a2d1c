import { All, Controller, HttpStatus, Req, Res, UseGuards } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, Response } from 'express';
import { ADMIN_SCOPE, createExampleMcpServer } from './example-tools.js';
import { McpBody, RequireToolScopes, McpAuthGuard, UpstreamTokenService } from 'nestjs-oauth-mcp';

/**
 * `/mcp` over Streamable HTTP, stateless (one SDK server and transport per request). `@All()` so the
 * guard answers every method with 401 first; authenticated GET/DELETE then get 405 (no SSE stream,
 * no sessions), which MCP clients accept.
 */
@UseGuards(McpAuthGuard)
@RequireToolScopes({ admin_ping: [ADMIN_SCOPE] })
@Controller('mcp')
export class McpController {
  constructor(private readonly upstreamTokens: UpstreamTokenService) {}

  @All()
  async handle(@Req() req: Request, @Res() res: Response, @McpBody() body: unknown): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      res.status(HttpStatus.METHOD_NOT_ALLOWED).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null });
      return;
    }
    const server = createExampleMcpServer(this.upstreamTokens);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // Exactly the payload the guard checked; the transport never reads the stream itself.
    await transport.handleRequest(req, res, body);
  }
}
