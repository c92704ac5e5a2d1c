import { Injectable, type OnModuleInit } from '@nestjs/common';
import type * as OpenIdClient from 'openid-client';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { OAuthMcpConfigError } from '../../errors/config.errors.js';
import type { ResolvedUpstream } from '../../config/resolved-config.interface.js';
import type { GrantedUser } from '../grants/grant.interface.js';
import { pkceChallengeOf } from '../grants/pkce.js';
import { PROVIDERS } from '../../config/providers/providers.table.js';
import { readCapped, SafeFetchError } from '../../resource-server/verification/safe-fetch.js';

/** What the upstream leg needs to remember between the redirect and the callback. */
export interface UpstreamChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Upstream tokens, kept server-side only (sealed in the store). */
export interface UpstreamTokens {
  access_token: string;
  refresh_token?: string;
  /** Epoch seconds. */
  expires_at?: number;
}

/**
 * Every upstream response (discovery, token, userinfo, JWKS) is read with a byte cap, so a hostile or
 * broken IdP cannot exhaust memory (catalogue J111).
 */
function cappedFetch(maxBytes: number): (url: string, init: RequestInit) => Promise<Response> {
  return async (url, init) => {
    const res = await fetch(url, init);
    if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new SafeFetchError('response too large');
    }
    const body = await readCapped(res, maxBytes);
    return new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * The upstream IdP, through openid-client: discovery (its `issuer` must equal the configured one),
 * its own PKCE (S256), `state` and `nonce`, a confidential client, and a verified ID token.
 */
let openIdClient: Promise<typeof OpenIdClient> | undefined;

/** openid-client is an optional peer: loaded in proxy mode only, once. */
function loadOpenIdClient(): Promise<typeof OpenIdClient> {
  openIdClient ??= import('openid-client').catch((err: unknown) => {
    openIdClient = undefined;
    throw new OAuthMcpConfigError([`proxy mode needs the optional peer openid-client (npm install openid-client): ${(err as Error).message}`]);
  });
  return openIdClient;
}

@Injectable()
export class UpstreamClientService implements OnModuleInit {
  private configuration?: Promise<OpenIdClient.Configuration>;

  constructor(private readonly configService: OAuthMcpConfigService) {}

  /** A missing optional peer stops the application at startup, not at the first sign-in. */
  async onModuleInit(): Promise<void> {
    await loadOpenIdClient();
  }

  private get upstream(): ResolvedUpstream {
    return this.configService.config.upstream!;
  }

  /** Discovery once; a failure is retried on the next call. */
  private discover(): Promise<OpenIdClient.Configuration> {
    this.configuration ??= (async () => {
      const oidc = await loadOpenIdClient();
      const u = this.upstream;
      const c = this.configService.config;
      const insecure = u.allowInsecureHttp && new URL(u.issuer).protocol === 'http:';
      const timeout = Math.ceil(c.fetchTimeoutMs / 1000);
      const fetcher = cappedFetch(c.fetchMaxBytes);
      const config = await oidc.discovery(new URL(u.issuer), u.clientId, u.clientSecret, undefined, {
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        timeout,
        [oidc.customFetch]: fetcher as never,
      });
      config.timeout = timeout;
      config[oidc.customFetch] = fetcher as never;
      return config;
    })().catch((err: unknown) => {
      this.configuration = undefined;
      throw err;
    });
    return this.configuration;
  }

  /** The IdP's userinfo for an upstream access token; the `sub` must be the expected user. */
  async userInfo(accessToken: string, expectedSubject: string): Promise<Record<string, unknown>> {
    const oidc = await loadOpenIdClient();
    const config = await this.discover();
    return (await oidc.fetchUserInfo(config, accessToken, expectedSubject)) as Record<string, unknown>;
  }

  /** The upstream origin, for the consent page's form-action. */
  async origin(): Promise<string> {
    const config = await this.discover();
    return new URL(config.serverMetadata().authorization_endpoint!).origin;
  }

  async authorizationUrl(checks: UpstreamChecks): Promise<URL> {
    const oidc = await loadOpenIdClient();
    const config = await this.discover();
    const metadata = config.serverMetadata();
    const scopes = this.upstream.scopes ?? ['openid', 'email', 'profile', ...(metadata.scopes_supported?.includes('offline_access') ? ['offline_access'] : [])];
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.configService.config.callbackUrl,
      scope: scopes.join(' '),
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: pkceChallengeOf(checks.codeVerifier),
      code_challenge_method: 'S256',
      ...PROVIDERS[this.upstream.provider].upstreamAuthorizationParams,
    });
  }

  /** Exchanges the upstream code (the callback URL is rebuilt from configuration, never from Host). */
  async exchange(query: URLSearchParams, checks: UpstreamChecks): Promise<{ user: GrantedUser; tokens: UpstreamTokens; claims: Record<string, unknown> }> {
    const oidc = await loadOpenIdClient();
    const config = await this.discover();
    const currentUrl = new URL(this.configService.config.callbackUrl);
    currentUrl.search = query.toString();
    const response = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    let claims = response.claims() as unknown as Record<string, unknown>;
    // Conforming IdPs put scope-requested claims (email, profile) in userinfo rather than the ID token.
    if (claims.email === undefined && config.serverMetadata().userinfo_endpoint) {
      try {
        claims = { ...(await oidc.fetchUserInfo(config, response.access_token, claims.sub as string)), ...claims };
      } catch {
        // The verified ID token alone identifies the user.
      }
    }
    return {
      user: toGrantedUser(claims),
      claims,
      tokens: {
        access_token: response.access_token,
        refresh_token: response.refresh_token,
        expires_at: response.expires_in ? Math.floor(Date.now() / 1000) + response.expires_in : undefined,
      },
    };
  }

  /**
   * Revokes an upstream token at the IdP (RFC 7009) when it publishes a revocation endpoint; false when
   * it has none. Errors are the caller's to handle.
   */
  async revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean> {
    const oidc = await loadOpenIdClient();
    const config = await this.discover();
    if (!config.serverMetadata().revocation_endpoint) return false;
    await oidc.tokenRevocation(config, token, { token_type_hint: hint });
    return true;
  }

  async refresh(refreshToken: string): Promise<UpstreamTokens> {
    const oidc = await loadOpenIdClient();
    const config = await this.discover();
    const response = await oidc.refreshTokenGrant(config, refreshToken);
    return {
      access_token: response.access_token,
      refresh_token: response.refresh_token ?? refreshToken,
      expires_at: response.expires_in ? Math.floor(Date.now() / 1000) + response.expires_in : undefined,
    };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 512 ? value : undefined;
}

/** Maps verified ID-token claims to the user a grant is made for. */
export function toGrantedUser(claims: Record<string, unknown>): GrantedUser {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 100) : []);
  const sub = claims.sub as string;
  const email = str(claims.email);
  return {
    sub,
    username: str(claims.preferred_username) ?? email ?? sub,
    email,
    ...(email !== undefined && claims.email_verified === true ? { emailVerified: true } : {}),
    name: str(claims.name),
    groups: [...list(claims.groups), ...list(claims.roles)],
  };
}
