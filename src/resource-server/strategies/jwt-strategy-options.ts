import type { KeyObject } from 'node:crypto';
import type { SecretOrKeyProvider, StrategyOptionsWithoutRequest } from 'passport-jwt';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import type { JoseHeader } from '../verification/jose-header.js';

/**
 * What the verifier hands to Passport instead of the HTTP request: the token it already extracted
 * and the header it already checked, so strategies never re-parse the request.
 */
export interface TokenAuthRequest {
  token: string;
  header: JoseHeader;
}

/** Key material for jsonwebtoken; a `KeyObject` spares it a key parse on every verification. */
export type VerificationKey = string | Buffer | KeyObject;

export type KeyResolver = (header: JoseHeader) => Promise<VerificationKey>;

function callSafely(done: (err: unknown, key?: VerificationKey) => void, key: VerificationKey): void {
  try {
    done(null, key);
  } catch (err) {
    done(err);
  }
}

/** passport-jwt options shared by every provider: exact issuer(s), audience(s), algorithm allowlist. */
export function jwtStrategyOptions(config: ResolvedOAuthMcpConfig, resolveKey: KeyResolver): StrategyOptionsWithoutRequest {
  return {
    jwtFromRequest: (req) => (req as unknown as TokenAuthRequest).token,
    // passport-jwt's types predate KeyObject; it hands the key to jsonwebtoken 9, which accepts one.
    secretOrKeyProvider: ((req: unknown, _raw: string, done: (err: unknown, key?: VerificationKey) => void) => {
      // `done` runs jsonwebtoken synchronously; calling it outside the promise chain keeps a throw in
      // there from becoming an unhandled rejection (it fails the request instead).
      resolveKey((req as TokenAuthRequest).header).then(
        (key) => setImmediate(() => callSafely(done, key)),
        (err) => setImmediate(() => done(err)),
      );
    }) as SecretOrKeyProvider,
    algorithms: config.algorithms as StrategyOptionsWithoutRequest['algorithms'],
    issuer: config.issuers.length > 0 ? [...config.issuers] : undefined,
    audience: config.audiences.length === 1 ? config.audiences[0] : ([...config.audiences] as [string, ...string[]]),
    ignoreExpiration: false,
    jsonWebTokenOptions: { clockTolerance: config.clockSkewSeconds },
  };
}
