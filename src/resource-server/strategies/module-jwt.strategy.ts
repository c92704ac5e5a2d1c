import { PassportStrategy } from '@nestjs/passport';
import type passport from 'passport';
import { Strategy as JwtStrategy, type StrategyOptionsWithoutRequest, type VerifyCallback } from 'passport-jwt';

/**
 * The Passport of one module instance (`new Passport()`): two module instances in one process each
 * register their strategies on their own, so neither overwrites the other's strategy of the same name
 * (and verifies with the wrong audience).
 */
export type ModulePassport = passport.Authenticator;

/** passport-jwt's options, plus the Passport the strategy registers on. */
export type ModuleJwtStrategyOptions = StrategyOptionsWithoutRequest & { passport: ModulePassport };

/**
 * passport-jwt's Strategy, told which Passport it belongs to. `PassportStrategy` registers a strategy
 * from inside its own constructor, on whatever `getPassportInstance()` returns, before a subclass can
 * set a field; this base keeps the module's Passport first, from the options.
 */
export class ModuleJwtStrategy extends JwtStrategy {
  readonly modulePassport: ModulePassport;

  constructor({ passport, ...options }: ModuleJwtStrategyOptions, verify: VerifyCallback) {
    super(options as StrategyOptionsWithoutRequest, verify);
    this.modulePassport = passport;
  }
}

/**
 * `PassportStrategy(Strategy, name)` over passport-jwt, registered under `name` on the module
 * instance's own Passport instead of the global singleton.
 */
export function ModulePassportJwtStrategy(name: string) {
  abstract class NamedJwtStrategy extends PassportStrategy(ModuleJwtStrategy, name) {
    getPassportInstance(): ModulePassport {
      return this.modulePassport;
    }
  }
  return NamedJwtStrategy;
}
