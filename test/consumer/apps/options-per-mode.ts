// Compiled in the ESM consumer app against the packed declarations: each mode's options say which
// fields belong to it. An unused `@ts-expect-error` fails the compile, so every line below must stay an error.
import type { OAuthMcpModuleOptions } from 'nestjs-oauth-mcp';

export const native: OAuthMcpModuleOptions = {
  provider: 'okta',
  issuer: 'https://corp.okta.com/oauth2/default',
  audience: 'api://mcp',
  serverUrl: 'https://mcp.example.com',
};

export const proxy: OAuthMcpModuleOptions = {
  mode: 'proxy',
  provider: 'okta',
  issuer: 'https://corp.okta.com/oauth2/default',
  clientId: 'mcp-server',
  clientSecret: 'from-the-environment',
  jwtSecret: 'from-the-environment',
  serverUrl: 'https://mcp.example.com',
  staticClients: [],
};

// @ts-expect-error a proxy-only field (the upstream client) in native mode
export const nativeWithClient: OAuthMcpModuleOptions = { mode: 'native', provider: 'okta', serverUrl: 'https://mcp.example.com', clientSecret: 'x' };

// @ts-expect-error proxy mode needs an OIDC upstream, not hmac
export const proxyHmac: OAuthMcpModuleOptions = { mode: 'proxy', provider: 'hmac', serverUrl: 'https://mcp.example.com' };

// @ts-expect-error the token lifetime of tokens this server issues exists only in proxy mode
export const nativeWithTtl: OAuthMcpModuleOptions = { provider: 'hmac', jwtSecret: 'x', serverUrl: 'https://mcp.example.com', accessTokenTtlSeconds: 600 };
