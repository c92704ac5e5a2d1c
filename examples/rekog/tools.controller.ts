import { Payload } from '@nestjs/microservices';
import { McpController, McpRawRequest, Tool } from '@rekog/mcp-nest';
import { z } from 'zod';
import { UpstreamTokenService, CurrentUser, type McpAuthInfo, type OAuthMcpUser } from 'nestjs-oauth-mcp';

/** Scope the `admin_ping` tool needs; `McpAuthGuard` answers 403 `insufficient_scope` without it. */
export const ADMIN_SCOPE = 'mcp:admin';

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value) }] });

/**
 * The @rekog/mcp-nest tools. They run as NestJS microservice message handlers behind the guarded
 * `/mcp` route (`RekogMcpHttpController`), so `@CurrentUser()` reads the user `McpAuthGuard` set on
 * that HTTP request. As with every Nest RPC parameter decorator, the arguments parameter needs `@Payload()`.
 */
@McpController()
export class RekogToolsController {
  constructor(private readonly upstreamTokens: UpstreamTokenService) {}

  @Tool({ name: 'whoami', description: 'Who the server thinks you are, from your access token.' })
  whoami(@Payload() _args: unknown, @CurrentUser() user?: OAuthMcpUser) {
    return text({ sub: user?.sub, username: user?.username, email: user?.email ?? null, scopes: user?.scopes ?? [] });
  }

  @Tool({ name: 'greet', description: 'Greets you by your e-mail address.', parameters: z.object({ greeting: z.string().max(100).default('Hello') }) })
  greet(@Payload() { greeting }: { greeting: string }, @CurrentUser('email') email?: string) {
    return text(`${greeting}, ${email ?? 'anonymous'}!`);
  }

  @Tool({ name: 'admin_ping', description: `Answers "pong"; needs the ${ADMIN_SCOPE} scope.` })
  adminPing(@Payload() _args: unknown, @CurrentUser('scopes') scopes?: string[]) {
    // The guard already refused callers without the scope (HTTP 403); checked again so the tool is safe on its own.
    if (!scopes?.includes(ADMIN_SCOPE)) return { ...text(`${ADMIN_SCOPE} scope required`), isError: true };
    return text('pong');
  }

  @Tool({
    name: 'idp_profile',
    description: 'Proxy mode: your profile at the identity provider, fetched on your behalf with the upstream token (which never leaves the server).',
  })
  async idpProfile(@Payload() _args: unknown, @McpRawRequest() req?: { auth?: McpAuthInfo }) {
    try {
      const profile = await this.upstreamTokens.userInfo(req?.auth);
      return text({ sub: profile.sub, email: profile.email ?? null, name: profile.name ?? null });
    } catch (err) {
      return { ...text((err as Error).message), isError: true };
    }
  }
}
