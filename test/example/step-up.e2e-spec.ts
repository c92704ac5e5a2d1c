/**
 * Step-up authorization with the official SDK clients against the example server, in both modes: a
 * token with `mcp:read` calls `admin_ping` (needs `mcp:admin`), gets 403 `insufficient_scope`, signs in
 * again with the scope the challenge names, and ends with a token that has both: the challenge names
 * the union of the token's scopes and the required ones (2026-07-28).
 */
import type { INestApplication } from '@nestjs/common';
import { auth as authV1, UnauthorizedError as UnauthorizedErrorV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  auth as authV2,
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
  UnauthorizedError as UnauthorizedErrorV2,
} from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { headlessLogin } from '../../src/dev-idp/headless-login.js';
import { MemoryOAuthClientProvider } from '../../src/testing/memory-client-provider.js';
import { startExampleOn } from '../support/example-server.js';

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

/**
 * An SDK v1 client holding no refresh token (its IdP issued none, or it does not keep them): v1 then
 * re-authorizes on a 403 with the challenge's scope. With a refresh token, v1 refreshes instead, which
 * cannot widen the scope (see sdk-native-flow).
 */
class NoRefreshTokenProvider extends MemoryOAuthClientProvider {
  override saveTokens(tokens: OAuthTokens): void {
    const { refresh_token: _dropped, ...rest } = tokens;
    super.saveTokens(rest);
  }
}

const scopesOf = (token: string) => String(decodeJwt(token).scope).split(' ').sort();

describe.each(['native', 'proxy'] as const)('step-up with the official SDK clients (%s mode)', (mode) => {
  let app: INestApplication;
  let serverUrl: URL;

  beforeAll(async () => {
    ({ app, serverUrl } = await startExampleOn({ OAUTH_MODE: mode }, '127.0.0.1'));
  });
  afterAll(() => app.close());

  it('A21 SDK v1: the 403 names mcp:read mcp:admin; the client signs in again with it and keeps mcp:read (fails when the challenge names only the missing scope)', async () => {
    const provider = new NoRefreshTokenProvider('http://localhost:53690/callback', 'step-up v1');
    expect(await authV1(provider, { serverUrl, scope: 'mcp:read' })).toBe('REDIRECT');
    const first = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'vera' });
    expect(await authV1(provider, { serverUrl, scope: 'mcp:read', authorizationCode: first.searchParams.get('code')! })).toBe('AUTHORIZED');
    expect(scopesOf(provider.tokens()!.access_token)).toEqual(['mcp:read']);

    const transport = new TransportV1(serverUrl, { authProvider: provider });
    const client = new ClientV1({ name: 'step-up-v1', version: '0' });
    await client.connect(transport);
    await expect(client.callTool({ name: 'admin_ping', arguments: {} })).rejects.toBeInstanceOf(UnauthorizedErrorV1);
    // The SDK asked for exactly what the challenge named.
    expect(provider.lastAuthorizationUrl!.searchParams.get('scope')).toBe('mcp:read mcp:admin');
    const second = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'vera' });
    await transport.finishAuth(second.searchParams.get('code')!);

    expect(scopesOf(provider.tokens()!.access_token)).toEqual(['mcp:admin', 'mcp:read']);
    const pong = (await client.callTool({ name: 'admin_ping', arguments: {} })) as TextResult;
    expect(pong.content[0].text).toBe('pong');
    const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as TextResult;
    expect(JSON.parse(whoami.content[0].text).scopes.sort()).toEqual(['mcp:admin', 'mcp:read']);
    await client.close();
  });

  it('A21 SDK v2 on the 2026-07-28 revision (server/discover): step-up re-authorizes with the union and the call then succeeds', async () => {
    const provider = new MemoryOAuthClientProvider('http://127.0.0.1:53691/callback', 'step-up v2');
    expect(await authV2(provider as never, { serverUrl, scope: 'mcp:read' })).toBe('REDIRECT');
    const first = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'wes' });
    expect(
      await authV2(provider as never, {
        serverUrl,
        scope: 'mcp:read',
        authorizationCode: first.searchParams.get('code')!,
        iss: first.searchParams.get('iss') ?? undefined,
      }),
    ).toBe('AUTHORIZED');
    expect(scopesOf(provider.tokens()!.access_token)).toEqual(['mcp:read']);

    const transport = new TransportV2(serverUrl, { authProvider: provider as never });
    // Negotiating (server/discover first): the example then speaks the newest revision, where the tool
    // name also travels in the Mcp-Method/Mcp-Name headers the guard reads.
    const client = new ClientV2({ name: 'step-up-v2', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(transport);
    expect(transport.protocolVersion).toBe('2026-07-28');
    await expect(client.callTool({ name: 'admin_ping', arguments: {} })).rejects.toBeInstanceOf(UnauthorizedErrorV2);
    // v2 also adds offline_access when the authorization server lists it (the dev IdP does).
    expect(provider.lastAuthorizationUrl!.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['mcp:admin', 'mcp:read']));
    const second = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: 'wes' });
    await transport.finishAuth(second.searchParams);

    expect(scopesOf(provider.tokens()!.access_token)).toEqual(expect.arrayContaining(['mcp:admin', 'mcp:read']));
    const pong = (await client.callTool({ name: 'admin_ping', arguments: {} })) as TextResult;
    expect(pong.content[0].text).toBe('pong');
    await client.close();
  });
});
