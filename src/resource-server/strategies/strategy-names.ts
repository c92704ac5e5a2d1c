/** Passport names of the module's strategies; only the configured provider's are registered. */
export const STRATEGY_NAMES = {
  hmac: 'oauth-mcp:hmac',
  hmacPrevious: 'oauth-mcp:hmac-previous',
  okta: 'oauth-mcp:okta',
  google: 'oauth-mcp:google',
  azure: 'oauth-mcp:azure',
  oidc: 'oauth-mcp:oidc',
  self: 'oauth-mcp:self',
} as const;
