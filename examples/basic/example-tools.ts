import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { type McpAuthInfo, type UpstreamTokenService } from 'nestjs-oauth-mcp';

/** Scope the `admin_ping` tool needs; the guard answers 403 `insufficient_scope` without it. */
export const ADMIN_SCOPE = 'mcp:admin';

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value) }] });

/**
 * The example MCP server: `whoami`, `echo`, `admin_ping`, and `idp_profile` (proxy mode, on-behalf-of). Tool handlers read the caller from
 * `extra.authInfo`, which the SDK fills from `req.auth` set by `McpAuthGuard`.
 */
export function createExampleMcpServer(upstreamTokens: UpstreamTokenService): McpServer {
  const server = new McpServer({ name: 'nestjs-oauth-mcp-example', version: '0.1.0' });

  server.registerTool('whoami', { description: 'Who the server thinks you are, from your access token.' }, (extra) => {
    const user = (extra.authInfo as McpAuthInfo | undefined)?.extra?.user;
    return text({ sub: user?.sub, username: user?.username, email: user?.email ?? null, scopes: user?.scopes ?? [] });
  });

  server.registerTool(
    'echo',
    { description: 'Echoes the text back.', inputSchema: { text: z.string().max(10_000) } },
    ({ text: value }) => text(value),
  );

  server.registerTool('admin_ping', { description: `Answers "pong"; needs the ${ADMIN_SCOPE} scope.` }, (extra) => {
    // The guard already refused callers without the scope; checked again so the tool is safe on its own.
    if (!extra.authInfo?.scopes.includes(ADMIN_SCOPE)) return { ...text(`${ADMIN_SCOPE} scope required`), isError: true };
    return text('pong');
  });

  server.registerTool(
    'idp_profile',
    { description: 'Proxy mode: your profile at the identity provider, fetched on your behalf with the upstream token (which never leaves the server).' },
    async (extra) => {
      try {
        const profile = await upstreamTokens.userInfo(extra.authInfo as McpAuthInfo | undefined);
        return text({ sub: profile.sub, email: profile.email ?? null, name: profile.name ?? null });
      } catch (err) {
        return { ...text((err as Error).message), isError: true };
      }
    },
  );

  return server;
}
