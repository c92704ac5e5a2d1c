import { All, Controller, Get, type INestApplication, Module, Req, Res, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpAuthGuard, OAuthMcpModule, RequireScopes, RequireToolScopes } from '../../src/index.js';
import { AppModule } from '../../examples/basic/app.module.js';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { freePort } from '../support/free-port.js';
import { latin1Request, mcpResponseBody, rawRequest, type RawResponse } from '../support/raw-http.js';
import { signHmac, now } from '../support/tokens.js';

/**
 * Group O: what the outside review of 2026-11 found (see SECURITY.md), one test per finding, each
 * failing on the code before its fix.
 */

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';

function hmacEnv(port: number): Record<string, string> {
  return {
    MCP_PORT: String(port),
    MCP_URL: `http://127.0.0.1:${port}`,
    OAUTH_PROVIDER: 'hmac',
    JWT_SECRET: SECRET,
    OIDC_AUDIENCE: `http://127.0.0.1:${port}/mcp`,
    OAUTH_SCOPES: 'mcp:read mcp:write mcp:admin',
  };
}

function token(base: string, scope: string): Promise<string> {
  return signHmac(SECRET, { sub: 'alice', aud: `${base}/mcp`, scope, iat: now(), exp: now() + 600 });
}

const toolCall = (name: string, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

/** POST /mcp with the bytes as given (Latin-1 header values: `\u00a0` is the one byte 0xA0). */
function post(base: string, bearer: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return latin1Request(`${base}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...headers },
    body,
  });
}

function errorOf(res: RawResponse): unknown {
  try {
    return JSON.parse(res.body).error;
  } catch {
    return res.body.slice(0, 120);
  }
}

function expectStepUp(res: RawResponse, label: string): void {
  expect({ label, status: res.status, error: errorOf(res) }).toEqual({ label, status: 403, error: 'insufficient_scope' });
  expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  expect(res.headers['www-authenticate']).toMatch(/scope="[^"]*mcp:admin/);
}

/**
 * An MCP endpoint whose transport reads the request stream itself and accepts any Content-Type whose
 * trimmed essence is `application/json` (JavaScript's `trim()` strips U+00A0), as the transport the
 * review attacked did; the installed SDK versions answer 415 to those bytes, this one runs the tool.
 * It serves through the official v2 SDK handler.
 */
const v2Handler = createMcpHandler(() => {
  const server = new McpServer({ name: 'o1-lenient', version: '1.0.0' });
  server.registerTool('admin_ping', { description: 'needs mcp:admin' }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
  return server;
});

@UseGuards(McpAuthGuard)
@RequireToolScopes({ admin_ping: ['mcp:admin'] })
@Controller('mcp')
class LenientMcpController {
  @All()
  async handle(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const essence = String(req.headers['content-type']).split(';')[0].trim();
    const answer = await v2Handler.fetch(
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: { 'content-type': essence, accept: String(req.headers.accept) },
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(await answer.text());
  }
}

async function startV2App(port: number): Promise<INestApplication> {
  const base = `http://127.0.0.1:${port}`;
  @Module({
    imports: [OAuthMcpModule.forRoot({ provider: 'hmac', jwtSecret: SECRET, serverUrl: base, audience: `${base}/mcp`, scopes: ['mcp:read', 'mcp:admin'] })],
    controllers: [LenientMcpController],
  })
  class V2Module {}
  const app = await NestFactory.create(V2Module, { logger: false });
  await app.listen(port, '127.0.0.1');
  return app;
}

describe('O1 per-tool scopes decide on exactly the JSON-RPC the transport executes', () => {
  let app: INestApplication;
  let base: string;
  let readToken: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startExampleServer({ env: hmacEnv(port), logger: false });
    readToken = await token(base, 'mcp:read');
  });
  afterAll(() => app.close());

  it('O1 a Content-Type the body parser skips but a transport accepts cannot smuggle a tools/call past the guard', async () => {
    const port = await freePort();
    const lenient = `http://127.0.0.1:${port}`;
    const lenientApp = await startV2App(port);
    try {
      const lenientRead = await token(lenient, 'mcp:read');
      // What the review saw: the tool runs for a token without its scope (fails without the guard's own body read).
      for (const contentType of ['application/json\u00a0', '\u00a0application/json', 'application/json\u00a0; charset=utf-8']) {
        const res = await post(lenient, lenientRead, JSON.stringify(toolCall('admin_ping')), { 'content-type': contentType });
        expectStepUp(res, `lenient transport ${JSON.stringify(contentType)}`);
        // The example's real SDK transport: the guard answers first, whatever the transport would have done.
        expectStepUp(
          await post(base, readToken, JSON.stringify(toolCall('admin_ping')), { 'content-type': contentType }),
          `example ${JSON.stringify(contentType)}`,
        );
      }
    } finally {
      await lenientApp.close();
    }
  });

  it('O1 batches, other casings of tools/call and other casings of the tool name all count', async () => {
    const bodies = {
      batch: [toolCall('echo', 1), toolCall('admin_ping', 2)],
      'Tools/Call': { ...toolCall('admin_ping'), method: 'Tools/Call' },
      'padded method': { ...toolCall('admin_ping'), method: ' tools/call ' },
      ADMIN_PING: toolCall('ADMIN_PING'),
    };
    for (const [label, body] of Object.entries(bodies)) {
      expectStepUp(await post(base, readToken, JSON.stringify(body), { 'content-type': 'application/json\u00a0' }), label);
      expectStepUp(await post(base, readToken, JSON.stringify(body)), `${label} (plain JSON)`);
    }
  });

  it('O1 the 2026-07-28 Mcp-Method / Mcp-Name headers count too (plain and base64 sentinel); repeated ones are refused', async () => {
    const echo = JSON.stringify(toolCall('echo'));
    expectStepUp(await post(base, readToken, echo, { 'mcp-method': 'tools/call', 'mcp-name': 'admin_ping' }), 'plain');
    const sentinel = `=?base64?${Buffer.from('admin_ping').toString('base64')}?=`;
    expectStepUp(await post(base, readToken, echo, { 'mcp-method': 'tools/call', 'mcp-name': sentinel }), 'sentinel');
    const repeated = await rawRequest(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readToken}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: echo,
      rawHeaders: ['Mcp-Name', 'echo', 'Mcp-Name', 'admin_ping'],
    });
    expect({ status: repeated.status, error: JSON.parse(repeated.body).error }).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('O1 a body nobody parsed that is not JSON, or too large, is 400/413 from the guard, never 500', async () => {
    const garbage = await post(base, readToken, '{"jsonrpc":"2.0",', { 'content-type': 'application/json\u00a0' });
    expect({ status: garbage.status, error: JSON.parse(garbage.body).error }).toEqual({ status: 400, error: 'invalid_request' });
    const huge = await post(base, readToken, `{"x":"${'a'.repeat(4 * 1024 * 1024)}"}`, { 'content-type': 'application/json\u00a0' });
    expect(huge.status).toBe(413);
  });

  it('O1 an app without any body parser still gets the tool scopes enforced, and the tool runs from the guard-checked body', async () => {
    const port = await freePort();
    const bare = `http://127.0.0.1:${port}`;
    const noParser = await NestFactory.create(AppModule.register(hmacEnv(port)), { bodyParser: false, logger: false });
    await noParser.listen(port, '127.0.0.1');
    try {
      expectStepUp(await post(bare, await token(bare, 'mcp:read'), JSON.stringify(toolCall('admin_ping'))), 'no parser');
      const ok = await post(bare, await token(bare, 'mcp:admin'), JSON.stringify(toolCall('admin_ping')));
      expect(mcpResponseBody<{ result: { content: { text: string }[] } }>(ok.body).result.content[0].text).toBe('pong');
    } finally {
      await noParser.close();
    }
  });
});

@UseGuards(McpAuthGuard)
@RequireScopes('mcp:admin')
@RequireToolScopes({ deploy: ['mcp:write'] })
@Controller('strict')
class StrictController {
  @RequireScopes('mcp:read')
  @Get()
  read() {
    return { ok: true };
  }

  @RequireToolScopes({ deploy: ['mcp:deploy'] })
  @All('tools')
  tools() {
    return { ok: true };
  }
}

describe('O7 scope requirements add up (controller ∪ handler)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    @Module({
      imports: [OAuthMcpModule.forRoot({ provider: 'hmac', jwtSecret: SECRET, serverUrl: base, audience: `${base}/mcp`, scopes: ['mcp:read', 'mcp:admin'] })],
      controllers: [StrictController],
    })
    class StrictModule {}
    app = await NestFactory.create(StrictModule, { logger: false });
    await app.listen(port, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('O7 a method-level @RequireScopes does not replace the controller-level one', async () => {
    const read = await rawRequest(`${base}/strict`, { headers: { authorization: `Bearer ${await token(base, 'mcp:read')}` } });
    expect(read.status).toBe(403);
    const both = await rawRequest(`${base}/strict`, { headers: { authorization: `Bearer ${await token(base, 'mcp:read mcp:admin')}` } });
    expect(both.status).toBe(200);
  });

  it('O7 a method-level @RequireToolScopes adds to the controller-level one for the same tool', async () => {
    const body = JSON.stringify(toolCall('deploy'));
    const res = await rawRequest(`${base}/strict/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(base, 'mcp:admin mcp:deploy')}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/scope="[^"]*mcp:write/);
    const all = await rawRequest(`${base}/strict/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(base, 'mcp:admin mcp:deploy mcp:write')}`, 'content-type': 'application/json' },
      body,
    });
    expect(all.status).toBe(200);
  });
});
