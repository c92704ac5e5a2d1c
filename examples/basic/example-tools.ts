import { McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { type McpAuthInfo, type UpstreamTokenService } from 'nestjs-oauth-mcp';

/** Scope the `admin_ping` tool needs; the guard answers 403 `insufficient_scope` without it. */
export const ADMIN_SCOPE = 'mcp:admin';

/** Registers more tools, resources or prompts on each server instance (the tests add the conformance fixtures). */
export type ExampleServerExtension = (server: McpServer) => void;

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value) }] });

/** The caller, from `req.auth` set by `McpAuthGuard` (the SDK hands it to tools as `ctx.http.authInfo`). */
const authOf = (ctx: ServerContext) => ctx.http?.authInfo as McpAuthInfo | undefined;

/**
 * The example MCP server (official SDK v2): `whoami`, `echo`, `admin_ping`, and `idp_profile` (proxy
 * mode, on-behalf-of). One instance serves one request (`createMcpHandler`), in every protocol era.
 */
export function createExampleMcpServer(upstreamTokens: UpstreamTokenService, extend?: ExampleServerExtension): McpServer {
  const server = new McpServer({ name: 'nestjs-oauth-mcp-example', version: '0.1.0' });

  server.registerTool('whoami', { description: 'Who the server thinks you are, from your access token.' }, (ctx) => {
    const user = authOf(ctx)?.extra?.user;
    return text({ sub: user?.sub, username: user?.username, email: user?.email ?? null, scopes: user?.scopes ?? [] });
  });

  server.registerTool('echo', { description: 'Echoes the text back.', inputSchema: z.object({ text: z.string().max(10_000) }) }, ({ text: value }) =>
    text(value),
  );

  server.registerTool('admin_ping', { description: `Answers "pong"; needs the ${ADMIN_SCOPE} scope.` }, (ctx) => {
    // The guard already refused callers without the scope; checked again so the tool is safe on its own.
    if (!authOf(ctx)?.scopes.includes(ADMIN_SCOPE)) return { ...text(`${ADMIN_SCOPE} scope required`), isError: true };
    return text('pong');
  });

  server.registerTool(
    'idp_profile',
    { description: 'Proxy mode: your profile at the identity provider, fetched on your behalf with the upstream token (which never leaves the server).' },
    async (ctx) => {
      try {
        const profile = await upstreamTokens.userInfo(authOf(ctx));
        return text({ sub: profile.sub, email: profile.email ?? null, name: profile.name ?? null });
      } catch (err) {
        return { ...text((err as Error).message), isError: true };
      }
    },
  );

  extend?.(server);
  return server;
}
