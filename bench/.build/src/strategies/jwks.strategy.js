import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';
import { DETACHED_REGISTRAR } from './detached-passport.js';
/**
 * Base of the public-key providers: passport-jwt verifies with the key the `JwksKeyStore` picks for
 * the token's `kid`/`alg`; providers override `checkClaims` for their own rules.
 */
export function JwksStrategyFor(provider) {
    class JwksStrategy extends PassportStrategy(Strategy, STRATEGY_NAMES[provider]) {
        config;
        constructor(config, keys) {
            super(jwtStrategyOptions(config, (header) => keys.getKey(header.kid, header.alg)));
            this.config = config;
        }
        /** Registered on the module's own Passport instance, not the global one. */
        getPassportInstance() {
            return DETACHED_REGISTRAR;
        }
        validate(payload) {
            return toUser(this.checkClaims(payload), provider);
        }
        checkClaims(payload) {
            return checkCommonClaims(payload, this.config.clockSkewSeconds);
        }
    }
    return JwksStrategy;
}
