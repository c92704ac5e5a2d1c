import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { checkServerUrl } from '../../config/url-rules.js';
import { fetchJsonObject } from './safe-fetch.js';

/** The IdP's discovery document names another issuer than the configured one (RFC 8414 §3.3). */
export class DiscoveryIssuerMismatchError extends Error {
  constructor() {
    super(
      'nestjs-oauth-mcp refused to start: the discovery document of OIDC_ISSUER names a different "issuer"; ' +
        'set OIDC_ISSUER to exactly the issuer the IdP publishes (trailing slash included)',
    );
    this.name = this.constructor.name;
  }
}

/** The discovery document's `jwks_uri` is missing or not https. */
export class DiscoveryJwksUriError extends Error {
  constructor() {
    super('the discovery document has no usable https "jwks_uri"');
    this.name = this.constructor.name;
  }
}

/**
 * Finds the JWKS URI: the configured one (nothing fetched), or the issuer's OIDC discovery document,
 * whose `issuer` must equal the configured issuer byte for byte. Never derived from a token.
 */
export class OidcDiscovery {
  private resolved?: string;
  private inflight?: Promise<string>;

  constructor(private readonly config: ResolvedOAuthMcpConfig) {
    this.resolved = config.jwksUri;
  }

  /** Fetches discovery (single flight) until it has succeeded once. */
  jwksUri(): Promise<string> {
    if (this.resolved) return Promise.resolve(this.resolved);
    this.inflight ??= this.discover().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async discover(): Promise<string> {
    const doc = await fetchJsonObject(this.config.discoveryUrl!, {
      timeoutMs: this.config.fetchTimeoutMs,
      maxBytes: this.config.fetchMaxBytes,
    });
    if (doc.issuer !== this.config.issuers[0]) throw new DiscoveryIssuerMismatchError();
    if (typeof doc.jwks_uri !== 'string' || checkServerUrl(doc.jwks_uri, this.config.production) !== undefined) {
      throw new DiscoveryJwksUriError();
    }
    this.resolved = doc.jwks_uri;
    return doc.jwks_uri;
  }
}
