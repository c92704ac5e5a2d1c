import { All, Controller, type INestApplication, Module, Req, Res, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type McpAuthInfo, McpAuthGuard, McpBody, OAuthMcpModule } from '../../src/index.js';
import { now, signHmac } from '../support/tokens.js';

/**
 * The README's MCP controller on Fastify: the SDK transport takes the Node request and response
 * (`req.raw`, `res.raw`), and its tools must still see the signed-in user as `extra.authInfo`.
 */
const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

@UseGuards(McpAuthGuard)
@Controller('mcp')
class FastifyMcpController {
  @All()
  async handle(@Req() req: FastifyRequest, @Res() res: FastifyReply, @McpBody() body: unknown): Promise<void> {
    const server = new McpServer({ name: 'fastify-mcp', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The signed-in user' }, (extra) => ({
      content: [{ type: 'text', text: (extra.authInfo as McpAuthInfo | undefined)?.extra?.user.sub ?? 'nobody' }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.raw.on('close', () => void server.close());
    await server.connect(transport);
    res.hijack();
    await transport.handleRequest(req.raw, res.raw, body);
  }
}

describe('Fastify adapter with the MCP SDK transport on req.raw / res.raw', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    @Module({
      imports: [
        OAuthMcpModule.forRoot({ provider: 'hmac', jwtSecret: SECRET, audience: 'api://mcp', serverUrl: 'http://localhost:8080', failedAuthThrottle: false }),
      ],
      controllers: [FastifyMcpController],
    })
    class FastifyMcpModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FastifyMcpModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('a tool sees the signed-in user (req.auth reaches the Node request the transport reads)', async () => {
    const token = await signHmac(SECRET, { sub: 'erin', aud: 'api://mcp', scope: 'mcp:read', iat: now(), exp: now() + 600 });
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { content: { text: string }[] } }).result.content[0].text).toBe('erin');
  });
});
