// A CommonJS application (package.json without "type": "module"): compiled to require() calls, which
// load nestjs-oauth-mcp and Nest 12 (both ES modules) through Node's require(esm).
import 'reflect-metadata';
import { All, Controller, Module, Req, Res, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, Response } from 'express';
import { McpAuthGuard, McpBody, OAuthMcpModule, oauthMcpOptionsFromEnv, RequireToolScopes } from 'nestjs-oauth-mcp';

@UseGuards(McpAuthGuard)
@RequireToolScopes({ deploy: ['mcp:admin'] })
@Controller('mcp')
class McpController {
  @All()
  async handle(@Req() req: Request, @Res() res: Response, @McpBody() body: unknown): Promise<void> {
    const server = new McpServer({ name: 'cjs-consumer', version: '1.0.0' });
    server.registerTool('deploy', { description: 'Needs mcp:admin' }, () => ({ content: [{ type: 'text', text: 'deployed' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }
}

@Module({ imports: [OAuthMcpModule.forRoot(oauthMcpOptionsFromEnv(process.env))], controllers: [McpController] })
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(Number(process.env.MCP_PORT ?? 8080), process.env.MCP_HOST ?? '127.0.0.1');
  console.log('listening');
}
void bootstrap();
