import { createSecretKey } from 'node:crypto';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import type { OAuthMcpUser } from '../oauth-mcp-user.interface.js';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { ModulePassportJwtStrategy, type ModulePassport } from './module-jwt.strategy.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';

function HmacStrategyFor(name: string, secretIndex: number) {
  class HmacSecretStrategy extends ModulePassportJwtStrategy(name) {
    constructor(
      passport: ModulePassport,
      readonly config: ResolvedOAuthMcpConfig,
    ) {
      // A KeyObject, built once: given a Buffer, jsonwebtoken would try (and fail) to parse it as a
      // public key on every verification before falling back to a secret key (~0.35 ms each).
      const key = createSecretKey(Buffer.from(config.hmacSecrets[secretIndex], 'utf8'));
      super(jwtStrategyOptions(config, passport, () => key));
    }

    validate(payload: unknown): OAuthMcpUser {
      return toUser(checkCommonClaims(payload, this.config), 'hmac');
    }
  }
  return HmacSecretStrategy;
}

/** HS256/384/512 tokens signed with the shared `JWT_SECRET`. */
export class HmacStrategy extends HmacStrategyFor(STRATEGY_NAMES.hmac, 0) {}

/** The same checks with `JWT_SECRET_PREVIOUS`, tried second while a rotation is under way. */
export class HmacPreviousSecretStrategy extends HmacStrategyFor(STRATEGY_NAMES.hmacPrevious, 1) {}
