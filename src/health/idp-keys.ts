import type { ResolvedOAuthMcpConfig } from '../config/resolved-config.interface.js';
import { checkServerUrl, discoveryUrlOf } from '../config/url-rules.js';
import { isUsableVerificationKey, keyFitsAlgorithm, meetsMinimumKeySize, type PublicJwk } from '../resource-server/verification/jwk-rules.js';
import { fetchJsonObject } from '../resource-server/verification/safe-fetch.js';

/** How many keys of a JWKS could verify a token with one of the accepted algorithms. */
export interface JwksKeyCount {
  /** Keys the module would use: public RSA/EC signature keys, RSA ≥ 2048 bits, fitting an accepted `alg`. */
  usable: number;
  /** Every entry of `keys`. */
  total: number;
}

/**
 * Counts the keys of a JWKS document the key store would accept for the configured algorithms,
 * applying the same rules (`isUsableVerificationKey`, `keyFitsAlgorithm`, RSA ≥ 2048 bits).
 * Throws when the document has no `keys` array.
 */
export function countUsableKeys(jwks: Record<string, unknown>, algorithms: readonly string[]): JwksKeyCount {
  if (!Array.isArray(jwks.keys)) throw new Error('the JWKS has no "keys" array');
  const keys = jwks.keys as unknown[];
  const usable = keys.filter((k): k is PublicJwk => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) return false;
    const jwk = k as PublicJwk;
    if (!isUsableVerificationKey(jwk)) return false;
    if (!meetsMinimumKeySize(jwk)) return false;
    return algorithms.some((alg) => keyFitsAlgorithm(jwk, alg));
  });
  return { usable: usable.length, total: keys.length };
}

/** The result of one look at the IdP's keys. */
export interface IdpKeysProbe extends JwksKeyCount {
  jwksUri: string;
}

/**
 * Looks at the IdP's keys the way the module finds them: the configured JWKS URI, or OIDC discovery
 * (whose `issuer` must equal the configured issuer byte for byte and whose `jwks_uri` must be https
 * or loopback http), then the JWKS itself. Every fetch goes through `fetchJsonObject` (no redirects,
 * timeout, size cap). Throws an `Error` with a short reason (never a response body) when the keys
 * are unreachable or none is usable. Not for `hmac` (there is nothing to fetch).
 */
export async function probeIdpKeys(config: ResolvedOAuthMcpConfig, timeoutMs = config.fetchTimeoutMs): Promise<IdpKeysProbe> {
  const fetchOptions = { timeoutMs, maxBytes: config.fetchMaxBytes };
  let jwksUri = config.jwksUri;
  if (!jwksUri) {
    if (!config.discoveryUrl) throw new Error('no JWKS URI and no discovery URL configured');
    let discovery: Record<string, unknown>;
    try {
      discovery = await fetchJsonObject(config.discoveryUrl, fetchOptions);
    } catch (err) {
      throw new Error(`discovery ${(err as Error).message}`);
    }
    if (discovery.issuer !== config.issuers[0]) throw new Error('the discovery document names a different issuer');
    if (typeof discovery.jwks_uri !== 'string' || checkServerUrl(discovery.jwks_uri, config.production) !== undefined) {
      throw new Error('the discovery document has no usable https "jwks_uri"');
    }
    jwksUri = discovery.jwks_uri;
  }
  let jwks: Record<string, unknown>;
  try {
    jwks = await fetchJsonObject(jwksUri, fetchOptions);
  } catch (err) {
    throw new Error(`JWKS ${(err as Error).message}`);
  }
  const count = countUsableKeys(jwks, config.algorithms);
  if (count.usable === 0) throw new Error(`the JWKS has no key usable for ${config.algorithms.join(', ')}`);
  return { jwksUri, ...count };
}

/**
 * Proxy mode: this server signs its own tokens, so what it needs from the upstream IdP is its OpenID
 * configuration (reachable, `issuer` byte-identical) for the sign-in leg. Throws a short reason.
 */
export async function probeUpstreamDiscovery(config: ResolvedOAuthMcpConfig, timeoutMs = config.fetchTimeoutMs): Promise<{ issuer: string }> {
  const upstream = config.upstream;
  if (!upstream) throw new Error('no upstream identity provider configured');
  const url = discoveryUrlOf(upstream.issuer);
  let discovery: Record<string, unknown>;
  try {
    discovery = await fetchJsonObject(url, { timeoutMs, maxBytes: config.fetchMaxBytes });
  } catch (err) {
    throw new Error(`upstream discovery ${(err as Error).message}`);
  }
  if (discovery.issuer !== upstream.issuer) throw new Error('the upstream discovery document names a different issuer');
  return { issuer: upstream.issuer };
}
