import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * An in-memory `OAuthClientProvider` for headless clients (the demo, the end-to-end tests, and
 * adopters' own tests through `nestjs-oauth-mcp/testing`): it records the authorization URL instead
 * of opening a browser. Nothing needs to listen on the redirect URI; the caller completes the login
 * (`headlessLogin` against the dev IdP) and hands the code back to `auth()`.
 * @publicApi
 */
export class MemoryOAuthClientProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  lastAuthorizationUrl?: URL;
  private readonly stateValue = randomBytes(16).toString('base64url');

  constructor(
    readonly redirectUrl = 'http://localhost:53682/callback',
    private readonly clientName = 'nestjs-oauth-mcp demo',
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      redirect_uris: [this.redirectUrl],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: this.clientName,
    };
  }

  state(): string {
    return this.stateValue;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  redirectToAuthorization(url: URL): void {
    this.lastAuthorizationUrl = url;
  }

  /** SDK v2 (SEP-2352): binds the callback leg to the authorization server found during discovery. */
  discovery?: OAuthDiscoveryState;

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'client') this.info = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
  }
}
