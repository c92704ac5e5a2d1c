import { headlessLogin } from '../dev-idp/headless-login.js';
import { MemoryOAuthClientProvider } from './memory-client-provider.js';
import { importWithPeer } from './optional-peer.js';

/** Options of `signInWithDevIdp`. @publicApi */
export interface DevIdpSignInOptions {
  /** The user name typed at the dev IdP (any name signs in). @default 'alice' */
  username?: string;
  /** Scopes to request (space-separated). Default: the server's challenge / metadata scopes. */
  scope?: string;
  /** The provider to sign in with. @default a new `MemoryOAuthClientProvider` */
  provider?: MemoryOAuthClientProvider;
}

/**
 * Signs in to an MCP server whose users sign in at the embedded dev IdP, the way an MCP client does
 * (SDK v1 `auth()`: protected resource metadata, discovery, dynamic registration, PKCE, headless
 * login, code exchange), and returns the provider holding the tokens: pass it as `authProvider` to
 * the SDK's `StreamableHTTPClientTransport`, or read `provider.tokens().access_token`. Works in native
 * mode (the dev IdP is the authorization server) and in proxy mode (the server is the authorization
 * server in front of the dev IdP, `startDevIdp({ proxyCallbackUrl })`: its consent page is approved).
 * @publicApi
 */
export async function signInWithDevIdp(serverUrl: string | URL, options: DevIdpSignInOptions = {}): Promise<MemoryOAuthClientProvider> {
  // The MCP SDK is an optional peer: loaded when a test signs in, not when the kit is imported.
  const { auth } = await importWithPeer(() => import('@modelcontextprotocol/sdk/client/auth.js'), '@modelcontextprotocol/sdk', 'signInWithDevIdp');
  const url = new URL(serverUrl);
  const provider = options.provider ?? new MemoryOAuthClientProvider();
  const first = await auth(provider, { serverUrl: url, scope: options.scope });
  if (first === 'AUTHORIZED') return provider;
  const callback = await headlessLogin(provider.lastAuthorizationUrl!.href, provider.redirectUrl, { username: options.username });
  if (callback.searchParams.get('state') !== provider.state()) throw new Error('sign-in: state mismatch on the redirect');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`sign-in failed: ${callback.searchParams.get('error') ?? 'no authorization code'}`);
  await auth(provider, { serverUrl: url, authorizationCode: code, scope: options.scope });
  return provider;
}
