import type { ResolvedOAuthMcpConfig } from './resolved-config.interface.js';
import { isLoopbackHostname } from './url-rules.js';

/** A setting that works but deserves a look; `check` names the doctor line it appears on. */
export interface ConfigWarning {
  check: 'https' | 'ssrf' | 'scopes';
  text: string;
}

/**
 * Risky but valid settings, logged at startup and shown by `doctor` (O3): an https server on a real
 * host name that runs with development rules, private-network fetches on such a server, and a scope
 * with a comma in its name (legal, RFC 6749 §3.3, but almost always a comma-separated list by mistake).
 */
export function configWarnings(c: ResolvedOAuthMcpConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const deployed = c.https && !isLoopbackHostname(c.resourceUrl.hostname);
  if (deployed && !c.production) {
    warnings.push({
      check: 'https',
      text: `Development rules on an https server: NODE_ENV is not production while MCP_URL is https on ${c.resourceUrl.host} (plain http accepted for loopback identity provider URLs); set NODE_ENV=production on a deployed server`,
    });
  }
  if (c.allowPrivateNetworkFetch && !isLoopbackHostname(c.resourceUrl.hostname)) {
    warnings.push({
      check: 'ssrf',
      text: 'OAUTH_ALLOW_PRIVATE_NETWORK_FETCH is on for a server that is not on loopback: an unauthenticated client_id URL (Client ID Metadata Document) can make this server send GET requests to loopback and private addresses; leave it off unless those documents are served from your private network',
    });
  }
  const scopes = commaScopeWarning(c.scopes, 'and MCP clients will request it as such', (spaced) => `OAUTH_SCOPES="${spaced}"`);
  if (scopes) warnings.push({ check: 'scopes', text: scopes });
  return warnings;
}

/**
 * A scope with a comma (legal, RFC 6749 §3.3) is almost always a comma-separated list by mistake: the
 * sentence that says so and what follows, with the space-separated form as `write` shows it; undefined without one.
 */
export function commaScopeWarning(scopes: readonly string[], consequence: string, write: (spaced: string) => string): string | undefined {
  const commaScopes = scopes.filter((scope) => scope.includes(','));
  if (commaScopes.length === 0) return undefined;
  const spaced = commaScopes[0].split(',').filter(Boolean).join(' ');
  return `Scopes are separated by spaces: ${commaScopes.map((s) => `"${s}"`).join(', ')} is one scope with a comma in its name, ${consequence}; if you meant several scopes, write ${write(spaced)}`;
}
