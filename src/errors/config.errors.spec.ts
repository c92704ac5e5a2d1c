import { inspect } from 'node:util';
import { OAuthMcpConfigError } from './config.errors.js';

describe('OAuthMcpConfigError', () => {
  it('prints as its problems only: no stack through the injector, no second copy in a `problems` dump', () => {
    const printed = inspect(new OAuthMcpConfigError(['provider (OAUTH_PROVIDER) must be one of hmac, oidc']));
    expect(printed).toBe(
      'OAuthMcpConfigError: nestjs-oauth-mcp refused to start: 1 configuration problem(s):\n  - provider (OAUTH_PROVIDER) must be one of hmac, oidc',
    );
  });
});
