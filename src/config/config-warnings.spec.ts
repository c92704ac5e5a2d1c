import { configWarnings } from './config-warnings.js';
import type { ResolvedOAuthMcpConfig } from './resolved-config.interface.js';

const config = (scopes: string[]) =>
  ({
    https: false,
    production: false,
    allowPrivateNetworkFetch: false,
    resourceUrl: new URL('http://127.0.0.1:8080/mcp'),
    scopes,
  }) as unknown as ResolvedOAuthMcpConfig;

describe('configWarnings', () => {
  it('warns about a scope with a comma (a comma-separated OAUTH_SCOPES), naming the space-separated form', () => {
    const [warning] = configWarnings(config(['mcp:read,mcp:write', 'mcp:admin']));
    expect(warning.check).toBe('scopes');
    expect(warning.text).toContain('"mcp:read,mcp:write" is one scope');
    expect(warning.text).toContain('OAUTH_SCOPES="mcp:read mcp:write"');
  });

  it('says nothing of space-separated scopes', () => {
    expect(configWarnings(config(['mcp:read', 'mcp:write']))).toEqual([]);
  });
});
