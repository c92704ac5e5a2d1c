import { Controller, UseGuards } from '@nestjs/common';
import { StreamableHttpController } from '@rekog/mcp-nest';
import { ADMIN_SCOPE } from './tools.controller.js';
import { RequireToolScopes, McpAuthGuard } from 'nestjs-oauth-mcp';

/**
 * The Streamable HTTP route of the @rekog/mcp-nest server as a real Nest controller, so Nest guards
 * apply to it: `McpAuthGuard` answers POST, GET and DELETE without a valid token with 401 and the
 * Bearer challenge, and a `tools/call` of `admin_ping` without `mcp:admin` with the 403 step-up
 * challenge, before the MCP server sees the request. The transport's handlers are injected under
 * `MCP_HTTP_HANDLER` (see `RekogAppModule`), which also stops the transport from mounting an
 * unguarded route of its own.
 */
@UseGuards(McpAuthGuard)
@RequireToolScopes({ admin_ping: [ADMIN_SCOPE] })
@Controller('mcp')
export class RekogMcpHttpController extends StreamableHttpController {}
