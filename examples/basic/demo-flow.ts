import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { headlessLogin, MemoryOAuthClientProvider } from 'nestjs-oauth-mcp/testing';

/**
 * Signs in to the running example (at `MCP_URL`, default http://127.0.0.1:8080) with
 * the official MCP SDK client, as a dev-IdP user, and calls `whoami`. Each step is printed.
 */
export async function runDemo(mcpUrl: string, username: string, log: (line: string) => void = console.log): Promise<string> {
  const serverUrl = new URL(`${mcpUrl.replace(/\/$/, '')}/mcp`);
  const provider = new MemoryOAuthClientProvider();
  log(`1. Discovery and client registration against ${serverUrl.href}`);
  if ((await auth(provider, { serverUrl })) !== 'REDIRECT') throw new Error('expected the client to need a sign-in');
  log(`2. Registered client ${provider.info?.client_id}; signing in as "${username}" at ${provider.lastAuthorizationUrl!.origin}`);
  const callback = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username });
  if (callback.searchParams.get('state') !== provider.state()) throw new Error('state mismatch on the redirect');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`sign-in failed: ${callback.searchParams.get('error') ?? 'no code'}`);
  log('3. Exchanging the authorization code (PKCE) for tokens');
  await auth(provider, { serverUrl, authorizationCode: code });
  const client = new Client({ name: 'nestjs-oauth-mcp-demo', version: '0.1.0' });
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  log('4. Connected; calling whoami');
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  const text = (result.content as { type: string; text: string }[])[0].text;
  log(`whoami → ${text}`);
  const claims = JSON.parse(Buffer.from(provider.tokens()!.access_token.split('.')[1], 'base64url').toString('utf8')) as { iss: string; aud: string };
  log(`   access token: iss=${claims.iss} aud=${claims.aud}`);
  const before = provider.tokens()!.refresh_token;
  if (before) {
    await auth(provider, { serverUrl });
    log(`5. Refreshed: ${provider.tokens()!.refresh_token !== before ? 'new refresh token (rotated)' : 'same refresh token'}`);
    await client.callTool({ name: 'whoami', arguments: {} });
  }
  await client.close();
  return text;
}
