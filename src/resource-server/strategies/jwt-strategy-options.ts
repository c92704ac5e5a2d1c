import type { KeyObject } from 'node:crypto';
import type { JwtFromRequestFunction, SecretOrKeyProvider, StrategyOptionsWithoutRequest } from 'passport-jwt';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { JoseHeaderInspector, type JoseHeader } from '../verification/jose-header.js';
import { presentedBearerToken } from '../verification/presented-token.js';
import type { ModuleJwtStrategyOptions, ModulePassport } from './module-jwt.strategy.js';

/** Key material for jsonwebtoken; a `KeyObject` spares it a key parse on every verification. */
export type VerificationKey = string | Buffer | KeyObject;

/** The key that may verify a token with this (checked) header: now, or once the JWKS answered. */
export type KeyResolver = (header: JoseHeader) => VerificationKey | Promise<VerificationKey>;

type KeyCallback = (err: unknown, key?: VerificationKey) => void;

/**
 * `done` runs jsonwebtoken synchronously, and jsonwebtoken 9 throws (rather than reporting) on a
 * validly signed `null` payload; the throw is reported as the strategy's failure instead of escaping
 * as an exception (or, after a JWKS lookup, an unhandled rejection).
 */
function deliver(done: KeyCallback, key: VerificationKey): void {
  try {
    done(null, key);
  } catch (err) {
    done(err);
  }
}

/**
 * passport-jwt's `secretOrKeyProvider`: the JOSE header rules first (no key lookup for a hostile
 * header), then the key for the token's `kid`/`alg`.
 */
function keyProvider(config: ResolvedOAuthMcpConfig, resolveKey: KeyResolver): SecretOrKeyProvider {
  const headers = new JoseHeaderInspector(config.algorithms, config.requireAccessTokenType);
  // passport-jwt's types predate KeyObject; it hands the key to jsonwebtoken 9, which accepts one.
  return ((_req: unknown, rawJwt: string, done: KeyCallback) => {
    let key: VerificationKey | Promise<VerificationKey>;
    try {
      key = resolveKey(headers.inspect(rawJwt));
    } catch (err) {
      return done(err);
    }
    if (key instanceof Promise)
      key.then(
        (k) => deliver(done, k),
        (err: unknown) => done(err),
      );
    else deliver(done, key);
  }) as SecretOrKeyProvider;
}

/** The bearer token the verifier took from this very request with the strict RFC 6750 extractor. */
const jwtFromRequest: JwtFromRequestFunction = (req) => presentedBearerToken(req) ?? null;

/**
 * passport-jwt options shared by every built-in strategy: the algorithm allowlist, `exp`/`nbf` with
 * the configured skew. `iss` and `aud` are checked by the strategies' `validate()` (see token-claims).
 */
export function jwtStrategyOptions(config: ResolvedOAuthMcpConfig, passport: ModulePassport, resolveKey: KeyResolver): ModuleJwtStrategyOptions {
  return {
    passport,
    jwtFromRequest,
    secretOrKeyProvider: keyProvider(config, resolveKey),
    algorithms: config.algorithms as StrategyOptionsWithoutRequest['algorithms'],
    ignoreExpiration: false,
    jsonWebTokenOptions: { clockTolerance: config.clockSkewSeconds },
  };
}
