import passport from 'passport';

/**
 * `PassportStrategy` registers each strategy on the global passport singleton, so two module instances
 * in one process would overwrite each other's strategy (and validate with the wrong audience). The
 * module's strategies return this no-op registrar instead and are registered on their own instance.
 */
export const DETACHED_REGISTRAR = { use: (): void => undefined };

/** The Passport instance of one module instance, with the strategies it registered. */
export interface ModuleStrategies {
  passport: passport.Authenticator;
  names: string[];
}

export function newPassport(): passport.Authenticator {
  return new passport.Passport();
}
