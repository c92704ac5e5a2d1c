import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { jwtStrategyOptions } from './jwt-strategy-options.js';
import { STRATEGY_NAMES } from './strategy-names.js';
import { checkCommonClaims, toUser } from './token-claims.js';
import { DETACHED_REGISTRAR } from './detached-passport.js';
function HmacStrategyFor(name, secretIndex) {
    class HmacSecretStrategy extends PassportStrategy(Strategy, name) {
        config;
        constructor(config) {
            const key = Buffer.from(config.hmacSecrets[secretIndex], 'utf8');
            super(jwtStrategyOptions(config, async () => key));
            this.config = config;
        }
        /** Registered on the module's own Passport instance, not the global one. */
        getPassportInstance() {
            return DETACHED_REGISTRAR;
        }
        validate(payload) {
            return toUser(checkCommonClaims(payload, this.config.clockSkewSeconds), 'hmac');
        }
    }
    return HmacSecretStrategy;
}
/** HS256/384/512 tokens signed with the shared `JWT_SECRET`. */
export class HmacStrategy extends HmacStrategyFor(STRATEGY_NAMES.hmac, 0) {
}
/** The same checks with `JWT_SECRET_PREVIOUS`, tried second while a rotation is under way. */
export class HmacPreviousSecretStrategy extends HmacStrategyFor(STRATEGY_NAMES.hmacPrevious, 1) {
}
